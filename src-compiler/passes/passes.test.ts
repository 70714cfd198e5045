import { describe, expect, it } from 'vitest';
import { deriveArch } from '../arch/model';
import { boardByName } from '../arch/presets';
import { importCaffeFile } from '../frontend/caffe/import';
import { importOnnxFile } from '../frontend/onnx/import';
import { runFloat } from '../ref/float';
import type { XGraph } from '../xgraph/types';
import { TestGraph, randomInput } from '../../test/support/graphs';
import { sharedModel } from '../../test/support/models';
import { firstMismatch } from '../../test/support/onnx-data';
import { canonicalize } from './canonicalize';
import { batchOne } from './batch';
import { fcToConv, simplifyReshapes } from './fc';
import { batchNormToDepthwise, dropIdentities, foldIntoConv } from './fold';
import { fuseActivations, partition } from './partition';

const ZU9 = boardByName('ZU9')!;

/** The pass keeps the graph's meaning: same outputs (float) on a random input. */
function expectSameMeaning(a: XGraph, b: XGraph, rtol = 1e-4, atol = 1e-5, seed = 5): void {
  const inp = randomInput(a, seed);
  const ra = runFloat(a, inp);
  const rb = runFloat(b, inp);
  expect(b.outputs).toEqual(a.outputs);
  for (const o of a.outputs) {
    expect(rb.get(o)!.shape).toEqual(ra.get(o)!.shape);
    const bad = firstMismatch(rb.get(o)!.data, ra.get(o)!.data, rtol, atol);
    expect(bad, `output ${o}: ${JSON.stringify(bad)}`).toBeUndefined();
  }
}

describe('dropIdentities', () => {
  it('removes Identity and Dropout, keeping output names', () => {
    const t = new TestGraph();
    const x = t.input('x', [1, 2, 4, 4]);
    const d = t.node('dropout', {}, [x], 'd');
    const c = t.conv(d, 'c', 2, 1);
    t.node('identity', {}, [c], 'out');
    const g = t.finish(['out']);
    const h = dropIdentities(g);
    expect(h.nodes.map((n) => n.op)).toEqual(['conv']);
    expect(h.nodes[0]!.outputs).toEqual(['out']);
    expectSameMeaning(g, h);
  });
});

describe('foldIntoConv', () => {
  function convBnScale(extraUse: boolean) {
    const t = new TestGraph();
    const x = t.input('x', [1, 3, 6, 6]);
    const c = t.conv(x, 'c', 4, 3, { pad: 1 });
    const bn = t.node('batchNorm', { epsilon: 1e-5 }, [c, t.const('g', [4], 0.5, 1.5), t.const('b', [4]), t.const('m', [4]), t.const('v', [4], 0.5, 2)], 'bn');
    const s = t.node('mul', {}, [bn, t.const('sc', [4, 1, 1], 0.5, 2)], 's');
    const y = t.node('add', {}, [t.const('sb', [1, 4, 1, 1]), s], 'y');
    const outs = [y];
    if (extraUse) outs.push(t.node('relu', {}, [c], 'side'));
    return t.finish(outs);
  }
  it('folds BatchNorm, per-channel scale and bias into the convolution', () => {
    const g = convBnScale(false);
    const h = foldIntoConv(g);
    expect(h.nodes.map((n) => n.op)).toEqual(['conv']);
    expect(h.nodes[0]!.merged!.map((m) => m.name)).toEqual(['bn', 's', 'y']);
    expectSameMeaning(g, h);
  });
  it('does not fold when the convolution output has another use', () => {
    const h = foldIntoConv(convBnScale(true));
    expect(h.nodes.map((n) => n.op)).toContain('batchNorm');
  });
  it('turns a standalone BatchNorm into a depthwise 1x1 convolution', () => {
    const t = new TestGraph();
    const x = t.input('x', [1, 3, 4, 4]);
    t.node('batchNorm', { epsilon: 1e-3 }, [x, t.const('g', [3]), t.const('b', [3]), t.const('m', [3]), t.const('v', [3], 0.1, 1)], 'bn');
    const g = t.finish(['bn']);
    const h = batchNormToDepthwise(g);
    expect(h.nodes[0]).toMatchObject({ op: 'conv', attrs: { group: 3, kernel: [1, 1] } });
    expectSameMeaning(g, h);
  });
});

