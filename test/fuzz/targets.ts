// Fuzz targets: every decoder of outside input, fed random and mutated inputs. Each case must end in a
// result or a clear error (a UserError or diagnostics) within a second; anything else escaping is a bug.
// `npm test` runs 10,000 cases per target (fuzz.test.ts); `npm run fuzz` runs a million.

import fc from 'fast-check';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { assemble } from '../../src-compiler/asm/assemble';
import { disassemble } from '../../src-compiler/asm/disassemble';
import { encodeProgram, wordsFromBytes } from '../../src-compiler/isa/encoding';
import { boardByName } from '../../src-compiler/arch/presets';
import { parsePrototext, PrototextError } from '../../src-compiler/util/prototext';
import { importVitisTarget } from '../../src-compiler/arch/load';
import { UserError } from '../../src-compiler/util/errors';
import { importOnnx } from '../../src-compiler/frontend/onnx/import';
import { importCaffe } from '../../src-compiler/frontend/caffe/import';
import { caffeType } from '../../src-compiler/frontend/caffe/schema';
import { buildModel } from '../support/onnx-build';

const root = path.join(__dirname, '..', '..');
const shared = path.join(root, '..', 'shared', 'models');
const ZU9 = boardByName('ZU9')!;

/** Random edits of a real input: byte flips, deletions, insertions of random or structural text. */
export function mutations(seed: string): fc.Arbitrary<string> {
  const piece = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('{', '}', ':', '"', '\n', '=', '[', ']', '|', '0x', '-1', '99999999999', '\u0000', '\ud800'));
  return fc.array(fc.tuple(fc.nat(seed.length), fc.nat(16), piece), { minLength: 1, maxLength: 6 }).map((edits) => {
    let t = seed;
    for (const [at, del, ins] of edits) t = t.slice(0, at % (t.length + 1)) + ins + t.slice((at % (t.length + 1)) + del);
    return t;
  });
}

export function mutatedBytes(seed: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.array(fc.tuple(fc.nat(Math.max(1, seed.length)), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'cut', 'insert')), { minLength: 1, maxLength: 8 }).map((edits) => {
    let b = Array.from(seed);
    for (const [at, v, op] of edits) {
      const i = at % Math.max(1, b.length);
      if (op === 'flip') b[i] = v;
      else if (op === 'cut') b = b.slice(0, i);
      else b.splice(i, 0, v);
    }
    return Uint8Array.from(b);
  });
}

/** An error that is a clear report, not a bug. */
export function isReported(e: unknown): boolean {
  return e instanceof UserError || e instanceof PrototextError;
}

export interface FuzzTarget {
  readonly name: string;
  readonly arbitrary: fc.Arbitrary<unknown>;
  /** Runs one case; throws only on a bug. */
  readonly run: (input: never) => void;
}

const conv3x3 = fs.readFileSync(path.join(root, 'test-fixtures', 'programs', 'conv3x3.dnnasm'), 'utf8');
const targetFiles = fs.existsSync(path.join(shared, 'targets')) ? fs.readdirSync(path.join(shared, 'targets')).map((f) => fs.readFileSync(path.join(shared, 'targets', f), 'utf8')) : [];

function checkDiagnostics(text: string, ds: readonly { start: number; end: number }[]): void {
  for (const d of ds) if (!(d.start >= 0 && d.end >= d.start && d.end <= text.length + 1)) throw new Error(`diagnostic range [${d.start}, ${d.end}) outside the text (${text.length})`);
}

