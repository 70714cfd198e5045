import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boardByName } from '../arch/presets';
import { spec } from '../isa/table';
import { importCaffeFile } from '../frontend/caffe/import';
import { importOnnxFile } from '../frontend/onnx/import';
import { canonicalize } from '../passes/canonicalize';
import { convOutput, dpuAvgFactor, dpuRound } from '../ref/dpu-math';
import { dpuConv, dpuElew, dpuPool, runInt8 } from '../ref/int8';
import type { NodeOf, XGraph } from '../xgraph/types';
import { TestGraph, randomInput } from '../../test/support/graphs';
import { sharedModel } from '../../test/support/models';
import { fixFromMax, quantizeGraph } from './quantize';
import type { ConvQuant, ElewQuant, PoolQuant } from './types';

const ZU9 = boardByName('ZU9')!;
const fieldRange = (m: Parameters<typeof spec>[0], f: string) => {
  const s = spec(m).fields.find((x) => x.name === f)!;
  return [s.min, s.max] as const;
};

/** DPURound as N1 states it: saturate the real value, then round half up. */
function specRound(x: number): number {
  if (x > 127) return 127;
  if (x < -128) return -128;
  return Math.floor(x + 0.5);
}

/** CONV output as N2 states it, on real numbers (exact in float64 for these magnitudes). */
function specConvOutput(acc: number, bias: number, shiftBias: number, shiftCut: number, act: ConvQuant['act']): number {
  const v = 2 * acc + bias * 2 ** shiftBias;
  let t = v / 2 ** (shiftCut + 1);
  if (act === 'relu') t = Math.max(0, t);
  if (act === 'leaky_relu' && t < 0) t = (t * 26) / 256;
  if (act === 'relu6') t = Math.min(96, Math.max(0, t));
  return specRound(t);
}

describe('DPU arithmetic (isa-fields.md N1, N2)', () => {
  it('DPURound saturates, then rounds half up', () => {
    expect([2.5, -2.5, 2.4, -2.6, 127.4, 127.6, -128.5, 300, -300].map(dpuRound)).toEqual([3, -2, 2, -3, 127, 127, -128, 127, -128]);
  });
  it('the integer forms of CONV equal the real-number definition', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -2_000_000, max: 2_000_000 }),
        fc.integer({ min: -128, max: 127 }),
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 0, max: 24 }),
        fc.constantFrom('none', 'relu', 'leaky_relu', 'relu6') as fc.Arbitrary<ConvQuant['act']>,
        (acc, bias, sb, sc, act) => convOutput(acc, bias, sb, sc, act) === specConvOutput(acc, bias, sb, sc, act),
      ),
      { numRuns: 5000, seed: 11 },
    );
  });
  it('dpuConv computes N2 over a whole convolution', () => {
    const t = new TestGraph();
    const x = t.input('x', [1, 3, 5, 5]);
    const c = t.conv(x, 'c', 4, 3, { pad: 1, stride: 2 });
    const g = t.finish([c]);
    const n = g.nodes[0] as NodeOf<'conv'>;
    const r = fc.sample(fc.integer({ min: -128, max: 127 }), { numRuns: 75 + 108 + 4, seed: 3 });
    const xi = Int8Array.from(r.slice(0, 75));
    const w = Int8Array.from(r.slice(75, 183));
    const b = Int8Array.from(r.slice(183));
    for (const act of ['none', 'relu', 'leaky_relu', 'relu6'] as const) {
      const q: ConvQuant = { kind: 'conv', depthwise: false, fixIn: 0, fixWeights: 0, fixBias: 0, fixOut: 0, shiftBias: 5, shiftCut: 6, act, weights: w, bias: b };
      const out = dpuConv(xi, [1, 3, 5, 5], n, q, [4, 3, 3, 3], [1, 4, 3, 3]);
      // Direct triple loop, independent of im2col.
      for (let m = 0; m < 4; m++)
        for (let oy = 0; oy < 3; oy++)
          for (let ox = 0; ox < 3; ox++) {
            let acc = 0;
            for (let ci = 0; ci < 3; ci++)
              for (let i = 0; i < 3; i++)
                for (let j = 0; j < 3; j++) {
                  const iy = oy * 2 - 1 + i;
                  const ix = ox * 2 - 1 + j;
                  if (iy < 0 || ix < 0 || iy >= 5 || ix >= 5) continue;
                  acc += xi[(ci * 5 + iy) * 5 + ix]! * w[((m * 3 + ci) * 3 + i) * 3 + j]!;
                }
            expect(out[(m * 3 + oy) * 3 + ox]).toBe(specConvOutput(acc, b[m]!, 5, 6, act));
          }
    }
  });
});