describe('fcToConv and simplifyReshapes', () => {
  it('Flatten -> Gemm -> ReLU -> Gemm becomes HxW conv -> ReLU -> 1x1 conv, no reshapes between', () => {
    const t = new TestGraph();
    const x = t.input('x', [2, 3, 4, 4]);
    const f = t.node('flatten', { axis: 1 }, [x], 'f');
    const fc1 = t.node('gemm', { alpha: 1, beta: 1, transA: false, transB: true }, [f, t.const('w1', [5, 48]), t.const('b1', [5])], 'fc1');
    const r = t.node('relu', {}, [fc1], 'r');
    t.node('gemm', { alpha: 0.5, beta: 2, transA: false, transB: false }, [r, t.const('w2', [5, 3]), t.const('b2', [3])], 'fc2');
    const g = t.finish(['fc2']);
    const h = simplifyReshapes(fcToConv(g));
    expect(h.nodes.map((n) => n.op)).toEqual(['conv', 'relu', 'conv', 'reshape']);
    expect(h.nodes[0]).toMatchObject({ attrs: { kernel: [4, 4] } });
    expectSameMeaning(g, h);
  });
  it('MatMul followed by Add of a constant row becomes a convolution with bias', () => {
    const t = new TestGraph();
    const x = t.input('x', [1, 6]);
    const mm = t.node('matmul', {}, [x, t.const('w', [6, 4])], 'mm');
    t.node('add', {}, [mm, t.const('b', [1, 4])], 'y');
    const g = t.finish(['y']);
    const h = fcToConv(g);
    expect(h.nodes.map((n) => n.op)).toEqual(['reshape', 'conv', 'reshape']);
    expect(h.nodes[1]!.inputs.length).toBe(3);
    expectSameMeaning(g, h);
  });
});

describe('fuseActivations', () => {
  function convAct(op: 'relu' | 'leakyRelu' | 'clip', attrs: unknown) {
    const t = new TestGraph();
    const x = t.input('x', [1, 2, 4, 4]);
    t.node(op, attrs, [t.conv(x, 'c', 2, 3, { pad: 1 })], 'a');
    return t.finish(['a']);
  }
  it('attaches ReLU, leaky ReLU 0.1 and ReLU6 to the convolution', () => {
    for (const [op, attrs, kind] of [
      ['relu', {}, 'relu'],
      ['leakyRelu', { alpha: 0.1 }, 'leaky'],
      ['clip', { min: 0, max: 6 }, 'relu6'],
    ] as const) {
      const g = convAct(op, attrs);
      const h = fuseActivations(g, ZU9);
      expect(h.nodes.length).toBe(1);
      expect(h.nodes[0]).toMatchObject({ op: 'conv', attrs: { act: { kind } } });
      expectSameMeaning(g, h);
    }
  });
  it('leaves what the target cannot do: a leaky slope of 0.2, or an activation the architecture lacks', () => {
    expect(fuseActivations(convAct('leakyRelu', { alpha: 0.2 }), ZU9).nodes.length).toBe(2);
    const noRelu6 = deriveArch({ ...ZU9, dpu: { ...ZU9.dpu, nonlinear: ['relu'] } });
    expect(fuseActivations(convAct('clip', { min: 0, max: 6 }), noRelu6).nodes.length).toBe(2);
  });
});

