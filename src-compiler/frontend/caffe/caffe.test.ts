import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../util/errors';
import { runFloat } from '../../ref/float';
import { SHARED_MODELS, sharedModel } from '../../../test/support/models';
import { importCaffe, importCaffeFile } from './import';
import { caffeType } from './schema';

/** Output shapes Caffe gives for the shared deploy files (batch sizes as the files declare them). */
const EXPECTED: Record<string, Record<string, number[]>> = {
  'vgg16.prototxt': { prob: [1, 1000], pool5: [1, 512, 7, 7] },
  'resnet50.prototxt': { prob: [1, 1000], pool1: [1, 64, 56, 56], pool5: [1, 2048, 1, 1] },
  'resnet50_without_bn.prototxt': { prob: [1, 1000] },
  'bvlc_googlenet.prototxt': { prob: [10, 1000], 'pool1/3x3_s2': [10, 64, 56, 56], 'inception_5b/output': [10, 1024, 7, 7] },
  'googlenet_without_lrn.prototxt': { prob: [1, 1000] },
  'bvlc_reference_caffenet.prototxt': { prob: [10, 1000], pool5: [10, 256, 6, 6], conv1: [10, 96, 55, 55] },
  'lenet.prototxt': { prob: [64, 10] },
  'cifar10_quick.prototxt': { prob: [1, 10], pool1: [1, 32, 16, 16] },
  'cifar10_full.prototxt': { prob: [1, 10] },
  'squeezenet_v1.1.prototxt': { prob: [10, 1000, 1, 1], pool1: [10, 64, 56, 56] },
  'mobilenet_v1.prototxt': { prob: [1, 1000, 1, 1] },
  'mobilenet_v1_without_bn.prototxt': { prob: [1, 1000, 1, 1] },
  'resnet18_cifar10.prototxt': {},
  'yolov2_xilinx_608.prototxt': {},
};

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

describe('Caffe import of the shared deploy prototxts', () => {
  const files = fs.readdirSync(path.join(SHARED_MODELS, 'caffe')).filter((f) => f.endsWith('.prototxt'));
  it('covers every file', () => {
    expect(files.sort()).toEqual(Object.keys(EXPECTED).sort());
  });
  for (const f of files) {
    it(`${f} imports with Caffe's output shapes`, () => {
      const g = importCaffeFile(sharedModel(`caffe/${f}`));
      expect(g.outputs.length).toBeGreaterThan(0);
      for (const [blob, shape] of Object.entries(EXPECTED[f]!)) {
        // In-place layers rename tensors; the blob's last version is the one named after it or `blob@layer`.
        const t = [...g.tensors.values()].filter((x) => x.name === blob || x.name.startsWith(`${blob}@`)).pop();
        expect(t, `${f}: blob ${blob}`).toBeDefined();
        expect(t!.shape, `${f}: blob ${blob}`).toEqual(shape);
      }
      for (const n of g.nodes) expect(n.origin.line, `${f}: ${n.name} has a line`).toBeGreaterThan(0);
    });
  }
  it('resnet18_cifar10 and yolov2 give the shapes their architectures imply', () => {
    const r = importCaffeFile(sharedModel('caffe/resnet18_cifar10.prototxt'));
    expect(r.outputs.map((o) => r.tensors.get(o)!.shape)).toEqual([[100, 10]]);
    const y = importCaffeFile(sharedModel('caffe/yolov2_xilinx_608.prototxt'));
    expect(y.outputs.map((o) => y.tensors.get(o)!.shape)).toEqual([[1, 425, 19, 19]]);
  });
});

const BODY = `
layer { name: "conv" type: "Convolution" bottom: "data" top: "conv"
  convolution_param { num_output: 2 kernel_size: 3 pad: 1 } }
layer { name: "relu" type: "ReLU" bottom: "conv" top: "conv" }
layer { name: "pool" type: "Pooling" bottom: "conv" top: "pool" pooling_param { pool: AVE kernel_size: 2 stride: 2 } }
`;

