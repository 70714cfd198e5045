// The canonicalization pipeline: from an imported XGraph to the partitioned graph the quantizer and
// the code generator work on. Each step is a pass of its own (with its own tests); this only orders them.

import type { Arch } from '../arch/model';
import type { XGraph } from '../xgraph/types';
import { batchOne } from './batch';
import { batchNormToDepthwise, dropIdentities, foldIntoConv } from './fold';
import { fcToConv, simplifyReshapes } from './fc';
import { fuseActivations, partition } from './partition';

export interface PassStep {
  readonly pass: string;
  readonly nodesBefore: number;
  readonly nodesAfter: number;
  readonly ms: number;
}

export const PASSES = [
  // One image: the DPU program runs an image at a time.
  ['batchOne', (g: XGraph) => batchOne(g)],
  ['dropIdentities', (g: XGraph) => dropIdentities(g)],
  // FC first, so that a bias written as a following Add is absorbed before conv folding sees it.
  ['fcToConv', (g: XGraph) => fcToConv(g)],
  ['foldIntoConv', (g: XGraph) => foldIntoConv(g)],
  ['batchNormToDepthwise', (g: XGraph) => batchNormToDepthwise(g)],
  ['simplifyReshapes', (g: XGraph) => simplifyReshapes(g)],
  ['fuseActivations', (g: XGraph, a: Arch) => fuseActivations(g, a)],
  ['partition', (g: XGraph, a: Arch) => partition(g, a)],
] as const;

export function canonicalize(g: XGraph, arch: Arch, log?: PassStep[]): XGraph {
  let cur = g;
  for (const [name, pass] of PASSES) {
    const t0 = performance.now();
    const before = cur.nodes.length;
    cur = pass(cur, arch);
    log?.push({ pass: name, nodesBefore: before, nodesAfter: cur.nodes.length, ms: performance.now() - t0 });
  }
  return cur;
}
