// Fully connected layers as convolutions, and reshape cleanup.
//
// A Gemm or MatMul with constant weights on a [N, K] input is a convolution: when the input is the
// flattening of an [N, C, H, W] tensor (C*H*W = K, row-major), it is an HxW convolution over that
// tensor with the weight rows reshaped to [M, C, H, W]; otherwise a 1x1 convolution over [N, K, 1, 1].
// The result [N, M, 1, 1] is reshaped back to the [N, M] the rest of the graph expects; pairs of
// reshapes that cancel are then removed. A following Add of a constant [M] vector becomes the bias.

import { consumers, producers, rebuild } from '../xgraph/graph';
import { numel, sameShape } from '../xgraph/shapes';
import type { NodeOf, XGraph, XNode } from '../xgraph/types';
import { constFloat } from '../xgraph/weights';
import { renameUses } from './fold';

function uniqueName(taken: (n: string) => boolean, base: string): string {
  let name = base;
  for (let i = 1; taken(name); i++) name = `${base}_${i}`;
  return name;
}

export function fcToConv(g: XGraph): XGraph {
  const prod = producers(g);
  const cons = consumers(g);
  const outputs = new Set(g.outputs);
  const tensors = new Map(g.tensors);
  const nodeNames = new Set(g.nodes.map((n) => n.name));
  const freshT = (b: string) => uniqueName((n) => tensors.has(n), b);
  const freshN = (b: string) => {
    const n = uniqueName((x) => nodeNames.has(x), b);
    nodeNames.add(n);
    return n;
  };
  const removed = new Set<XNode>();
  const replaced = new Map<XNode, XNode[]>();
  for (const n of g.nodes) {
    if (n.op !== 'gemm' && n.op !== 'matmul') continue;
    const A = g.tensors.get(n.inputs[0]!)!;
    const B = g.tensors.get(n.inputs[1]!)!;
    if (A.shape.length !== 2 || B.shape.length !== 2 || B.kind !== 'const') continue;
    const gemm = n.op === 'gemm' ? n.attrs : { alpha: 1, beta: 1, transA: false, transB: false };
    if (gemm.transA) continue;
    const [N, K] = A.shape as [number, number];
    const M = gemm.transB ? B.shape[0]! : B.shape[1]!;
    // Bias: Gemm's C (per output column), or a following Add of a constant [M] / [1, M].
    let bias: Float32Array | undefined;
    let absorbed: XNode | undefined;
    if (n.op === 'gemm' && n.inputs[2]) {
      const C = g.tensors.get(n.inputs[2])!;
      if (C.kind !== 'const' || !(numel(C.shape) === M || numel(C.shape) === 1) || (C.shape.length === 2 && C.shape[0] !== 1)) continue;
      const cd = constFloat(C);
      bias = Float32Array.from({ length: M }, (_, i) => gemm.beta * (cd.length === 1 ? cd[0]! : cd[i]!));
    }
    const out0 = n.outputs[0]!;
    const users = cons.get(out0) ?? [];
    if (!outputs.has(out0) && users.length === 1 && users[0]!.op === 'add' && users[0]!.inputs.length === 2 && !users[0]!.attrs.act && !users[0]!.attrs.coeffs) {
      const add = users[0]!;
      const other = g.tensors.get(add.inputs[0] === out0 ? add.inputs[1]! : add.inputs[0]!)!;
      if (other.kind === 'const' && numel(other.shape) === M && other.shape[other.shape.length - 1] === M && other.shape.length <= 2) {
        const od = constFloat(other);
        bias = Float32Array.from({ length: M }, (_, i) => (bias ? bias[i]! : 0) + od[i]!);
        absorbed = add;
      }
    }
    // Weights as [M, K] rows, times alpha. B^T with alpha 1 already is that layout: keep its values (or
    // its generator, so that generated weights stay lazy).
    const reuse = gemm.transB && gemm.alpha === 1;
    let w: Float32Array | undefined;
    if (!reuse) {
      const bd = constFloat(B);
      w = new Float32Array(M * K);
      for (let m = 0; m < M; m++) for (let k = 0; k < K; k++) w[m * K + k] = gemm.alpha * (gemm.transB ? bd[m * K + k]! : bd[k * M + m]!);
    }
    // Find the 4-D tensor the input was flattened from.
    let src = n.inputs[0]!;
    let kernel: [number, number] = [1, 1];
    let C = K;
    const flat = prod.get(src);
    if (flat && (flat.op === 'flatten' || flat.op === 'reshape')) {
      const T = g.tensors.get(flat.inputs[0]!)!;
      if (T.shape.length === 4 && T.shape[0] === N && numel(T.shape.slice(1)) === K) {
        src = flat.inputs[0]!;
        kernel = [T.shape[2]!, T.shape[3]!];
        C = T.shape[1]!;
      }
    }
    const nodes: XNode[] = [];
    if (src === n.inputs[0]) {
      const as4 = freshT(`${n.name}/as_nchw`);
      nodes.push({ name: freshN(`${n.name}/as_nchw`), op: 'reshape', attrs: { shape: [N, K, 1, 1] }, inputs: [src], outputs: [as4], origin: n.origin });
      src = as4;
    }
    const wName = freshT(`${n.name}/conv_weights`);
    tensors.set(wName, {
      name: wName,
      shape: [M, C, kernel[0], kernel[1]],
      dtype: 'float32',
      kind: 'const',
      ...(w ? { data: w } : { ...(B.data ? { data: B.data } : {}), ...(B.init ? { init: B.init } : {}) }),
    });
    const ins = [src, wName];
    if (bias) {
      const bName = freshT(`${n.name}/conv_bias`);
      tensors.set(bName, { name: bName, shape: [M], dtype: 'float32', kind: 'const', data: bias });
      ins.push(bName);
    }
    const finalOut = absorbed ? absorbed.outputs[0]! : out0;
    const convOut = freshT(`${n.name}/conv_out`);
    const conv: NodeOf<'conv'> = {
      name: n.name,
      op: 'conv',
      attrs: { kernel, stride: [1, 1], dilation: [1, 1], pads: [0, 0, 0, 0], group: 1 },
      inputs: ins,
      outputs: [convOut],
      origin: n.origin,
      ...(absorbed ? { merged: [...(n.merged ?? []), absorbed.origin] } : n.merged ? { merged: n.merged } : {}),
    };
    nodes.push(conv);
    nodes.push({ name: freshN(`${n.name}/as_matrix`), op: 'reshape', attrs: { shape: [N, M] }, inputs: [convOut], outputs: [finalOut], origin: n.origin });
    replaced.set(n, nodes);
    if (absorbed) removed.add(absorbed);
  }
  if (replaced.size === 0) return g;
  const out: XNode[] = [];
  for (const n of g.nodes) {
    if (removed.has(n)) continue;
    const r = replaced.get(n);
    if (r) out.push(...r);
    else out.push(n);
  }
  return rebuild(g, out, tensors);
}