describe('Caffe input styles', () => {
  const styles = {
    inputLayer: `layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 3 dim: 6 dim: 6 } } }`,
    inputDim: `input: "data"\ninput_dim: 1\ninput_dim: 3\ninput_dim: 6\ninput_dim: 6`,
    inputShape: `input: "data"\ninput_shape { dim: 1 dim: 3 dim: 6 dim: 6 }`,
  };
  for (const [style, head] of Object.entries(styles)) {
    it(style, () => {
      const g = importCaffe(`name: "t"\n${head}\n${BODY}`, 't.prototxt');
      expect(g.inputs).toEqual(['data']);
      expect(g.tensors.get('data')!.shape).toEqual([1, 3, 6, 6]);
      expect(g.outputs.map((o) => g.tensors.get(o)!.shape)).toEqual([[1, 2, 3, 3]]);
      // In place: the ReLU writes a new version of blob "conv".
      expect(g.nodes.map((n) => n.op)).toEqual(['conv', 'relu', 'pool']);
      expect(g.nodes[1]!.outputs[0]).not.toBe('conv');
    });
  }

  it('reads the V1 `layers` format', () => {
    const g = importCaffe(
      `input: "data"\ninput_dim: 1\ninput_dim: 1\ninput_dim: 4\ninput_dim: 4
layers { name: "c" type: CONVOLUTION bottom: "data" top: "c" convolution_param { num_output: 3 kernel_size: 3 } }
layers { name: "r" type: RELU bottom: "c" top: "c" }
layers { name: "ip" type: INNER_PRODUCT bottom: "c" top: "ip" inner_product_param { num_output: 5 } }
layers { name: "p" type: SOFTMAX bottom: "ip" top: "p" }`,
      'v1.prototxt',
    );
    expect(g.nodes.map((n) => n.op)).toEqual(['conv', 'relu', 'flatten', 'gemm', 'softmax']);
    expect(g.tensors.get('p')!.shape).toEqual([1, 5]);
  });

  it('Deconvolution: output (H - 1) * stride + kernel - 2 * pad', () => {
    const g = importCaffe(
      `input: "x"\ninput_dim: 1\ninput_dim: 2\ninput_dim: 5\ninput_dim: 5
layer { name: "up" type: "Deconvolution" bottom: "x" top: "up" convolution_param { num_output: 3 kernel_size: 4 stride: 2 pad: 1 } }`,
      'd.prototxt',
    );
    expect(g.tensors.get('up')!.shape).toEqual([1, 3, 10, 10]);
    expect(g.tensors.get('up/weights')!.shape).toEqual([2, 3, 4, 4]);
  });

  it('rounds pooling up as Caffe does and averages over the padded window', () => {
    const g = importCaffe(
      `input: "x"\ninput_dim: 1\ninput_dim: 1\ninput_dim: 3\ninput_dim: 3
layer { name: "p" type: "Pooling" bottom: "x" top: "p" pooling_param { pool: AVE kernel_size: 2 stride: 2 pad: 1 } }`,
      'p.prototxt',
    );
    // ceil((3 + 2 - 2) / 2) + 1 = 3, and (3 - 1) * 2 = 4 >= 3 + 1 drops the last window: 2.
    expect(g.tensors.get('p')!.shape).toEqual([1, 1, 2, 2]);
    const y = runFloat(g, new Map([['x', Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9])]])).get('p')!.data;
    // Window (0,0) covers pad row/col and x[0][0]=1: Caffe divides by 4 (the padding counts).
    expect(y[0]).toBeCloseTo(1 / 4);
    // Window (1,1) covers x[1..2][1..2] = 5, 6, 8, 9: 28 / 4.
    expect(y[3]).toBeCloseTo(7);
  });
});

function caffemodel(layers: { name: string; blobs: { shape: number[]; data: number[] }[] }[], v1 = false): Uint8Array {
  const T = caffeType('NetParameter');
  const blob = (b: { shape: number[]; data: number[] }) =>
    v1 && b.shape.length === 4 ? { num: b.shape[0], channels: b.shape[1], height: b.shape[2], width: b.shape[3], data: b.data } : { shape: { dim: b.shape }, data: b.data };
  const msg = v1 ? { layers: layers.map((l) => ({ name: l.name, type: 4, blobs: l.blobs.map(blob) })) } : { layer: layers.map((l) => ({ name: l.name, type: 'X', blobs: l.blobs.map(blob) })) };
  return T.encode(T.fromObject(msg)).finish();
}

