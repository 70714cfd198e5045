// Resource limits (util/limits.ts): each refuses with a clear error naming the limit and how to raise
// it, and each can be raised (DNNVM_LIMITS for the CLI, setLimits for the language server).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { assemble } from '../src-compiler/asm/assemble';
import { loadModel } from '../src-compiler/frontend/load';
import { wordsFromBytes } from '../src-compiler/isa/encoding';
import { DEFAULT_LIMITS, limits, limitsFromEnv, resetLimits, setLimits } from '../src-compiler/util/limits';
import { UserError } from '../src-compiler/util/errors';
import { runCli } from './support/cli';
import { sharedModel } from './support/models';

afterEach(() => {
  resetLimits();
  delete process.env['DNNVM_LIMITS'];
});

const hint = /DNNVM_LIMITS="\w+=\.\.\." \(CLI\) or the dnnvm\.limits\.\w+ setting \(VS Code\)/;
const program = (n: number) => `.arch ZU9\n${'    CONVINIT jump_read=1 shift_cut=0 jump_read_endl=1 shift_bias=0 stride_out=1 jump_write=1 valid_pixel_parallel=8 kernel_h=1 stride_h=1 jump_write_endl=1 kernel_w=1 stride_w=1\n'.repeat(n)}    END\n`;

describe('limits', () => {
  it('instructions: an assembly past the limit gets one error, at the first instruction over it; raising it clears it', () => {
    setLimits({ instructions: 10 });
    const p = assemble(program(12));
    const errs = p.diagnostics.filter((d) => d.code === 'limit');
    expect(errs).toHaveLength(1);
    expect(errs[0]!.message).toMatch(/more than 10 instructions, the limit/);
    expect(errs[0]!.message).toMatch(hint);
    expect(p.instrs.length).toBe(10);
    setLimits({ instructions: 100 });
    expect(assemble(program(12)).diagnostics.filter((d) => d.code === 'limit')).toEqual([]);
  });

  it('instructions: a binary too big to hold fewer is refused before decoding', () => {
    setLimits({ instructions: 2 });
    expect(wordsFromBytes(new Uint8Array(44)).error).toMatch(/more instructions than the limit of 2/);
    expect(wordsFromBytes(new Uint8Array(40)).error).toBeUndefined();
  });

  it('model file size: refused before reading, with the size and the limit', () => {
    setLimits({ modelFileMB: 0.001 });
    expect(() => loadModel(sharedModel('caffe/lenet.prototxt'))).toThrow(UserError);
    expect(() => loadModel(sharedModel('caffe/lenet.prototxt'))).toThrow(/lenet\.prototxt is 0 MB, above the limit of 0\.001 MB for a model file; raise it with DNNVM_LIMITS="modelFileMB=\.\.\."/);
  });

  it('tensor elements: a weight above the limit is refused at import', () => {
    setLimits({ tensorElements: 100_000 });
    expect(() => loadModel(sharedModel('onnx/mnist8/model.onnx'))).not.toThrow();
    expect(() => loadModel(sharedModel('caffe/lenet.prototxt'))).toThrow(/more than the limit of 100000;.*tensorElements/);
  });

  it('protobuf declared lengths: a length beyond the file is refused before anything is allocated for it', () => {
    // ModelProto.graph (field 7, length-delimited) declaring 2^31 - 1 bytes in a 16-byte file, and a
    // packed repeated field declaring a gigabyte: each is a clear error, not an allocation or a crash.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dnnvm-limits-'));
    const huge = path.join(dir, 'huge-length.onnx');
    fs.writeFileSync(huge, Uint8Array.from([0x08, 0x07, 0x3a, 0xff, 0xff, 0xff, 0xff, 0x07, 1, 2, 3, 4, 5, 6, 7, 8]));
    const refusal = (file: string) => {
      try {
        loadModel(file);
      } catch (e) {
        return e;
      }
      return undefined;
    };
    const e = refusal(huge);
    expect(e).toBeInstanceOf(UserError);
    expect((e as UserError).location.file).toBe(huge);
    expect((e as UserError).message).toMatch(/^not a valid ONNX model \(protobuf decoding failed: a field declares more bytes than the file has left \(index out of range.*\)\); the file may be truncated or corrupted$/);
    const packed = path.join(dir, 'packed.onnx');
    // graph { initializer { dims (field 1, packed) of 2^30 bytes } }
    fs.writeFileSync(packed, Uint8Array.from([0x3a, 0x08, 0x2a, 0x06, 0x0a, 0x80, 0x80, 0x80, 0x80, 0x04]));
    expect((refusal(packed) as UserError).message).toMatch(/^not a valid ONNX model \(protobuf decoding failed: a field declares more bytes than the file has left/);
  });

  it('simulated cycles: the CLI stops the timing simulation there and says the result is partial', async () => {
    process.env['DNNVM_LIMITS'] = 'simulatedCycles=500';
    const { code, out } = await runCli(['sim', 'test-fixtures/programs/conv3x3.dnnasm', '--cores', '1'], path.join(__dirname, '..'));
    expect(code).toBe(0);
    expect(out).toMatch(/the simulation did not complete \(limit\)/);
    expect(limits().simulatedCycles).toBe(500);
  });

  it('DNNVM_LIMITS: bad entries are reported and ignored; values are clamped to what the data structures hold', () => {
    expect(limitsFromEnv({ DNNVM_LIMITS: 'instructions=5, bogus=3, modelFileMB=-1, junk' })).toEqual([
      "DNNVM_LIMITS: 'junk' is not name=value",
      `DNNVM_LIMITS: unknown limit 'bogus' (limits: ${Object.keys(DEFAULT_LIMITS).join(', ')})`,
      "DNNVM_LIMITS: limit modelFileMB must be a positive number, got '-1'",
    ]);
    expect(limits().instructions).toBe(5);
    expect(limits().modelFileMB).toBe(DEFAULT_LIMITS.modelFileMB);
    setLimits({ tensorElements: 1e12 });
    expect(limits().tensorElements).toBe(2 ** 31 - 1);
  });
});