export const FUZZ_TARGETS: FuzzTarget[] = [
  {
    name: '.dnnasm parser and assembler: random text',
    arbitrary: fc.oneof(fc.string({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1'))),
    run: (text: string) => checkDiagnostics(text, assemble(text).diagnostics),
  },
  {
    name: '.dnnasm parser and assembler: mutated real program',
    arbitrary: mutations(conv3x3),
    run: (text: string) => checkDiagnostics(text, assemble(text, { keepAst: true }).diagnostics),
  },
  {
    name: 'disassembler: random words',
    arbitrary: fc.uint8Array({ maxLength: 256 }),
    run: (bytes: Uint8Array) => {
      const { words } = wordsFromBytes(bytes);
      disassemble(words, ZU9);
    },
  },
  {
    name: 'disassembler: mutated real binary',
    arbitrary: mutatedBytes(new Uint8Array(encodeProgram(assemble(conv3x3).instrs).buffer.slice(0))).map((b) => b),
    run: (bytes: Uint8Array) => {
      const { words } = wordsFromBytes(bytes);
      const r = disassemble(words, ZU9);
      // What decodes cleanly must reassemble to the same words.
      if (r.errors.length === 0 && words.length > 0) {
        const back = assemble(r.text);
        if (back.words && back.words.length === words.length && !back.words.every((w, i) => w === words[i])) throw new Error('clean disassembly does not reassemble to the same words');
      }
    },
  },
  {
    name: 'protobuf text format (Vitis AI targets): mutated real files',
    arbitrary: targetFiles.length ? fc.constantFrom(...targetFiles).chain((t) => mutations(t)) : fc.constant(''),
    run: (text: string) => {
      try {
        parsePrototext(text);
        importVitisTarget(text, 'fuzz.prototxt');
      } catch (e) {
        if (!isReported(e)) throw e;
      }
    },
  },
  {
    // A small model with the operators of a CNN (the 26 kB mnist-8 makes each mutation slow to build).
    name: 'ONNX importer: mutated small CNN model',
    arbitrary: mutatedBytes(
      buildModel({
        nodes: [
          { op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['c'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] } },
          { op: 'Relu', inputs: ['c'], outputs: ['r'] },
          { op: 'MaxPool', inputs: ['r'], outputs: ['p'], attrs: { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 } },
          { op: 'Constant', inputs: [], outputs: ['shape'], attrs: { value: { tensor: { dims: [2], data: [1, -1], type: 7 } } } },
          { op: 'Reshape', inputs: ['p', 'shape'], outputs: ['f'] },
          { op: 'Gemm', inputs: ['f', 'fw', 'fb'], outputs: ['y'], attrs: { transB: 1 } },
          { op: 'Softmax', inputs: ['y'], outputs: ['prob'], attrs: { axis: 1 } },
        ],
        inputs: [['x', [1, 2, 4, 4]]],
        outputs: ['prob'],
        initializers: [
          { name: 'w', dims: [3, 2, 3, 3], data: Array.from({ length: 54 }, (_, i) => (i % 7) / 7 - 0.5) },
          { name: 'b', dims: [3], data: [0.1, 0, -0.1] },
          { name: 'fw', dims: [4, 12], data: Array.from({ length: 48 }, (_, i) => (i % 5) / 5 - 0.4) },
          { name: 'fb', dims: [4], data: [0, 1, 2, 3] },
        ],
        opset: 11,
      }),
    ),
    run: (bytes: Uint8Array) => {
      try {
        importOnnx(bytes, 'fuzz.onnx');
      } catch (e) {
        if (!isReported(e)) throw e;
      }
    },
  },
  {
    name: 'Caffe importer: mutated real prototxt (LeNet, CIFAR-10 full)',
    arbitrary: fc
      .constantFrom(...['lenet.prototxt', 'cifar10_full.prototxt'].filter((f) => fs.existsSync(path.join(shared, 'caffe', f))).map((f) => fs.readFileSync(path.join(shared, 'caffe', f), 'utf8')))
      .chain((t) => mutations(t)),
    run: (text: string) => {
      try {
        importCaffe(text, 'fuzz.prototxt');
      } catch (e) {
        if (!isReported(e)) throw e;
      }
    },
  },
  {
    name: '.caffemodel reader: mutated weights',
    arbitrary: mutatedBytes(
      caffeType('NetParameter')
        .encode(
          caffeType('NetParameter').fromObject({
            layer: [{ name: 'c', type: 'Convolution', blobs: [{ shape: { dim: [2, 1, 3, 3] }, data: Array.from({ length: 18 }, (_, i) => i / 7) }, { shape: { dim: [2] }, data: [0.5, -0.5] }] }],
            layers: [{ name: 'ip', type: 14, blobs: [{ num: 1, channels: 1, height: 2, width: 3, data: [1, 2, 3, 4, 5, 6] }] }],
          }),
        )
        .finish(),
    ),
    run: (bytes: Uint8Array) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dnnvm-fuzz-'));
      const f = path.join(dir, 'w.caffemodel');
      fs.writeFileSync(f, bytes);
      try {
        importCaffe('input: "x"\ninput_dim: 1\ninput_dim: 1\ninput_dim: 4\ninput_dim: 4\nlayer { name: "c" type: "Convolution" bottom: "x" top: "c" convolution_param { num_output: 2 kernel_size: 3 } }', 'fuzz.prototxt', { weightsFile: f });
      } catch (e) {
        if (!isReported(e)) throw e;
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  },
];
