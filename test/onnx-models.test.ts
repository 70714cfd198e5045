// The float executor against onnxruntime-node (the reference) on the shared real-weight ONNX models, and
// the INT8 reference against the float one. The figures are printed for the record.

import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { boardByName } from '../src-compiler/arch/presets';
import { importOnnxFile } from '../src-compiler/frontend/onnx/import';
import { canonicalize } from '../src-compiler/passes/canonicalize';
import { generatedSamples } from '../src-compiler/quant/calibration';
import { quantizeGraph } from '../src-compiler/quant/quantize';
import { runFloat } from '../src-compiler/ref/float';
import { runInt8 } from '../src-compiler/ref/int8';
import type { XGraph } from '../src-compiler/xgraph/types';
import { randomInput } from './support/graphs';
import { sharedModel } from './support/models';
import { argmax, cosine, firstMismatch, readPb } from './support/onnx-data';

const ZU9 = boardByName('ZU9')!;

async function ortRun(file: string, inputs: ReadonlyMap<string, Float32Array>, g: XGraph): Promise<Map<string, Float32Array>> {
  const s = await ort.InferenceSession.create(file, { logSeverityLevel: 3 });
  const feeds: Record<string, ort.Tensor> = {};
  for (const [k, v] of inputs) feeds[k] = new ort.Tensor('float32', v, [...g.tensors.get(k)!.shape]);
  const r = await s.run(feeds);
  return new Map(Object.entries(r).map(([k, v]) => [k, v.data as Float32Array]));
}

function expectClose(actual: Float32Array, expected: Float32Array, what: string, rtol = 1e-4, atol = 1e-4): void {
  const bad = firstMismatch(actual, expected, rtol, atol);
  expect(bad, `${what}: ${JSON.stringify(bad)}`).toBeUndefined();
}

describe('float executor against onnxruntime-node', () => {
  it('mnist-8, and its expected outputs', async () => {
    const file = sharedModel('onnx/mnist8/model.onnx');
    const g = importOnnxFile(file);
    for (const k of [0, 1, 2]) {
      const x = readPb(sharedModel(`onnx/mnist8/test_data_set_${k}/input_0.pb`));
      const expected = readPb(sharedModel(`onnx/mnist8/test_data_set_${k}/output_0.pb`));
      const inputs = new Map([[g.inputs[0]!, x.data as Float32Array]]);
      const ours = runFloat(g, inputs).get(g.outputs[0]!)!.data;
      expectClose(ours, expected.data as Float32Array, `set ${k} vs expected output`, 1e-4, 1e-3);
      expectClose(ours, (await ortRun(file, inputs, g)).get(g.outputs[0]!)!, `set ${k} vs onnxruntime`);
    }
  });
  for (const [name, rel] of [
    ['CIFAR-10 CNN', 'onnx/cifar10_cnn_winml.onnx'],
    ['ultraface_slim', 'onnx/ultraface_slim_320_simplified.onnx'],
  ] as const) {
    it(name, async () => {
      const file = sharedModel(rel);
      const g = importOnnxFile(file);
      for (const seed of [1, 2]) {
        const inputs = randomInput(g, seed);
        const ours = runFloat(g, inputs);
        const ref = await ortRun(file, inputs, g);
        for (const o of g.outputs) expectClose(ours.get(o)!.data, ref.get(o)!, `${name} ${o} seed ${seed}`);
      }
    });
  }
});

describe("ONNX's light models against their expected outputs (plumbing: every weight is a constant)", () => {
  for (const name of ['squeezenet', 'bvlc_alexnet', 'inception_v1']) {
    it(name, () => {
      const g = importOnnxFile(sharedModel(`onnx/light/light_${name}.onnx`), { constantOfShapeWeights: 'constant' });
      const s = g.tensors.get(g.inputs[0]!)!.shape;
      const n = s.reduce((a, b) => a * b, 1);
      // ONNX's runner feeds arange(n) / n for these models.
      const x = Float32Array.from({ length: n }, (_, i) => i / n);
      const expected = readPb(sharedModel(`onnx/light/light_${name}_output_0.pb`));
      const out = runFloat(g, new Map([[g.inputs[0]!, x]])).get(g.outputs[0]!)!;
      expect(out.shape).toEqual(expected.shape);
      expectClose(out.data, expected.data as Float32Array, name, 1e-3, 1e-5);
    });
  }
  it('resnet50 and vgg19 import with the expected output shape', () => {
    for (const name of ['resnet50', 'vgg19']) {
      const g = importOnnxFile(sharedModel(`onnx/light/light_${name}.onnx`));
      expect(g.tensors.get(g.outputs[0]!)!.shape).toEqual(readPb(sharedModel(`onnx/light/light_${name}_output_0.pb`)).shape);
    }
  });
});

describe('INT8 reference against float', () => {
  it('mnist-8 keeps the top-1 class on all three test sets', () => {
    const g = canonicalize(importOnnxFile(sharedModel('onnx/mnist8/model.onnx')), ZU9);
    const sets = [0, 1, 2].map((k) => new Map([[g.inputs[0]!, readPb(sharedModel(`onnx/mnist8/test_data_set_${k}/input_0.pb`)).data as Float32Array]]));
    // Calibrated on the user's inputs: the three test images are the only real data there is.
    const q = quantizeGraph(g, sets);
    const lines: string[] = [];
    sets.forEach((inp, k) => {
      const f = runFloat(g, inp).get(g.outputs[0]!)!.data;
      const i = runInt8(q, inp).get(g.outputs[0]!)!.float;
      lines.push(`set ${k}: float top-1 ${argmax(f)}, int8 top-1 ${argmax(i)}, cosine ${cosine(f, i).toFixed(4)}`);
      expect(argmax(i)).toBe(argmax(f));
    });
    console.log(`INT8 vs float, mnist-8:\n  ${lines.join('\n  ')}`);
  });
  for (const [name, rel] of [
    ['CIFAR-10 CNN', 'onnx/cifar10_cnn_winml.onnx'],
    ['ultraface_slim', 'onnx/ultraface_slim_320_simplified.onnx'],
  ] as const) {
    it(`${name}: cosine similarity >= 0.98 on every output`, () => {
      const g = canonicalize(importOnnxFile(sharedModel(rel)), ZU9);
      // Calibrated on generated inputs (seeded uniform noise in [-1, 1]), evaluated on other samples.
      const q = quantizeGraph(g, generatedSamples(g, 4, 11));
      const lines: string[] = [];
      for (const [k, inp] of generatedSamples(g, 2, 1000).entries()) {
        const seed = `sample ${k}`;
        const f = runFloat(g, inp);
        const i = runInt8(q, inp);
        for (const o of g.outputs) {
          const c = cosine(f.get(o)!.data, i.get(o)!.float);
          lines.push(`${seed}, ${o}: cosine ${c.toFixed(4)}`);
          expect(c).toBeGreaterThanOrEqual(0.98);
        }
      }
      console.log(`INT8 vs float, ${name}:\n  ${lines.join('\n  ')}`);
    });
  }
});