describe('DPU pooling and eltwise (N5, N6)', () => {
  it('average factors by kernel width', () => {
    expect(dpuAvgFactor(2, 2)).toEqual({ num: 1, den: 4 });
    expect(dpuAvgFactor(3, 3)).toEqual({ num: 28, den: 256 });
    expect(dpuAvgFactor(7, 7)).toEqual({ num: 21, den: 1024 });
    expect(dpuAvgFactor(3, 2)).toBeUndefined();
  });
  it('3x3 average uses 28/256, padding reads 0; max padding reads -128', () => {
    const t = new TestGraph();
    const x = t.input('x', [1, 1, 3, 3]);
    const attrs = (kind: 'avg' | 'max') => ({ kind, kernel: [3, 3], stride: [1, 1], dilation: [1, 1], pads: [1, 1, 1, 1], ceil: false, countIncludePad: true });
    t.node('pool', attrs('avg'), [x], 'a');
    t.node('pool', attrs('max'), [x], 'm');
    const g = t.finish(['a', 'm']);
    const xi = Int8Array.from([10, 20, 30, 40, 50, 60, 70, 80, -90]);
    const q = (type: 'avg' | 'max', shiftCut: number): PoolQuant => ({ kind: 'pool', type, fixIn: 0, fixOut: 0, shiftCut, pads: [1, 1, 1, 1] });
    const avg = dpuPool(xi, [1, 1, 3, 3], g.nodes[0] as NodeOf<'pool'>, q('avg', 0), [1, 1, 3, 3]);
    // Centre: sum 270 * 28/256 = 29.53 -> 30; corner (0,0): (10+20+40+50) * 28/256 = 13.125 -> 13.
    expect(avg[4]).toBe(30);
    expect(avg[0]).toBe(13);
    // shift_cut 9 divides by 2: 14.77 -> 15.
    expect(dpuPool(xi, [1, 1, 3, 3], g.nodes[0] as NodeOf<'pool'>, q('avg', 9), [1, 1, 3, 3])[4]).toBe(15);
    const mx = dpuPool(Int8Array.from(new Array(9).fill(-128 + 1).map((v, i) => (i === 8 ? -128 : v))), [1, 1, 3, 3], g.nodes[1] as NodeOf<'pool'>, q('max', 0), [1, 1, 3, 3]);
    expect(mx[8]).toBe(-127);
  });
  it('eltwise add aligns inputs by shift_read and scales by shift_write', () => {
    const q: ElewQuant = { kind: 'elew', type: 'add', fixIn: [5, 3], fixOut: 3, shiftRead: [2, 0], shiftWrite: 0, relu: false };
    // 7 at fix 5 (0.21875) + 3 at fix 3 (0.375): a0 = (28 >> 2) = 7, a1 = 12; (7 + 12) / 4 = 4.75 -> 5.
    expect(Array.from(dpuElew([Int8Array.of(7), Int8Array.of(3)], q))).toEqual([5]);
    // Arithmetic shift floors: -7 -> (-28 >> 2) = -7; -7 + -12 = -19 -> -4.75 -> -5.
    expect(Array.from(dpuElew([Int8Array.of(-7), Int8Array.of(-3)], q))).toEqual([-5]);
    const m: ElewQuant = { kind: 'elew', type: 'mult', fixIn: [4, 4], fixOut: 4, shiftRead: [0, 0], shiftWrite: 20, relu: true };
    // 32 * 48 at fix 4 each: (128 * 192) / 16 / 16 = 96; negative products clamp to 0 under ReLU.
    expect(Array.from(dpuElew([Int8Array.of(32, -32), Int8Array.of(48, 48)], m))).toEqual([96, 0]);
  });
});

describe('fix positions', () => {
  it('largest fp with max * 2^fp <= 127', () => {
    expect([1, 127, 0.5, 0.99, 128, 1e-3].map(fixFromMax)).toEqual([6, 0, 7, 7, -1, 16]);
  });
});

