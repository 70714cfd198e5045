// The compiler's behaviour around its edges: host fallback with reasons, clear errors for what no
// tiling fits, progress and cancellation, and the fusion report.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { boardByName } from '../../src-compiler/arch/presets';
import { compileModel, compileQuantized } from '../../src-compiler/compile/compile';
import { validateCompiled } from '../../src-compiler/compile/validate';
import { loadModel } from '../../src-compiler/frontend/load';
import { canonicalize } from '../../src-compiler/passes/canonicalize';
import { quantizeFromStats } from '../../src-compiler/quant/quantize';
import { CancelledError, UserError } from '../../src-compiler/util/errors';
import { googlenetPrototxt } from '../../src-compiler/models/googlenet';
import { sharedModel } from '../support/models';

const ZU9 = boardByName('ZU9')!;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dnnvm-compile-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function prototxt(name: string, body: string): string {
  const file = path.join(dir, `${name}.prototxt`);
  fs.writeFileSync(file, `name: "${name}"\n${body}`);
  return file;
}

describe('what the DPU cannot run', () => {
  it('runs a 17x17 convolution on the host, says why with the limit, and stays bit-exact', () => {
    const file = prototxt(
      'k17',
      `input: "data"\ninput_shape { dim: 1 dim: 3 dim: 40 dim: 40 }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 8 kernel_size: 17 } }
layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
layer { name: "conv2" type: "Convolution" bottom: "conv1" top: "conv2" convolution_param { num_output: 8 kernel_size: 3 } }
`,
    );
    const c = compileModel(file, { arch: ZU9 });
    const host = c.lowered.steps.flatMap((s) => (s.kind === 'host' ? [s.op.node] : []));
    expect(host.map((n) => n.name)).toEqual(['conv1']);
    expect(host[0]!.deviceReason).toMatch(/kernel 17x17 is outside the convolution limits of ZU9 \(1\.\.16\)/);
    const v = validateCompiled(c, { withFloat: false });
    expect(v.mismatches).toEqual([]);
    expect(v.bitExact).toBe(true);
  });

  it('refuses a model with nothing for the DPU, naming each layer and its limit', () => {
    const file = prototxt('bigpool', `input: "data"\ninput_shape { dim: 1 dim: 16 dim: 40 dim: 40 }\nlayer { name: "pool1" type: "Pooling" bottom: "data" top: "pool1" pooling_param { pool: MAX kernel_size: 12 stride: 1 } }\n`);
    expect(() => compileModel(file, { arch: ZU9 })).toThrow(UserError);
    expect(() => compileModel(file, { arch: ZU9 })).toThrow(/pool1 \(pool window 12x12 exceeds the POOLINIT kernel fields \(1\.\.8\)\)/);
  });

  it('sends a convolution whose one filter exceeds a weight bank to the host with the numbers', () => {
    const file = prototxt('wide', `input: "data"\ninput_shape { dim: 1 dim: 4096 dim: 8 dim: 8 }\nlayer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 16 kernel_size: 16 pad: 4 } }\n`);
    expect(() => compileModel(file, { arch: ZU9 })).toThrow(/conv1 \(a filter of 16x16 x 256 channel groups needs 65536 weight-bank addresses; a bank has 2048\)/);
  });
});

describe('progress and cancellation', () => {
  const model = sharedModel('caffe/googlenet_without_lrn.prototxt');
  const g = loadModel(model);
  const canon = canonicalize(g, ZU9);
  const stats = new Map([...canon.tensors.keys()].map((t) => [t, 4]));
  const q = quantizeFromStats(canon, stats, 1);

  it('reports generation progress up to every operation', () => {
    const seen: [string, number, number][] = [];
    compileQuantized(model, g, q, { arch: ZU9, onProgress: (s, d, t) => seen.push([s, d, t]) });
    const gen = seen.filter(([s]) => s === 'generate');
    expect(gen.length).toBeGreaterThan(50);
    expect(gen[gen.length - 1]![1]).toBe(gen[gen.length - 1]![2]);
  });

  it('stops with CancelledError when asked, in the strategy search or in generation', () => {
    let total = 0;
    compileQuantized(model, g, q, { arch: ZU9, isCancelled: () => (total++, false) });
    expect(total).toBeGreaterThan(20);
    for (const after of [1, Math.floor(total / 3), total - 2]) {
      let calls = 0;
      expect(() => compileQuantized(model, g, q, { arch: ZU9, isCancelled: () => ++calls > after })).toThrow(CancelledError);
    }
  });
});

describe('the fusion report', () => {
  it('lists candidates of every template GoogLeNet and ResNet-50 contain, and a cover that is exact', () => {
    const templates = new Set<string>();
    for (const f of ['caffe/googlenet_without_lrn.prototxt', 'caffe/resnet50.prototxt', 'caffe/mobilenet_v1.prototxt']) {
      const model = sharedModel(f);
      const g = loadModel(model);
      const canon = canonicalize(g, ZU9);
      const q = quantizeFromStats(canon, new Map([...canon.tensors.keys()].map((t) => [t, 4])), 1);
      const c = compileQuantized(model, g, q, { arch: ZU9 });
      for (const seg of c.segments) {
        const fusion = seg.fusion!;
        for (const k of fusion.candidates) templates.add(k.template);
        // Every DPU operation of the segment is in exactly one chosen group.
        const covered = fusion.chosen.flatMap((ch) => ch.spec.nodes);
        expect(new Set(covered).size).toBe(covered.length);
        // The strategy is never worse than running every layer alone, by its own estimates.
        expect(fusion.estimatedCycles).toBeLessThanOrEqual(fusion.unfusedCycles + 1e-6);
      }
    }
    expect([...templates].sort()).toEqual(expect.arrayContaining(['conv+conv', 'conv+pool', 'pool+conv', 'conv+eltwise', 'depthwise+pointwise', 'conv+conv+eltwise']));
  });
});

describe('the built-in GoogLeNet (npm start)', () => {
  it('has the paper\'s layers, compiles for ZU9 into one DPU segment and runs bit-exactly', () => {
    const file = path.join(dir, 'googlenet.prototxt');
    fs.writeFileSync(file, googlenetPrototxt());
    const g = loadModel(file);
    // 3 stem convolutions and 6 per Inception module x 9 (the classifier is not counted).
    expect(g.nodes.filter((n) => n.op === 'conv' && n.name !== 'loss3/classifier')).toHaveLength(3 + 6 * 9);
    expect(g.nodes.filter((n) => n.op === 'concat')).toHaveLength(9);
    const canon = canonicalize(g, ZU9);
    const q = quantizeFromStats(canon, new Map([...canon.tensors.keys()].map((t) => [t, 4])), 1);
    const c = compileQuantized(file, g, q, { arch: ZU9 });
    expect(c.segments).toHaveLength(1);
    const v = validateCompiled(c, { withFloat: false });
    expect(v.mismatches).toEqual([]);
    expect(v.bitExact).toBe(true);
    // Same file text every time: the weights come from a fixed seed, the definition from code.
    expect(googlenetPrototxt()).toBe(fs.readFileSync(file, 'utf8'));
  });
});