describe('partition', () => {
  it('reads the convolution limits from the architecture', () => {
    const t = new TestGraph();
    const x = t.input('x', [1, 2, 8, 8]);
    t.conv(x, 'c', 2, 5, { pad: 2 });
    const g = t.finish(['c']);
    expect(partition(g, ZU9).nodes[0]!.device).toBe('dpu');
    const small = deriveArch({ ...ZU9, name: 'small', dpu: { ...ZU9.dpu, convKernel: [1, 3] } });
    const p = partition(g, small).nodes[0]!;
    expect(p.device).toBe('cpu');
    expect(p.deviceReason).toMatch(/kernel 5x5 is outside the convolution limits of small/);
  });
  it('checks input channels against the channel_group field and filters against the weight bank depth', () => {
    const t = new TestGraph();
    const x = t.input('x', [1, 4096, 1, 1]);
    t.conv(x, 'fc', 8, 1);
    const y = t.input('y', [1, 2048, 9, 9]);
    t.conv(y, 'big', 8, 3);
    const g = t.finish(['fc', 'big']);
    const on = (arch: typeof ZU9) => new Map(partition(g, arch).nodes.map((n) => [n.name, n]));
    // B4096 (ICP 16): 4096 / 16 = 256 channel groups fit; 3 x 3 x 128 = 1152 addresses fit 2048.
    expect(on(ZU9).get('fc')!.device).toBe('dpu');
    expect(on(ZU9).get('big')!.device).toBe('dpu');
    // B1152 (ICP 12): 4096 / 12 needs 342 groups; 3 x 3 x 171 = 1539 addresses still fit.
    const zu2 = boardByName('ZU2')!;
    expect(on(zu2).get('fc')!.deviceReason).toMatch(/4096 input channels need channel_group 342; the CONV field holds at most 256/);
    expect(on(zu2).get('big')!.device).toBe('dpu');
    const shallow = deriveArch({ ...ZU9, name: 'shallow', dpu: { ...ZU9.dpu, bankDepth: 1024 } });
    expect(on(shallow).get('big')!.deviceReason).toMatch(/needs 1152 weight-bank addresses; a bank has 1024/);
  });

  it('sends to the CPU what the DPU cannot do, with the reason', () => {
    const t = new TestGraph();
    const x = t.input('x', [1, 4, 16, 16]);
    const p1 = t.node('pool', { kind: 'avg', kernel: [16, 16], stride: [1, 1], dilation: [1, 1], pads: [0, 0, 0, 0], ceil: false, countIncludePad: false }, [x], 'big');
    const p2 = t.node('pool', { kind: 'avg', kernel: [3, 3], stride: [1, 1], dilation: [1, 1], pads: [1, 1, 1, 1], ceil: false, countIncludePad: false }, [x], 'excl');
    const p3 = t.node('pool', { kind: 'max', kernel: [3, 3], stride: [2, 2], dilation: [1, 1], pads: [0, 0, 0, 0], ceil: true, countIncludePad: false }, [x], 'maxceil');
    const s = t.node('softmax', { axis: 1, coerce2d: false }, [x], 'sm');
    const g = t.finish([p1, p2, p3, s]);
    const by = new Map(partition(g, ZU9).nodes.map((n) => [n.name, n]));
    expect(by.get('big')!.deviceReason).toMatch(/exceeds the POOLINIT kernel fields/);
    expect(by.get('excl')!.deviceReason).toMatch(/divisor excludes padding/);
    expect(by.get('maxceil')!.device).toBe('dpu');
    expect(by.get('sm')!.deviceReason).toMatch(/softmax runs on the host/);
  });
});

describe('canonicalize keeps the meaning of real models', () => {
  const cases: [string, () => XGraph, number][] = [
    ['mnist-8', () => importOnnxFile(sharedModel('onnx/mnist8/model.onnx')), 1e-4],
    ['CIFAR-10 CNN', () => importOnnxFile(sharedModel('onnx/cifar10_cnn_winml.onnx')), 1e-4],
    ['ultraface_slim', () => importOnnxFile(sharedModel('onnx/ultraface_slim_320_simplified.onnx')), 1e-3],
    ['LeNet (Caffe)', () => importCaffeFile(sharedModel('caffe/lenet.prototxt')), 1e-3],
    ['cifar10_full (Caffe)', () => importCaffeFile(sharedModel('caffe/cifar10_full.prototxt')), 1e-3],
  ];
  for (const [name, load, rtol] of cases) {
    it(name, () => {
      const g = load();
      const h = canonicalize(g, ZU9);
      expect(h.nodes.every((n) => n.device)).toBe(true);
      // Canonicalization compiles one image of a batch (batchOne, tested below).
      expectSameMeaning(batchOne(g), h, rtol, 1e-4);
    });
  }
});

describe('batchOne', () => {
  it('turns a batch-64 model into the model of one image: same outputs as image 0 of the batch', () => {
    const g = importCaffeFile(sharedModel('caffe/lenet.prototxt'));
    expect(g.tensors.get('data')!.shape).toEqual([64, 1, 28, 28]);
    const one = batchOne(g);
    expect(one.tensors.get('data')!.shape).toEqual([1, 1, 28, 28]);
    expect(one.tensors.get(one.outputs[0]!)!.shape).toEqual([1, 10]);
    const inp = randomInput(g, 3);
    const x = inp.get('data')!;
    const full = runFloat(g, inp).get(g.outputs[0]!)!.data;
    const first = runFloat(one, new Map([['data', x.subarray(0, 784)]])).get(one.outputs[0]!)!.data;
    expect(firstMismatch(first, full.subarray(0, 10), 1e-5, 1e-6)).toBeUndefined();
    expect(batchOne(one)).toBe(one);
  });
});
