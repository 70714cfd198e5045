import { describe, expect, it } from 'vitest';
import { describeLocation, errorLocation } from './errors';

describe('where a server error points', () => {
  it('reads a UserError location from the error data', () => {
    expect(errorLocation('unknown layer type Foo', { file: '/w/net.prototxt', line: 12, col: 3 })).toEqual({ location: { file: '/w/net.prototxt', line: 12, col: 3 }, message: 'unknown layer type Foo' });
    expect(errorLocation('bad', { file: '/w/m.onnx' })).toEqual({ location: { file: '/w/m.onnx' }, message: 'bad' });
  });
  it('ignores data that is not a location', () => {
    expect(errorLocation('x', { file: 3, line: 'a' }).location).toBeUndefined();
    expect(errorLocation('x', { file: '/a', line: -1, col: 2 }).location).toEqual({ file: '/a' });
  });
  it('falls back to a leading path:line:col in the message', () => {
    expect(errorLocation('/w/net.prototxt:7:2: error: expected "}"', undefined)).toEqual({ location: { file: '/w/net.prototxt', line: 7, col: 2 }, message: 'expected "}"' });
    expect(errorLocation('/w/net.prototxt:7: expected "}"', undefined)).toEqual({ location: { file: '/w/net.prototxt', line: 7 }, message: 'expected "}"' });
    expect(errorLocation('/w/m.onnx: not a valid ONNX model (protobuf decoding failed)', undefined)).toEqual({ location: { file: '/w/m.onnx' }, message: 'not a valid ONNX model (protobuf decoding failed)' });
    expect(errorLocation('relative.prototxt:7: nope', null).location).toBeUndefined();
    expect(errorLocation('compiling failed: out of memory', null).location).toBeUndefined();
    expect(errorLocation('no location here', null)).toEqual({ location: undefined, message: 'no location here' });
  });
  it('describes a location by file name', () => {
    expect(describeLocation({ file: '/w/net.prototxt', line: 7, col: 2 })).toBe('net.prototxt:7:2');
    expect(describeLocation({ file: '/w/m.onnx' })).toBe('m.onnx');
  });
});
