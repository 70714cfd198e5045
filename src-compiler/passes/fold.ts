// Canonicalization passes that simplify the graph without looking at the target: drop Identity and
// Dropout, fold BatchNorm / per-channel scale / per-channel bias into the preceding convolution, and
// turn standalone BatchNorms into depthwise 1x1 convolutions. Each is a function XGraph -> XGraph.

import { consumers, producers, rebuild } from '../xgraph/graph';
import { numel } from '../xgraph/shapes';
import type { NodeOf, Origin, XGraph, XNode, XTensor } from '../xgraph/types';
import { constFloat } from '../xgraph/weights';

/** Replace every use of tensor `from` by `to` in `nodes` and `outputs`. */
export function renameUses(nodes: XNode[], from: string, to: string): XNode[] {
  return nodes.map((n) => (n.inputs.includes(from) ? ({ ...n, inputs: n.inputs.map((i) => (i === from ? to : i)) } as XNode) : n));
}

/**
 * Drop Identity and Dropout (inference) nodes. The consumers read the node's input instead; when the
 * dropped node's output is a graph output, the producer of its input is renamed to keep the output's
 * name (if that is impossible, e.g. input -> Identity -> output, the node stays).
 */
export function dropIdentities(g: XGraph): XGraph {
  let nodes = [...g.nodes];
  const outputs = new Set(g.outputs);
  const inputs = new Set(g.inputs);
  for (const n of g.nodes) {
    if (n.op !== 'identity' && n.op !== 'dropout') continue;
    const src = n.inputs[0]!;
    const out = n.outputs[0]!;
    if (!outputs.has(out)) {
      nodes = renameUses(nodes.filter((m) => m !== n), out, src);
      continue;
    }
    const srcTensor = g.tensors.get(src)!;
    if (srcTensor.kind !== 'value' || outputs.has(src) || inputs.has(src)) continue;
    // Rename the producer's output to the graph output name.
    nodes = nodes
      .filter((m) => m !== n)
      .map((m) => (m.outputs.includes(src) ? ({ ...m, outputs: m.outputs.map((o) => (o === src ? out : o)) } as XNode) : m));
    nodes = renameUses(nodes, src, out);
  }
  return rebuild(g, nodes, g.tensors);
}

/** Per-channel values of a constant that broadcasts over a rank-`rank` [N, C, ...] tensor along C only
 * (shape [C,1,1], [1,C,1,1], or a scalar); with rank 'vector', a plain [C] parameter vector (BatchNorm).
 * Undefined if it is not per-channel for `channels`. */
export function perChannel(t: XTensor, channels: number, rank: number | 'vector'): Float32Array | undefined {
  if (t.kind !== 'const' || t.dtype !== 'float32') return undefined;
  const s = t.shape;
  const n = numel(s);
  if (rank === 'vector') return n === channels ? constFloat(t) : undefined;
  const d = constFloat(t);
  if (n === 1) return new Float32Array(channels).fill(d[0]!);
  if (n !== channels) return undefined;
  // The one non-1 dim must land on axis 1 of a rank-`rank` tensor after numpy alignment.
  const idx = s.findIndex((x) => x === channels);
  if (s.some((x, i) => i !== idx && x !== 1)) return undefined;
  const axisFromEnd = s.length - idx;
  if (rank - axisFromEnd !== 1) return undefined;
  return d;
}

function addConst(tensors: Map<string, XTensor>, base: string, shape: number[], data: Float32Array): string {
  let name = base;
  for (let i = 1; tensors.has(name); i++) name = `${base}_${i}`;
  tensors.set(name, { name, shape, dtype: 'float32', kind: 'const', data });
  return name;
}

function mergedOrigins(n: XNode, extra: XNode): readonly Origin[] {
  return [...(n.merged ?? []), extra.origin, ...(extra.merged ?? [])];
}

/**
 * Fold into a convolution the per-channel affine operations that follow it: BatchNormalization,
 * multiplication by a per-channel constant (Caffe Scale), addition of a per-channel constant (a bias
 * written as Add, as CNTK and Caffe Scale with bias_term do). The convolution's output must feed only
 * that operation and must not be a graph output (its pre-fold value would be lost). Repeats until no
 * fold applies, so Conv -> BatchNorm -> Scale collapses in one call.
 */
export function foldIntoConv(g: XGraph): XGraph {
  let cur = g;
  for (;;) {
    const next = foldOnce(cur);
    if (!next) return cur;
    cur = next;
  }
}

