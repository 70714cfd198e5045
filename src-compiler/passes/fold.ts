// Canonicalization passes that simplify the graph without looking at the target: drop Identity and
// Dropout, fold BatchNorm / per-channel scale / per-channel bias into the preceding convolution, and
// turn standalone BatchNorms into depthwise 1x1 convolutions. Each is a function XGraph -> XGraph.

import { consumers, rebuild } from '../xgraph/graph';
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

function addTensor(tensors: Map<string, XTensor>, t: XTensor): string {
  let name = t.name;
  for (let i = 1; tensors.has(name); i++) name = `${t.name}_${i}`;
  tensors.set(name, { ...t, name });
  return name;
}

function addConst(tensors: Map<string, XTensor>, base: string, shape: number[], data: Float32Array): string {
  return addTensor(tensors, { name: base, shape, dtype: 'float32', kind: 'const', data });
}

/**
 * Fold into a convolution the per-channel affine operations that follow it: BatchNormalization,
 * multiplication by a per-channel constant (Caffe Scale), addition of a per-channel constant (a bias
 * written as Add, as CNTK and Caffe Scale with bias_term do). Each intermediate output must feed only
 * the next operation and must not be a graph output (its value would be lost). A whole chain
 * (Conv -> BatchNorm -> Scale -> Add) is composed first and applied to the weights once.
 */
export function foldIntoConv(g: XGraph): XGraph {
  const cons = consumers(g);
  const outputs = new Set(g.outputs);
  const tensors = new Map(g.tensors);
  const replaced = new Map<XNode, XNode>();
  const removed = new Set<XNode>();
  for (const conv of g.nodes) {
    if (conv.op !== 'conv' || conv.attrs.act) continue;
    const w = g.tensors.get(conv.inputs[1]!)!;
    const b = conv.inputs[2] ? g.tensors.get(conv.inputs[2])! : undefined;
    if (w.kind !== 'const' || (b && b.kind !== 'const')) continue;
    const xs = g.tensors.get(conv.outputs[0]!)!.shape;
    const M = xs[1]!;
    // Composite affine map y = scale * conv + shift, extended along the chain.
    let scale: Float32Array | undefined;
    let shift: Float32Array | undefined;
    const chain: XNode[] = [];
    let cur = conv.outputs[0]!;
    for (;;) {
      const users = cons.get(cur) ?? [];
      if (users.length !== 1 || outputs.has(cur)) break;
      const n = users[0]!;
      const step = affineStep(n, cur, g, M, xs.length);
      if (!step) break;
      // (s2, t2) after (s1, t1): s = s2 s1, t = s2 t1 + t2.
      const s1 = scale ?? new Float32Array(M).fill(1);
      const t1 = shift ?? new Float32Array(M);
      scale = s1.map((v, c) => v * step.scale[c]!);
      shift = t1.map((v, c) => v * step.scale[c]! + step.shift[c]!);
      chain.push(n);
      cur = n.outputs[0]!;
    }
    if (!chain.length) continue;
    const bd = b ? constFloat(b) : new Float32Array(M);
    const nb = new Float32Array(M);
    for (let m = 0; m < M; m++) nb[m] = bd[m]! * scale![m]! + shift![m]!;
    let wName: string;
    if (!w.data && w.init) {
      // Generated weights stay lazy: the fold becomes a per-channel factor of the generator.
      const prev = w.init.scale;
      const s = Array.from(scale!, (v, c) => v * (prev ? prev[c]! : 1));
      wName = addTensor(tensors, { name: `${conv.name}/folded_weights`, shape: [...w.shape], dtype: 'float32', kind: 'const', init: { ...w.init, scale: s } });
    } else {
      const wd = constFloat(w);
      const per = numel(w.shape) / M;
      const nw = new Float32Array(wd.length);
      for (let m = 0; m < M; m++) {
        const k = scale![m]!;
        for (let i = m * per; i < (m + 1) * per; i++) nw[i] = wd[i]! * k;
      }
      wName = addConst(tensors, `${conv.name}/folded_weights`, [...w.shape], nw);
    }
    const bName = addConst(tensors, `${conv.name}/folded_bias`, [M], nb);
    const merged = chain.reduce<readonly Origin[]>((acc, n) => [...acc, n.origin, ...(n.merged ?? [])], conv.merged ?? []);
    replaced.set(conv, { ...conv, inputs: [conv.inputs[0]!, wName, bName], outputs: [cur], merged });
    for (const n of chain) removed.add(n);
  }
  if (replaced.size === 0) return g;
  const nodes = g.nodes.filter((m) => !removed.has(m)).map((m) => replaced.get(m) ?? m);
  return rebuild(g, nodes, tensors);
}

/** The per-channel affine map of `n` applied to its input `x`, if it is one (see foldIntoConv). */
function affineStep(n: XNode, x: string, g: XGraph, M: number, rank: number): { scale: Float32Array; shift: Float32Array } | undefined {
  if (n.op === 'batchNorm') {
    if (n.inputs[0] !== x) return undefined;
    const p = n.inputs.slice(1).map((i) => perChannel(g.tensors.get(i)!, M, 'vector'));
    if (p.some((v) => !v)) return undefined;
    const [gamma, beta, mean, variance] = p as Float32Array[];
    const scale = new Float32Array(M);
    const shift = new Float32Array(M);
    for (let c = 0; c < M; c++) {
      scale[c] = gamma![c]! / Math.sqrt(variance![c]! + n.attrs.epsilon);
      shift[c] = beta![c]! - mean![c]! * scale[c]!;
    }
    return { scale, shift };
  }
  if ((n.op !== 'mul' && n.op !== 'add') || n.inputs.length !== 2 || n.attrs.act) return undefined;
  if (n.op === 'add' && n.attrs.coeffs) return undefined;
  const otherName = n.inputs[0] === x ? n.inputs[1]! : n.inputs[0]!;
  if (otherName === x) return undefined;
  const other = g.tensors.get(otherName)!;
  // The other operand must broadcast per channel and not change the output shape.
  const pc = perChannel(other, M, rank);
  if (!pc || other.shape.length > rank) return undefined;
  return { scale: n.op === 'mul' ? pc : new Float32Array(M).fill(1), shift: n.op === 'add' ? pc : new Float32Array(M) };
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
