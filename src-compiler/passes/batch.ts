// Batch 1: the DPU program processes one image at a time (several images run on several cores, or
// one after another), so a model declared with batch N is compiled for one image of it. Inputs get
// batch 1, reshape targets that carry the batch get 1 in its place, and every shape is inferred again.

import { rebuild } from '../xgraph/graph';
import type { XGraph, XNode, XTensor } from '../xgraph/types';

export function batchOne(g: XGraph): XGraph {
  const batches = g.inputs.map((i) => g.tensors.get(i)!.shape[0] ?? 1);
  const n = Math.max(...batches);
  if (n <= 1 || g.inputs.some((i) => g.tensors.get(i)!.shape.length < 2)) return g;
  const tensors = new Map<string, XTensor>();
  for (const [k, t] of g.tensors) {
    if (t.kind === 'value') continue;
    tensors.set(k, t.kind === 'input' && t.shape[0] === n ? { ...t, shape: [1, ...t.shape.slice(1)] } : t);
  }
  const nodes = g.nodes.map((node): XNode => {
    if (node.op === 'reshape' && node.attrs.shape[0] === n) return { ...node, attrs: { shape: [1, ...node.attrs.shape.slice(1)] } };
    return node;
  });
  return rebuild(g, nodes, tensors);
}
