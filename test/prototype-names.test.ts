// Names from a file that happen to be members of Object.prototype ('constructor', 'toString',
// '__proto__', ...) must be looked up as any other unknown name: a table indexed by a name read from
// a file finds Object's members unless it checks its own keys (the million-case fuzz run found one in
// the assembler's field table). Each entry point that looks up a name from a file is checked here.

import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importCaffe } from '../src-compiler/frontend/caffe/import';
import { importOnnx } from '../src-compiler/frontend/onnx/import';
import { UserError } from '../src-compiler/util/errors';
import { resetLimits, setLimits } from '../src-compiler/util/limits';
import { runCli } from './support/cli';
import { buildModel } from './support/onnx-build';

const NAMES = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'];

function refusal(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe("names of Object's members read from files", () => {
  it('ONNX: an op_type named like one is an unsupported operator', () => {
    for (const op of NAMES) {
      const bytes = buildModel({ nodes: [{ op, inputs: ['x'], outputs: ['y'] }], inputs: [['x', [1, 2, 4, 4]]], outputs: ['y'], initializers: [], opset: 11 });
      const e = refusal(() => importOnnx(bytes, 'proto.onnx'));
      expect(e, op).toBeInstanceOf(UserError);
      expect((e as Error).message, op).toContain(`operator '${op}' is not supported`);
    }
  });

  it('Caffe: a layer type named like one is an unknown layer type', () => {
    for (const type of NAMES) {
      const text = `input: "x"\ninput_dim: 1\ninput_dim: 1\ninput_dim: 4\ninput_dim: 4\nlayer { name: "l" type: "${type}" bottom: "x" top: "y" }\n`;
      const e = refusal(() => importCaffe(text, 'proto.prototxt'));
      expect(e, type).toBeInstanceOf(UserError);
      expect((e as Error).message, type).toContain(`unknown layer type '${type}'`);
    }
  });

  it('dnnvm model: a model name like one is not a built-in model', async () => {
    for (const name of NAMES) {
      const r = await runCli(['model', name], path.join(__dirname, '..'));
      expect(r.code, name).toBe(1);
      expect(r.err, name).toContain(`no built-in model '${name}'`);
    }
  });

  it('limits: a limit named like one is an unknown limit', () => {
    try {
      for (const name of NAMES) expect(setLimits({ [name]: 5 }), name).toEqual([expect.stringContaining(`unknown limit '${name}'`)]);
    } finally {
      resetLimits();
    }
  });
});
