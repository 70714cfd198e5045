// GoogLeNet (Szegedy et al., "Going deeper with convolutions", CVPR 2015), written out by this project
// as a Caffe network definition: the layer table of the paper (Table 1), 224 x 224 RGB input, nine
// Inception modules, average pool, 1000-way classifier. Two departures from the paper, both the
// usual ones of DPU deployments (the Vitis AI Inception-v1): no local response normalization (the
// DPU has no instruction for it; it would run on the host between DPU segments) and no auxiliary
// classifiers (training only). The definition has no weights: the Caffe importer generates them
// from a fixed seed (He initialization, frontend/weights.ts), so that every run compiles the same
// network bit for bit.

/** One Inception module: #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj (the paper's Table 1). */
type Inception = readonly [name: string, c1: number, r3: number, c3: number, r5: number, c5: number, pp: number];

const INCEPTION: readonly Inception[] = [
  ['3a', 64, 96, 128, 16, 32, 32],
  ['3b', 128, 128, 192, 32, 96, 64],
  ['4a', 192, 96, 208, 16, 48, 64],
  ['4b', 160, 112, 224, 24, 64, 64],
  ['4c', 128, 128, 256, 24, 64, 64],
  ['4d', 112, 144, 288, 32, 64, 64],
  ['4e', 256, 160, 320, 32, 128, 128],
  ['5a', 256, 160, 320, 32, 128, 128],
  ['5b', 384, 192, 384, 48, 128, 128],
];

/** Max pools between stages: after these modules' outputs. */
const POOL_AFTER = new Set(['3b', '4e']);

export const GOOGLENET_NAME = 'googlenet';

/** The network definition (prototxt text). */
export function googlenetPrototxt(): string {
  const out: string[] = [];
  out.push(`# GoogLeNet (Szegedy et al. 2015, Table 1), written by dnnvm: no LRN, no auxiliary classifiers;`);
  out.push(`# no weights in the file: they are generated from a fixed seed when the model is loaded.`);
  out.push(`name: "GoogLeNet"`);
  out.push(`layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 3 dim: 224 dim: 224 } } }`);
  const conv = (name: string, bottom: string, n: number, k: number, stride = 1, pad = 0) => {
    out.push(`layer { name: "${name}" type: "Convolution" bottom: "${bottom}" top: "${name}" convolution_param { num_output: ${n} kernel_size: ${k} stride: ${stride} pad: ${pad} } }`);
    out.push(`layer { name: "${name}/relu" type: "ReLU" bottom: "${name}" top: "${name}" }`);
    return name;
  };
  const pool = (name: string, bottom: string, kind: 'MAX' | 'AVE', k: number, stride: number, pad = 0) => {
    out.push(`layer { name: "${name}" type: "Pooling" bottom: "${bottom}" top: "${name}" pooling_param { pool: ${kind} kernel_size: ${k} stride: ${stride} pad: ${pad} } }`);
    return name;
  };
  let x = conv('conv1/7x7_s2', 'data', 64, 7, 2, 3);
  x = pool('pool1/3x3_s2', x, 'MAX', 3, 2);
  x = conv('conv2/3x3_reduce', x, 64, 1);
  x = conv('conv2/3x3', x, 192, 3, 1, 1);
  x = pool('pool2/3x3_s2', x, 'MAX', 3, 2);
  for (const [m, c1, r3, c3, r5, c5, pp] of INCEPTION) {
    const p = `inception_${m}`;
    const b1 = conv(`${p}/1x1`, x, c1, 1);
    const b3 = conv(`${p}/3x3`, conv(`${p}/3x3_reduce`, x, r3, 1), c3, 3, 1, 1);
    const b5 = conv(`${p}/5x5`, conv(`${p}/5x5_reduce`, x, r5, 1), c5, 5, 1, 2);
    const bp = conv(`${p}/pool_proj`, pool(`${p}/pool`, x, 'MAX', 3, 1, 1), pp, 1);
    out.push(`layer { name: "${p}/output" type: "Concat" bottom: "${b1}" bottom: "${b3}" bottom: "${b5}" bottom: "${bp}" top: "${p}/output" }`);
    x = `${p}/output`;
    if (POOL_AFTER.has(m)) x = pool(`pool${m[0]}/3x3_s2`, x, 'MAX', 3, 2);
  }
  x = pool('pool5/7x7_s1', x, 'AVE', 7, 1);
  out.push(`layer { name: "loss3/classifier" type: "InnerProduct" bottom: "${x}" top: "loss3/classifier" inner_product_param { num_output: 1000 } }`);
  out.push(`layer { name: "prob" type: "Softmax" bottom: "loss3/classifier" top: "prob" }`);
  return out.join('\n') + '\n';
}

/** Built-in models by name: their network definitions, written by the project. */
export const BUILTIN_MODELS: Readonly<Record<string, { readonly description: string; readonly file: string; readonly text: () => string }>> = {
  [GOOGLENET_NAME]: { description: 'GoogLeNet (Inception v1) at 224x224, no LRN; weights from a fixed seed', file: 'googlenet.prototxt', text: googlenetPrototxt },
};
