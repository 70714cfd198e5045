import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../util/errors';
import { runFloat } from '../../ref/float';
import { buildModel, type NodeSpec } from '../../../test/support/onnx-build';
import { sharedModel } from '../../../test/support/models';
import { importOnnx, importOnnxFile } from './import';
import { halfToFloat } from './tensor';
import { onnxType } from './schema';

const MNIST = sharedModel('onnx/mnist8/model.onnx');

function expectUserError(f: () => unknown, pattern: RegExp): UserError {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(UserError);
  expect((err as Error).message).toMatch(pattern);
  return err as UserError;
}

const conv = (extra: Partial<NodeSpec> = {}): NodeSpec => ({ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, ...extra });

describe('ONNX import', () => {
  it('imports a small model and runs it', () => {
    const bytes = buildModel({
      nodes: [conv(), { op: 'Relu', inputs: ['y'], outputs: ['z'] }],
      inputs: [['x', [1, 1, 4, 4]]],
      outputs: ['z'],
      initializers: [{ name: 'w', dims: [1, 1, 3, 3], data: [0, 0, 0, 0, 1, 0, 0, 0, 0] }],
    });
    const g = importOnnx(bytes, 'm.onnx');
    expect(g.nodes.map((n) => n.op)).toEqual(['conv', 'relu']);
    expect(g.tensors.get('z')!.shape).toEqual([1, 1, 4, 4]);
    const x = Float32Array.from({ length: 16 }, (_, i) => i - 8);
    const out = runFloat(g, new Map([['x', x]])).get('z')!.data;
    expect(Array.from(out)).toEqual(Array.from(x, (v) => Math.max(0, v)));
  });

  it('reads float16 initializers', () => {
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0xc000)).toBe(-2);
    expect(halfToFloat(0x3555)).toBeCloseTo(0.33325, 4);
    const bytes = buildModel({
      nodes: [{ op: 'Add', inputs: ['x', 'c'], outputs: ['y'] }],
      inputs: [['x', [2]]],
      outputs: ['y'],
      initializers: [{ name: 'c', dims: [2], data: [0x3c00, 0xc000], type: 10 }],
    });
    const g = importOnnx(bytes, 'm.onnx');
    expect(Array.from(runFloat(g, new Map([['x', Float32Array.of(1, 1)]])).get('y')!.data)).toEqual([2, -1]);
  });

  it('folds Constant, ConstantOfShape and constant subgraphs, and resolves Reshape targets', () => {
    const bytes = buildModel({
      nodes: [
        { op: 'Constant', inputs: [], outputs: ['shape'], attrs: { value: { tensor: { dims: [2], data: [0, -1], type: 7 } } } },
        { op: 'ConstantOfShape', inputs: ['cshape'], outputs: ['ones'], attrs: { value: { tensor: { dims: [1], data: [1] } } } },
        { op: 'Reshape', inputs: ['x', 'shape'], outputs: ['r'] },
        { op: 'Add', inputs: ['r', 'ones'], outputs: ['y'] },
      ],
      inputs: [['x', [2, 3, 2]]],
      outputs: ['y'],
      initializers: [{ name: 'cshape', dims: [1], data: [6], type: 7 }],
    });
    const g = importOnnx(bytes, 'm.onnx', { constantOfShapeWeights: 'constant' });
    expect(g.tensors.get('r')!.shape).toEqual([2, 6]);
    expect(g.nodes.map((n) => n.op)).toEqual(['reshape', 'add']);
    const y = runFloat(g, new Map([['x', new Float32Array(12)]])).get('y')!.data;
    expect(Array.from(y)).toEqual(new Array(12).fill(1));
  });

  it('generates seeded weights for ConstantOfShape weights, deterministically', () => {
    const spec = {
      nodes: [{ op: 'ConstantOfShape', inputs: ['ws'], outputs: ['w'] }, conv()],
      inputs: [['x', [1, 1, 4, 4]]] as [string, number[]][],
      outputs: ['y'],
      initializers: [{ name: 'ws', dims: [4], data: [2, 1, 3, 3], type: 7 }],
    };
    const a = importOnnx(buildModel(spec), 'm.onnx');
    const b = importOnnx(buildModel(spec), 'm.onnx');
    expect(a.generatedWeights).toBe(true);
    const x = new Map([['x', Float32Array.from({ length: 16 }, (_, i) => i)]]);
    const ya = runFloat(a, x).get('y')!.data;
    expect(Array.from(ya)).toEqual(Array.from(runFloat(b, x).get('y')!.data));
    expect(ya.some((v) => v !== 0)).toBe(true);
    const c = importOnnx(buildModel(spec), 'm.onnx', { seed: 7 });
    expect(Array.from(runFloat(c, x).get('y')!.data)).not.toEqual(Array.from(ya));
  });

  describe('bad input gives a UserError naming the file and node', () => {
    it('truncated and corrupted files', () => {
      const good = fs.readFileSync(MNIST);
      expectUserError(() => importOnnx(good.subarray(0, good.length / 2), 'cut.onnx'), /not a valid ONNX model|truncated|bytes|values/);
      expectUserError(() => importOnnx(Buffer.from('this is not a protobuf at all, just text\n'), 'text.onnx'), /ONNX/);
      expectUserError(() => importOnnx(new Uint8Array(0), 'empty.onnx'), /no graph/);
    });

    it('never throws anything but a UserError on damaged bytes (fuzz)', () => {
      const good = new Uint8Array(fs.readFileSync(MNIST));
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), fc.nat(good.length), (edits, cut) => {
          const b = good.slice(0, Math.max(1, cut));
          for (const [i, v] of edits) if (i < b.length) b[i] = v;
          try {
            importOnnx(b, 'fuzz.onnx');
          } catch (e) {
            if (!(e instanceof UserError)) throw e;
          }
        }),
        { numRuns: 150, seed: 4 },
      );
    });

    it('a cycle', () => {
      const bytes = buildModel({
        nodes: [
          { op: 'Add', inputs: ['x', 'b'], outputs: ['a'], name: 'first' },
          { op: 'Relu', inputs: ['a'], outputs: ['b'], name: 'second' },
        ],
        inputs: [['x', [2]]],
        outputs: ['b'],
      });
      const e = expectUserError(() => importOnnx(bytes, 'cyc.onnx'), /cycle/);
      expect(e.location.file).toBe('cyc.onnx');
    });

    it('a dangling tensor name', () => {
      const bytes = buildModel({ nodes: [{ op: 'Relu', inputs: ['nowhere'], outputs: ['y'], name: 'r' }], inputs: [['x', [2]]], outputs: ['y'] });
      expectUserError(() => importOnnx(bytes, 'd.onnx'), /Relu 'r'.*'nowhere' is not produced/);
    });

    it('a wrong attribute type', () => {
      const bytes = buildModel({ nodes: [conv({ attrs: { kernel_shape: 3 } })], inputs: [['x', [1, 1, 4, 4]]], outputs: ['y'], initializers: [{ name: 'w', dims: [1, 1, 3, 3], data: new Array(9).fill(1) }] });
      expectUserError(() => importOnnx(bytes, 'a.onnx'), /Conv 'n0': attribute 'kernel_shape' should be INTS/);
    });

    it('a shape mismatch', () => {
      const bytes = buildModel({ nodes: [{ op: 'Add', inputs: ['x', 'c'], outputs: ['y'], name: 'add1' }], inputs: [['x', [2, 3]]], outputs: ['y'], initializers: [{ name: 'c', dims: [4], data: [1, 2, 3, 4] }] });
      expectUserError(() => importOnnx(bytes, 's.onnx'), /Add 'add1': shapes \[2,3\] and \[4\] do not broadcast/);
      const w = buildModel({ nodes: [conv()], inputs: [['x', [1, 2, 4, 4]]], outputs: ['y'], initializers: [{ name: 'w', dims: [1, 1, 3, 3], data: new Array(9).fill(1) }] });
      expectUserError(() => importOnnx(w, 'w.onnx'), /expect 1 input channels .* input has 2/);
    });

    it('an unknown operator, a foreign domain, an unsupported opset', () => {
      const bytes = buildModel({ nodes: [{ op: 'Tanh', inputs: ['x'], outputs: ['y'], name: 't' }], inputs: [['x', [2]]], outputs: ['y'] });
      expectUserError(() => importOnnx(bytes, 'u.onnx'), /Tanh 't': operator 'Tanh' is not supported; supported operators: Conv/);
      const old = buildModel({ nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }], inputs: [['x', [2]]], outputs: ['y'], opset: 5 });
      expectUserError(() => importOnnx(old, 'o.onnx'), /opset 5 is outside the supported range 6..18/);
      const m = onnxType('ModelProto').decode(old) as unknown as { graph: { node: { domain: string }[] }; opset_import: { version: number }[] };
      m.opset_import[0]!.version = 13;
      m.graph.node[0]!.domain = 'com.microsoft';
      const foreign = onnxType('ModelProto').encode(m as never).finish();
      expectUserError(() => importOnnx(foreign, 'f.onnx'), /domain 'com.microsoft' is not supported/);
    });

    it('declared sizes are checked before allocating', () => {
      const bytes = buildModel({ nodes: [{ op: 'Add', inputs: ['x', 'c'], outputs: ['y'] }], inputs: [['x', [2]]], outputs: ['y'], initializers: [{ name: 'c', dims: [100000, 100000, 100], data: [1] }] });
      expectUserError(() => importOnnx(bytes, 'big.onnx'), /initializer 'c' declares 1000000000000 elements/);
      const short = buildModel({ nodes: [{ op: 'Add', inputs: ['x', 'c'], outputs: ['y'] }], inputs: [['x', [2]]], outputs: ['y'], initializers: [{ name: 'c', dims: [2], data: [1] }] });
      expectUserError(() => importOnnx(short, 's.onnx'), /has 1 values but its dims \[2\] need 2/);
      const huge = buildModel({ nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }], inputs: [['x', [65536, 65536, 2]]], outputs: ['y'] });
      expectUserError(() => importOnnx(huge, 'h.onnx'), /more than the limit of 268435456; raise it with DNNVM_LIMITS="tensorElements=..."/);
    });
  });

  it('reads external data only from inside the model folder', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dnnvm-ext-'));
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'dnnvm-out-'));
    try {
      const raw = Buffer.alloc(8);
      raw.writeFloatLE(1.5, 0);
      raw.writeFloatLE(-2, 4);
      fs.writeFileSync(path.join(dir, 'w.bin'), Buffer.concat([Buffer.alloc(4), raw]));
      fs.writeFileSync(path.join(outside, 'w.bin'), raw);
      const model = (location: string) => {
        const bytes = buildModel({ nodes: [{ op: 'Add', inputs: ['x', 'c'], outputs: ['y'] }], inputs: [['x', [2]]], outputs: ['y'] });
        const m = onnxType('ModelProto').decode(bytes) as unknown as { graph: { initializer: unknown[] } };
        m.graph.initializer.push({ name: 'c', dims: [2], data_type: 1, data_location: 1, external_data: [{ key: 'location', value: location }, { key: 'offset', value: '4' }, { key: 'length', value: '8' }] });
        return onnxType('ModelProto').encode(m as never).finish();
      };
      fs.writeFileSync(path.join(dir, 'in.onnx'), model('w.bin'));
      const g = importOnnxFile(path.join(dir, 'in.onnx'));
      expect(Array.from(runFloat(g, new Map([['x', Float32Array.of(0, 0)]])).get('y')!.data)).toEqual([1.5, -2]);
      fs.writeFileSync(path.join(dir, 'out.onnx'), model(path.relative(dir, path.join(outside, 'w.bin'))));
      expectUserError(() => importOnnxFile(path.join(dir, 'out.onnx')), /external data file '\.\.\/.*' is outside .*only files inside that folder are read/);
      fs.writeFileSync(path.join(dir, 'abs.onnx'), model(path.join(outside, 'w.bin')));
      expectUserError(() => importOnnxFile(path.join(dir, 'abs.onnx')), /is an absolute path; only files inside/);
      // A link inside the folder to a file outside it is refused too.
      fs.symlinkSync(path.join(outside, 'w.bin'), path.join(dir, 'link.bin'));
      fs.writeFileSync(path.join(dir, 'link.onnx'), model('link.bin'));
      expectUserError(() => importOnnxFile(path.join(dir, 'link.onnx')), /is a link to .*, outside/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it('maps 1-D convolution onto 2-D and back', () => {
    const bytes = buildModel({
      nodes: [{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], attrs: { kernel_shape: [2] } }],
      inputs: [['x', [1, 1, 5]]],
      outputs: ['y'],
      initializers: [{ name: 'w', dims: [1, 1, 2], data: [1, -1] }],
    });
    const g = importOnnx(bytes, 'c1.onnx');
    expect(g.tensors.get('y')!.shape).toEqual([1, 1, 4]);
    expect(Array.from(runFloat(g, new Map([['x', Float32Array.of(1, 2, 4, 8, 16)]])).get('y')!.data)).toEqual([-1, -2, -4, -8]);
  });
});