const ELEMENTWISE_UNARY = new Set(['relu', 'leakyRelu', 'clip', 'sigmoid']);

/**
 * Flatten becomes reshape; an elementwise unary operation after a reshape moves before it (so that
 * FC -> ReLU -> FC keeps its 4-D form and the reshapes between the two convolutions cancel); a reshape
 * of a reshape reads the original tensor; a reshape to the shape it already has disappears. Graph
 * outputs keep their names and shapes.
 */
export function simplifyReshapes(g: XGraph): XGraph {
  let nodes: XNode[] = g.nodes.map((n) =>
    n.op === 'flatten' ? ({ ...n, op: 'reshape', attrs: { shape: [...g.tensors.get(n.outputs[0]!)!.shape] } } as XNode) : n,
  );
  const outputs = new Set(g.outputs);
  let changed = true;
  while (changed) {
    changed = false;
    // Shapes of the current node list (moved unary nodes create new tensors).
    const shapes = rebuildShapes(g, nodes);
    const prodOf = new Map<string, XNode>();
    for (const n of nodes) for (const o of n.outputs) prodOf.set(o, n);
    const readers = new Map<string, number>();
    for (const n of nodes) for (const i of n.inputs) readers.set(i, (readers.get(i) ?? 0) + 1);
    for (const u of nodes) {
      if (!ELEMENTWISE_UNARY.has(u.op)) continue;
      const r = prodOf.get(u.inputs[0]!);
      if (!r || r.op !== 'reshape' || readers.get(u.inputs[0]!) !== 1 || outputs.has(u.inputs[0]!)) continue;
      // r: X -> Y (reshape), u: Y -> Z  becomes  u': X -> Y' , r': Y' -> Z.
      const moved = `${u.outputs[0]!}/before_reshape`;
      const u2 = { ...u, inputs: [r.inputs[0]!], outputs: [moved] } as XNode;
      const r2 = { ...r, inputs: [moved], outputs: u.outputs } as XNode;
      nodes = nodes.filter((m) => m !== r).map((m) => (m === u ? u2 : m));
      nodes.splice(nodes.indexOf(u2) + 1, 0, r2);
      changed = true;
      break;
    }
    if (changed) continue;
    for (const n of nodes) {
      if (n.op !== 'reshape') continue;
      const p = prodOf.get(n.inputs[0]!);
      if (p && p.op === 'reshape') {
        nodes = nodes.map((m) => (m === n ? ({ ...n, inputs: [p.inputs[0]!] } as XNode) : m));
        changed = true;
        break;
      }
      const srcShape = shapes.get(n.inputs[0]!);
      if (srcShape && sameShape(srcShape, n.attrs.shape) && !outputs.has(n.outputs[0]!)) {
        nodes = renameUses(
          nodes.filter((m) => m !== n),
          n.outputs[0]!,
          n.inputs[0]!,
        );
        changed = true;
        break;
      }
    }
  }
  return rebuild(g, nodes, g.tensors);
}

function rebuildShapes(g: XGraph, nodes: readonly XNode[]): Map<string, readonly number[]> {
  const m = new Map<string, readonly number[]>();
  for (const [k, t] of g.tensors) m.set(k, t.shape);
  // Elementwise unary nodes keep their input's shape; reshapes have their target.
  let progress = true;
  while (progress) {
    progress = false;
    for (const n of nodes) {
      const o = n.outputs[0]!;
      if (m.has(o)) continue;
      const s = n.op === 'reshape' ? n.attrs.shape : ELEMENTWISE_UNARY.has(n.op) ? m.get(n.inputs[0]!) : undefined;
      if (s) {
        m.set(o, s);
        progress = true;
      }
    }
  }
  return m;
}

