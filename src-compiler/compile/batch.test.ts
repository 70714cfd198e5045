// Batching the fully connected layers (batch.ts): the batched graph computes, row by row, what the
// model computes image by image; the compiled batch is bit-exact against it in both modes, keeps one
// copy of the weights, and costs fewer cycles per image than batch 1; models it cannot carry are
// refused with the layer and the reason.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_BATCH } from '../asm/directives';
import { boardByName } from '../arch/presets';
import { loadModel } from '../frontend/load';
import { canonicalize } from '../passes/canonicalize';
import { generatedSamples } from '../quant/calibration';
import { quantizeFromStats } from '../quant/quantize';
import type { QuantizedGraph } from '../quant/types';
import { runInt8 } from '../ref/int8';
import { UserError } from '../util/errors';
import { sharedModel } from '../../test/support/models';
import { TestGraph } from '../../test/support/graphs';
import { batchFullyConnected, batchName } from './batch';
import { compileQuantized, segmentText } from './compile';
import { assemble } from '../asm/assemble';
import { programFromAsm } from '../sim/program';
import { simulateTiming } from '../sim/timing';
import { simulateCompiled } from './report';
import { validateCompiled } from './validate';

const ZU9 = boardByName('ZU9')!;
const ZU2 = boardByName('ZU2')!;

function quantized(file: string, arch = ZU9): QuantizedGraph {
  const g = loadModel(sharedModel(file));
  const canon = canonicalize(g, arch);
  return quantizeFromStats(canon, new Map([...canon.tensors.keys()].map((t) => [t, 4])), 1);
}

describe('the batched graph', () => {
  it('computes for image k, in row k of its outputs, exactly what the model computes for image k alone', () => {
    const q = quantized('caffe/lenet.prototxt');
    const n = 3;
    const b = batchFullyConnected(q, n, ZU9);
    expect(b.graph.inputs).toEqual([0, 1, 2].map((k) => batchName(q.graph.inputs[0]!, k)));
    const images = generatedSamples(q.graph, n, 5);
    const batchedInput = new Map(images.map((m, k) => [batchName(q.graph.inputs[0]!, k), m.get(q.graph.inputs[0]!)!]));
    const batched = runInt8(b, batchedInput);
    for (const out of q.graph.outputs) {
      const all = batched.get(out)!.float;
      const shape = b.graph.tensors.get(out)!.shape;
      expect(shape).toEqual([1, q.graph.tensors.get(out)!.shape[1], n, 1]);
      const m = shape[1]!;
      images.forEach((img, k) => {
        const alone = runInt8(q, img).get(out)!.float;
        const row = Float32Array.from({ length: m }, (_, c) => all[c * n + k]!);
        expect(Array.from(row)).toEqual(Array.from(alone));
      });
    }
  });

  it('refuses a model whose fully connected input comes from the host, or that has no fully connected layer, naming why', () => {
    expect(() => batchFullyConnected(quantized('caffe/cifar10_quick.prototxt'), 4, ZU9)).toThrow(/ip1: its input pool3 is computed on the host/);
    expect(() => batchFullyConnected(quantized('onnx/ultraface_slim_320_simplified.onnx'), 4, ZU9)).toThrow(UserError);
    expect(() => batchFullyConnected(quantized('caffe/lenet.prototxt'), 0, ZU9)).toThrow(/from 1 to 64/);
    expect(batchFullyConnected(quantized('caffe/lenet.prototxt'), 1, ZU9)).toBeDefined();
  });

  it('takes the same most images per run as the extension\'s dnnvm.batch setting', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, { maximum?: number }> } } };
    expect(pkg.contributes.configuration.properties['dnnvm.batch']!.maximum).toBe(MAX_BATCH);
    expect(() => batchFullyConnected(quantized('caffe/lenet.prototxt'), MAX_BATCH + 1, ZU9)).toThrow(UserError);
  });
});

describe('a compiled batch', () => {
  it('reads a stack too tall for a ring that runs ahead (7x7x512 maps, stride 7), bit-exactly', () => {
    // A 7x7 fully connected layer over 512 channels, as VGG-16's fc6: eight stacked maps fill one
    // address group per CONV (8 banks x 7 rows x 7 columns x 32 channel groups).
    const t = new TestGraph();
    const x = t.input('x', [1, 512, 7, 7]);
    const p = t.node('pool', { kind: 'max', kernel: [3, 3], stride: [1, 1], dilation: [1, 1], pads: [1, 1, 1, 1], ceil: false, countIncludePad: false }, [x], 'p');
    t.conv(p, 'fc', 16, 7);
    const g = t.finish(['fc']);
    const canon = canonicalize(g, ZU9);
    const q = quantizeFromStats(canon, new Map([...canon.tensors.keys()].map((n) => [n, 4])), 1);
    const c = compileQuantized('fc7x7', g, q, { arch: ZU9, batch: 8 });
    const fc = c.segments[0]!.instrs.find((i) => i.spec.mnemonic === 'CONVINIT')!;
    expect(fc.values[fc.spec.fieldIndex['stride_h']!]).toBe(7);
    const v = validateCompiled(c, { withFloat: false });
    expect(v.mismatches).toEqual([]);
    expect(v.bitExact).toBe(true);
  });

  for (const [arch, naive] of [[ZU9, false], [ZU2, false], [ZU2, true]] as const)
    it(`${arch.name}${naive ? ' naive' : ''}: is bit-exact, keeps one copy of the weights, and takes fewer cycles per image`, () => {
      const q = quantized('caffe/lenet.prototxt', arch);
      const one = compileQuantized('lenet', q.graph, q, { arch, naive });
      const four = compileQuantized('lenet', q.graph, q, { arch, naive, batch: 4 });
      expect(four.batch).toBe(4);
      const v = validateCompiled(four, { withFloat: false });
      expect(v.mismatches).toEqual([]);
      expect(v.bitExact).toBe(true);
      // Every copy of a convolution reads the one copy of its weights.
      expect(four.weights.length).toBe(one.weights.length);
      const t1 = simulateCompiled(one);
      const t4 = simulateCompiled(four);
      expect(t4.images).toBe(4);
      expect(t4.cycles / 4).toBeLessThan(t1.cycles);
      expect(t4.fps).toBeGreaterThan(t1.fps);
      // The assembly says so, and the simulators count the run's images from it.
      const text = segmentText(four, four.segments[0]!, { weights: 'w.bin' });
      expect(text).toMatch(/^\.batch 4 /m);
      const asm = assemble(text);
      expect(asm.batch).toBe(4);
      const sim = simulateTiming(programFromAsm(asm), { cores: 1 });
      expect(sim.fps).toBeCloseTo((4 * sim.frequencyHz) / sim.period, 6);
    });
});
