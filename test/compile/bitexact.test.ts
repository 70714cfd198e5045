// The compiler's acceptance: every model of the list compiles for ZU2 and ZU9, optimized and naive, and
// the program, run bit-exactly in the functional simulator, equals the integer reference layer by layer.
// Big networks run at reduced resolution where their architecture allows (VGG-16, SqueezeNet,
// MobileNet); ResNet-50 and GoogLeNet end in fixed 7x7 pools and run at 224.

import { describe, expect, it } from 'vitest';
import { boardByName } from '../../src-compiler/arch/presets';
import { compileQuantized } from '../../src-compiler/compile/compile';
import { validateCompiled } from '../../src-compiler/compile/validate';
import { simulateCompiled } from '../../src-compiler/compile/report';
import { loadModel } from '../../src-compiler/frontend/load';
import { canonicalize } from '../../src-compiler/passes/canonicalize';
import { generatedSamples } from '../../src-compiler/quant/calibration';
import { quantizeGraph } from '../../src-compiler/quant/quantize';
import { runInt8 } from '../../src-compiler/ref/int8';
import { sharedModel } from '../support/models';

const MODELS: [string, string, number?][] = [
  ['LeNet', 'caffe/lenet.prototxt'],
  ['cifar10_quick', 'caffe/cifar10_quick.prototxt'],
  ['mnist-8', 'onnx/mnist8/model.onnx'],
  ['CIFAR-10 CNN', 'onnx/cifar10_cnn_winml.onnx'],
  ['ultraface_slim', 'onnx/ultraface_slim_320_simplified.onnx'],
  ['SqueezeNet 1.1 (64x64)', 'caffe/squeezenet_v1.1.prototxt', 64],
  ['MobileNet v1 (64x64)', 'caffe/mobilenet_v1.prototxt', 64],
  ['VGG-16 (32x32)', 'caffe/vgg16.prototxt', 32],
  ['GoogLeNet', 'caffe/googlenet_without_lrn.prototxt'],
  ['ResNet-50', 'caffe/resnet50.prototxt'],
];

describe('bit-exact on ZU2 and ZU9, optimized and naive', () => {
  for (const [name, file, size] of MODELS)
    it(name, () => {
      const model = sharedModel(file);
      const raw = loadModel(model);
      const input = raw.inputs[0]!;
      const load = size ? { inputShapes: { [input]: [1, raw.tensors.get(input)!.shape[1]!, size, size] } } : {};
      const g = size ? loadModel(model, load) : raw;
      const lines: string[] = [];
      for (const archName of ['ZU9', 'ZU2']) {
        const arch = boardByName(archName)!;
        // One calibration sample keeps the test fast; quantization is the same for both modes.
        const canon = canonicalize(g, arch);
        const q = quantizeGraph(canon, generatedSamples(canon, 1, 3));
        const golden = runInt8(q, generatedSamples(q.graph, 1, 7)[0]!, { keepAll: true });
        const cycles: Record<string, number> = {};
        for (const naive of [true, false]) {
          const c = compileQuantized(model, g, q, { arch, naive });
          const v = validateCompiled(c, { golden, withFloat: false });
          const mode = naive ? 'naive' : 'optimized';
          expect(v.problems.filter((p) => p.severity === 'error').map((p) => p.message), `${archName} ${mode}`).toEqual([]);
          expect(v.mismatches, `${archName} ${mode}`).toEqual([]);
          expect(v.bitExact).toBe(true);
          const t = simulateCompiled(c);
          expect(t.status, `${archName} ${mode}: the timing simulation finishes (no deadlock)`).toBe('complete');
          expect(t.segments.flatMap((s) => s.problems).filter((p) => p.code === 'unbalanced-tokens'), 'no token is left over').toEqual([]);
          // Physics: no layer beats its roofline in the window it ran in, nor the program its own.
          for (const l of t.layers) expect(l.rooflineFraction, `${archName} ${mode} ${l.name}`).toBeLessThanOrEqual(1 + 1e-9);
          expect(t.rooflineFraction).toBeLessThanOrEqual(1 + 1e-9);
          cycles[mode] = t.cycles;
          lines.push(`${archName} ${mode}: ${v.layersChecked} layers bit-exact, ${c.segments.reduce((s, x) => s + x.instrs.length, 0)} instructions, ${(t.seconds * 1e3).toFixed(2)} ms per image`);
        }
        // Fusion never makes a program slower than its unfused baseline by more than noise.
        expect(cycles['optimized']!, `${archName}: optimized vs naive`).toBeLessThanOrEqual(cycles['naive']! * 1.02);
      }
      console.log(`${name}\n  ${lines.join('\n  ')}`);
    }, 600_000);
});