function foldOnce(g: XGraph): XGraph | undefined {
  const prod = producers(g);
  const cons = consumers(g);
  const outputs = new Set(g.outputs);
  for (const n of g.nodes) {
    if (n.op !== 'batchNorm' && n.op !== 'mul' && n.op !== 'add') continue;
    if (n.inputs.length !== 2 && n.op !== 'batchNorm') continue;
    if (n.op !== 'batchNorm' && n.attrs.act) continue;
    if (n.op === 'add' && n.attrs.coeffs) continue;
    // The data input is the one produced by a conv; the other must be a per-channel constant.
    const dataIdx = n.op === 'batchNorm' ? 0 : n.inputs.findIndex((i) => prod.get(i)?.op === 'conv');
    if (dataIdx < 0) continue;
    const x = n.inputs[dataIdx]!;
    const conv = prod.get(x);
    if (!conv || conv.op !== 'conv' || conv.attrs.act) continue;
    if ((cons.get(x) ?? []).length !== 1 || outputs.has(x)) continue;
    const w = g.tensors.get(conv.inputs[1]!)!;
    const b = conv.inputs[2] ? g.tensors.get(conv.inputs[2])! : undefined;
    if (w.kind !== 'const' || (b && b.kind !== 'const')) continue;
    const xs = g.tensors.get(x)!.shape;
    const M = xs[1]!;
    let scale: Float32Array;
    let shift: Float32Array;
    if (n.op === 'batchNorm') {
      const p = n.inputs.slice(1).map((i) => perChannel(g.tensors.get(i)!, M, 'vector'));
      if (p.some((v) => !v)) continue;
      const [gamma, beta, mean, variance] = p as Float32Array[];
      scale = new Float32Array(M);
      shift = new Float32Array(M);
      for (let c = 0; c < M; c++) {
        scale[c] = gamma![c]! / Math.sqrt(variance![c]! + n.attrs.epsilon);
        shift[c] = beta![c]! - mean![c]! * scale[c]!;
      }
    } else {
      const other = g.tensors.get(n.inputs[1 - dataIdx]!)!;
      // The other operand must broadcast per channel and not change the output shape.
      const pc = perChannel(other, M, xs.length);
      if (!pc || other.shape.length > xs.length) continue;
      scale = n.op === 'mul' ? pc : new Float32Array(M).fill(1);
      shift = n.op === 'add' ? pc : new Float32Array(M);
    }
    const wd = constFloat(w);
    const per = numel(w.shape) / M;
    const nw = new Float32Array(wd.length);
    for (let m = 0; m < M; m++) for (let k = 0; k < per; k++) nw[m * per + k] = wd[m * per + k]! * scale[m]!;
    const bd = b ? constFloat(b) : new Float32Array(M);
    const nb = new Float32Array(M);
    for (let m = 0; m < M; m++) nb[m] = bd[m]! * scale[m]! + shift[m]!;
    const tensors = new Map(g.tensors);
    const wName = addConst(tensors, `${conv.name}/folded_weights`, [...w.shape], nw);
    const bName = addConst(tensors, `${conv.name}/folded_bias`, [M], nb);
    const folded: XNode = { ...conv, inputs: [conv.inputs[0]!, wName, bName], outputs: [n.outputs[0]!], merged: mergedOrigins(conv, n) };
    const nodes = g.nodes.filter((m) => m !== n).map((m) => (m === conv ? folded : m));
    return rebuild(g, nodes, tensors);
  }
  return undefined;
}

/** A BatchNorm that could not be folded becomes a depthwise 1x1 convolution (exactly the same affine
 * map per channel), which the DPU runs; on non-4-D inputs it stays. */
export function batchNormToDepthwise(g: XGraph): XGraph {
  const tensors = new Map(g.tensors);
  let changed = false;
  const nodes = g.nodes.map((n): XNode => {
    if (n.op !== 'batchNorm') return n;
    const xs = g.tensors.get(n.inputs[0]!)!.shape;
    if (xs.length !== 4) return n;
    const C = xs[1]!;
    const p = n.inputs.slice(1).map((i) => perChannel(g.tensors.get(i)!, C, 'vector'));
    if (p.some((v) => !v)) return n;
    const [gamma, beta, mean, variance] = p as Float32Array[];
    const w = new Float32Array(C);
    const b = new Float32Array(C);
    for (let c = 0; c < C; c++) {
      w[c] = gamma![c]! / Math.sqrt(variance![c]! + n.attrs.epsilon);
      b[c] = beta![c]! - mean![c]! * w[c]!;
    }
    changed = true;
    const wName = addConst(tensors, `${n.name}/dw_weights`, [C, 1, 1, 1], w);
    const bName = addConst(tensors, `${n.name}/dw_bias`, [C], b);
    const conv: NodeOf<'conv'> = {
      name: n.name,
      op: 'conv',
      attrs: { kernel: [1, 1], stride: [1, 1], dilation: [1, 1], pads: [0, 0, 0, 0], group: C },
      inputs: [n.inputs[0]!, wName, bName],
      outputs: n.outputs,
      origin: n.origin,
      ...(n.merged ? { merged: n.merged } : {}),
    };
    return conv;
  });
  return changed ? rebuild(g, nodes, tensors) : g;
}
