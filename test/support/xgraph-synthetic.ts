// ResNet-shaped XGraphs (as the language server's `dnnvm/xgraph` returns them) for the webview's tests and
// the layout benchmark: ResNet-152 is not among the shared models, so its graph is stacked here from
// bottleneck blocks, the way the network is defined (He et al. 2016: stages of 3, 8, 36 and 3 blocks).

import type { XGraphNode, XGraphResult } from '../../server/src/protocol';

export interface ResNetOptions {
  /** Blocks per stage; ResNet-152 by default. */
  readonly stages?: readonly number[];
  /**
   * 'canonical': the graph after canonicalization (BatchNorm and Scale folded, ReLU fused), as the
   * compiler and so the webview see it; 'raw': every Caffe layer (Convolution, BatchNorm, Scale, ReLU,
   * Eltwise) as a node, a bigger graph for a stress test.
   */
  readonly form?: 'canonical' | 'raw';
}

export const RESNET152_STAGES = [3, 8, 36, 3] as const;

/** Count of the convolution and fully connected layers (the "152"). */
export function weightedLayers(stages: readonly number[]): number {
  return 1 + stages.reduce((a, b) => a + 3 * b, 0) + 1;
}

export function resnetXGraph(opts: ResNetOptions = {}): XGraphResult {
  const stages = opts.stages ?? RESNET152_STAGES;
  const raw = opts.form === 'raw';
  const nodes: XGraphNode[] = [];
  const edges: { from: string; to: string; tensor: string }[] = [];
  const groups: { id: string; template: string; nodes: string[] }[] = [];
  let line = 1;
  let asmLine = 0;
  let cycles = 1000;
  const add = (id: string, op: string, shape: number[], inputs: string[], group?: string, device: 'dpu' | 'cpu' = 'dpu') => {
    // A deterministic spread of latencies over two orders of magnitude.
    cycles = (cycles * 7919 + 104729) % 400_000;
    nodes.push({
      id,
      op,
      device,
      shape,
      ...(group ? { group } : {}),
      ...(device === 'dpu' ? { cycles: 2000 + cycles, ops: cycles * 512, asmLine: (asmLine += 40) } : { reason: 'softmax runs on the CPU' }),
      origin: { file: '/models/resnet152.prototxt', name: id, line: (line += 12) },
    });
    for (const i of inputs) edges.push({ from: i, to: id, tensor: i });
    return id;
  };
  /** conv (+ bn + scale (+ relu)) in raw form, conv in canonical form; returns the last node. */
  const conv = (name: string, shape: number[], input: string, relu: boolean, members: string[]) => {
    let x = add(name, 'conv', shape, [input]);
    members.push(x);
    if (raw) {
      for (const [suffix, op] of [['bn', 'batchnorm'], ['scale', 'scale'], ...(relu ? [['relu', 'relu']] : [])] as const) {
        x = add(`${name}_${suffix}`, op, shape, [x]);
        members.push(x);
      }
    }
    return x;
  };
  const stem: string[] = [];
  let x = conv('conv1', [1, 64, 112, 112], 'data', true, stem);
  nodes.unshift({ id: 'data', op: 'input', device: 'cpu', shape: [1, 3, 224, 224], reason: 'graph input', origin: { file: '/models/resnet152.prototxt', name: 'data', line: 1 } });
  edges.unshift({ from: 'data', to: 'conv1', tensor: 'data' });
  x = add('pool1', 'pool', [1, 64, 56, 56], [x]);
  stem.push('pool1');
  groups.push({ id: 'conv+pool#0', template: 'conv+pool', nodes: stem });
  let size = 56;
  stages.forEach((blocks, s) => {
    const width = 64 << s;
    if (s > 0) size /= 2;
    for (let b = 0; b < blocks; b++) {
      const base = `res${s + 2}${b === 0 ? 'a' : `b${b}`}`;
      const members: string[] = [];
      const shape = [1, width, size, size];
      const out = [1, width * 4, size, size];
      const a = conv(`${base}_branch2a`, shape, x, true, members);
      const bb = conv(`${base}_branch2b`, shape, a, true, members);
      const c = conv(`${base}_branch2c`, out, bb, false, members);
      const shortcut = b === 0 ? conv(`${base}_branch1`, out, x, false, members) : x;
      let y = add(base, 'eltwise', out, [c, shortcut]);
      members.push(y);
      if (raw) {
        y = add(`${base}_relu`, 'relu', out, [y]);
        members.push(y);
      }
      groups.push({ id: `${base}#${groups.length}`, template: b === 0 ? 'bottleneck+projection' : 'bottleneck', nodes: members });
      x = y;
    }
  });
  x = add('pool5', 'pool', [1, 2048, 1, 1], [x]);
  x = add('fc1000', 'conv', [1, 1000, 1, 1], [x]);
  add('prob', 'softmax', [1, 1000], [x], undefined, 'cpu');
  return { name: `resnet${weightedLayers(stages)}${raw ? '-raw' : ''}`, arch: 'ZU9', nodes, edges, groups };
}