describe('.caffemodel weights', () => {
  const net = `input: "x"\ninput_dim: 1\ninput_dim: 1\ninput_dim: 2\ninput_dim: 2
layer { name: "c" type: "Convolution" bottom: "x" top: "c" convolution_param { num_output: 1 kernel_size: 1 } }
layer { name: "bn" type: "BatchNorm" bottom: "c" top: "c" }
layer { name: "sc" type: "Scale" bottom: "c" top: "c" scale_param { bias_term: true } }`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dnnvm-caffe-'));
  const weights = [
    { name: 'c', blobs: [{ shape: [1, 1, 1, 1], data: [2] }, { shape: [1], data: [1] }] },
    // Running sums: mean = 6 / 2 = 3, var = 8 / 2 = 4, scale factor 2.
    { name: 'bn', blobs: [{ shape: [1], data: [6] }, { shape: [1], data: [8] }, { shape: [1], data: [2] }] },
    { name: 'sc', blobs: [{ shape: [1], data: [10] }, { shape: [1], data: [0.5] }] },
  ];
  for (const v1 of [false, true]) {
    it(`loads weights (${v1 ? 'V1' : 'current'} layer format) and applies BatchNorm's scale factor`, () => {
      const f = path.join(dir, `w${v1 ? 1 : 2}.caffemodel`);
      fs.writeFileSync(f, caffemodel(weights, v1));
      const g = importCaffe(net, 'n.prototxt', { weightsFile: f });
      expect(g.generatedWeights).toBe(false);
      const y = runFloat(g, new Map([['x', Float32Array.of(0, 1, 2, 3)]])).get(g.outputs[0]!)!.data;
      // ((2x + 1) - 3) / sqrt(4 + 1e-5) * 10 + 0.5
      Array.from(y).forEach((v, i) => expect(v).toBeCloseTo(((2 * i + 1 - 3) / Math.sqrt(4 + 1e-5)) * 10 + 0.5, 4));
    });
  }
  it('rejects missing and mis-shaped weights, and damaged files', () => {
    const f = path.join(dir, 'bad.caffemodel');
    fs.writeFileSync(f, caffemodel([weights[0]!]));
    expectUserError(() => importCaffe(net, 'n.prototxt', { weightsFile: f }), /BatchNorm 'bn': has no weights/);
    fs.writeFileSync(f, caffemodel([{ name: 'c', blobs: [{ shape: [2, 1, 1, 1], data: [1, 2] }] }]));
    expectUserError(() => importCaffe(net, 'n.prototxt', { weightsFile: f }), /weights blob 0 has shape \[2,1,1,1\], expected \[1,1,1,1\]/);
    const good = caffemodel(weights);
    fs.writeFileSync(f, good.subarray(0, good.length - 3));
    expectUserError(() => importCaffe(net, 'n.prototxt', { weightsFile: f }), /not a valid .caffemodel|has \d+ values/);
  });
});

describe('Caffe errors carry the line and column', () => {
  const head = `input: "data"\ninput_dim: 1\ninput_dim: 3\ninput_dim: 8\ninput_dim: 8\n`;
  it('unknown layer type', () => {
    const e = expectUserError(() => importCaffe(`${head}layer { name: "w" type: "Warp" bottom: "data" top: "w" }`, 'u.prototxt'), /Warp 'w': unknown layer type 'Warp'/);
    expect(e.location).toMatchObject({ file: 'u.prototxt', line: 6, col: 1 });
  });
  it('a bottom nothing produces', () => {
    const e = expectUserError(() => importCaffe(`${head}layer { name: "r" type: "ReLU" bottom: "nope" top: "r" }`, 'b.prototxt'), /bottom 'nope' is not produced/);
    expect(e.location.line).toBe(6);
  });
  it('a field of the wrong type, and an unknown field', () => {
    const e = expectUserError(
      () => importCaffe(`${head}layer { name: "c" type: "Convolution" bottom: "data" top: "c"\n convolution_param { num_output: "ten" kernel_size: 3 } }`, 't.prototxt'),
      /field 'num_output' .* should be a non-negative integer, got "ten"/,
    );
    expect(e.location).toMatchObject({ line: 7 });
    expectUserError(() => importCaffe(`${head}layer { name: "c" type: "Convolution" bottom: "data" top: "c" convolution_param { num_output: 2 kernal_size: 3 } }`, 't.prototxt'), /unknown field 'kernal_size'/);
  });
  it('a syntax error', () => {
    const e = expectUserError(() => importCaffe(`${head}layer { name: "c" type: "ReLU"`, 's.prototxt'), /never closed/);
    expect(e.location.line).toBe(6);
  });
  it('a shape mismatch', () => {
    expectUserError(
      () => importCaffe(`${head}layer { name: "c" type: "Convolution" bottom: "data" top: "c" convolution_param { num_output: 2 kernel_size: 9 } }`, 'm.prototxt'),
      /Convolution 'c': window of 9 does not fit/,
    );
    expectUserError(
      () =>
        importCaffe(
          `${head}layer { name: "p" type: "Pooling" bottom: "data" top: "p" pooling_param { kernel_size: 2 stride: 2 } }\nlayer { name: "e" type: "Eltwise" bottom: "data" bottom: "p" top: "e" }`,
          'm.prototxt',
        ),
      /Eltwise 'e': bottoms have different shapes/,
    );
  });
});