function modelCases(): [string, () => XGraph][] {
  return [
    ['mnist-8', () => importOnnxFile(sharedModel('onnx/mnist8/model.onnx'))],
    ['ultraface_slim', () => importOnnxFile(sharedModel('onnx/ultraface_slim_320_simplified.onnx'))],
    ['light SqueezeNet', () => importOnnxFile(sharedModel('onnx/light/light_squeezenet.onnx'))],
    ['MobileNet v1 (Caffe, BatchNorm)', () => importCaffeFile(sharedModel('caffe/mobilenet_v1.prototxt'))],
    ['GoogLeNet without LRN (Caffe)', () => importCaffeFile(sharedModel('caffe/googlenet_without_lrn.prototxt'))],
    ['cifar10_full (Caffe)', () => importCaffeFile(sharedModel('caffe/cifar10_full.prototxt'))],
  ];
}

describe('quantized parameters are legal instruction fields on real models', () => {
  for (const [name, load] of modelCases()) {
    it(name, () => {
      const g = canonicalize(load(), ZU9);
      const q = quantizeGraph(g, [randomInput(g, 1)]);
      const within = (v: number, [lo, hi]: readonly [number, number]) => v >= lo && v <= hi;
      let dpu = 0;
      for (const n of g.nodes) {
        const p = q.nodes.get(n.name)!;
        if (n.device === 'cpu') {
          expect(p.kind).toBe('host');
          continue;
        }
        dpu++;
        switch (p.kind) {
          case 'conv': {
            const init = p.depthwise ? 'DWINIT' : 'CONVINIT';
            expect(within(p.shiftCut, fieldRange(init, 'shift_cut')), `${n.name} shift_cut ${p.shiftCut}`).toBe(true);
            expect(within(p.shiftBias, fieldRange(init, 'shift_bias')), `${n.name} shift_bias ${p.shiftBias}`).toBe(true);
            expect(p.shiftCut).toBe(p.fixIn + p.fixWeights - p.fixOut);
            expect(p.shiftBias).toBe(p.fixIn + p.fixWeights - p.fixBias + 1);
            if (p.act === 'relu6') expect(p.fixOut).toBe(4);
            break;
          }
          case 'pool':
            expect(within(p.shiftCut, fieldRange('POOLINIT', 'shift_cut'))).toBe(true);
            break;
          case 'elew':
            for (const s of p.shiftRead) expect(within(s, fieldRange('ELEWINIT', 'shift_read'))).toBe(true);
            expect(within(p.shiftWrite, fieldRange('ELEW', 'shift_write'))).toBe(true);
            break;
          case 'concat':
            for (const i of n.inputs) expect(q.tensors.get(i)).toEqual({ kind: 'int8', fix: p.fix });
            break;
          case 'host':
            throw new Error(`DPU node ${n.name} has host parameters`);
        }
      }
      expect(dpu).toBeGreaterThan(0);
      // The integer executor runs the whole model.
      const out = runInt8(q, randomInput(g, 2));
      for (const o of g.outputs) expect(out.get(o)!.float.length).toBe(g.tensors.get(o)!.shape.reduce((a, b) => a * b, 1));
    });
  }
});

describe('calibration inputs', () => {
  it('reads .pb and raw float32 files, checks sizes, and generates seeded samples', async () => {
    const { samplesFromFiles, generatedSamples } = await import('./calibration');
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const g = importOnnxFile(sharedModel('onnx/mnist8/model.onnx'));
    const pb = sharedModel('onnx/mnist8/test_data_set_0/input_0.pb');
    const [fromPb] = samplesFromFiles(g, [pb]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dnnvm-cal-'));
    const raw = path.join(dir, 'x.f32');
    fs.writeFileSync(raw, Buffer.from(fromPb!.get(g.inputs[0]!)!.buffer));
    expect(Array.from(samplesFromFiles(g, [raw])[0]!.get(g.inputs[0]!)!)).toEqual(Array.from(fromPb!.get(g.inputs[0]!)!));
    fs.writeFileSync(raw, Buffer.alloc(12));
    expect(() => samplesFromFiles(g, [raw])).toThrow(/has 12 bytes; input 'Input3' \[1,1,28,28\] needs 3136/);
    const a = generatedSamples(g, 2, 5);
    expect(Array.from(a[0]!.get('Input3')!)).toEqual(Array.from(generatedSamples(g, 2, 5)[0]!.get('Input3')!));
    expect(Array.from(a[0]!.get('Input3')!)).not.toEqual(Array.from(a[1]!.get('Input3')!));
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
