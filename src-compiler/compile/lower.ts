// Lowering: from the quantized, partitioned XGraph to the compiler's operations on feature maps.
//
// A feature map is a [C, H, W] int8 tensor of one image (batch 1), held in DDR as HWC: pixel-major,
// its C channels contiguous. A DPU operation reads and writes feature maps; a host operation is an
// XGraph node the CPU runs between DPU segments (softmax, LRN, reshapes, ...). Operations come in a
// program order: the graph's topological order with host operations as late as the data allows, so
// that host work at the end of a network (classifier reshape, softmax, detection heads) does not split
// the DPU program. A segment is a maximal run of DPU operations: one instruction stream ending in END.

import type { Arch } from '../arch/model';
import type { ConcatQuant, ConvQuant, ElewQuant, PoolQuant, QuantizedGraph } from '../quant/types';
import { UserError } from '../util/errors';
import { nodeError } from '../xgraph/graph';
import type { NodeOf, XGraph, XNode } from '../xgraph/types';
import { isDepthwise } from '../passes/partition';

export interface FeatureMap {
  readonly name: string;
  readonly c: number;
  readonly h: number;
  readonly w: number;
  /** Fix position (real = int * 2^-fix). */
  readonly fix: number;
  /**
   * A channel-augmented view of a DDR map (codegen.ts channelAugmented): pixel u holds the channels of
   * source columns u - left .. u - left + k - 1, loaded by overlapping LOAD reads; it has no place of
   * its own in DDR.
   */
  readonly augmented?: { readonly source: FeatureMap; readonly k: number; readonly left: number };
}

interface OpCommon {
  /** Index in program order. */
  readonly index: number;
  /** Operations of the model this op performs: 2 per multiply-accumulate of a convolution, one per
   * element a pool window or an eltwise input contributes. The basis of every ops/s figure (padding
   * lanes and zero channels the hardware also computes are not counted). */
  readonly ops: number;
  /** The XGraph node (its name is the operation's name). */
  readonly node: XNode;
  readonly inputs: readonly string[];
  readonly output: string;
}

export interface ConvOp extends OpCommon {
  readonly kind: 'conv';
  /** DPTWISE on the MISC engine (one filter per channel) instead of CONV. */
  readonly depthwise: boolean;
  /** Channel groups of a grouped (non-depthwise) convolution, aligned with ICP and OCP. */
  readonly groups: number;
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  /** Effective padding [top, left, bottom, right] (ceil rounding included). */
  readonly pads: readonly [number, number, number, number];
  readonly q: ConvQuant;
}

export interface PoolOp extends OpCommon {
  readonly kind: 'pool';
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly q: PoolQuant;
}

export interface ElewOp extends OpCommon {
  readonly kind: 'elew';
  readonly q: ElewQuant;
}

/** Channel concatenation: no instructions in optimized code (producers write into their slice). */
export interface ConcatOp extends OpCommon {
  readonly kind: 'concat';
  readonly q: ConcatQuant;
}

export interface HostOp extends OpCommon {
  readonly kind: 'host';
  readonly outputs: readonly string[];
}

export type DpuOp = ConvOp | PoolOp | ElewOp | ConcatOp;
export type Op = DpuOp | HostOp;

export interface Segment {
  /** Index in LoweredGraph.steps. */
  readonly index: number;
  readonly ops: readonly DpuOp[];
}

export type Step = { readonly kind: 'dpu'; readonly segment: Segment } | { readonly kind: 'host'; readonly op: HostOp };

export interface LoweredGraph {
  readonly q: QuantizedGraph;
  readonly arch: Arch;
  /** Operations in program order. */
  readonly ops: readonly Op[];
  readonly steps: readonly Step[];
  /** Every int8 tensor a DPU operation touches. */
  readonly fmaps: ReadonlyMap<string, FeatureMap>;
  /** Consumers (operation indices) of each tensor. */
  readonly consumers: ReadonlyMap<string, readonly number[]>;
  readonly producer: ReadonlyMap<string, number>;
}

function fmapOf(g: XGraph, q: QuantizedGraph, name: string, node: XNode): FeatureMap {
  const t = g.tensors.get(name)!;
  if (t.shape.length !== 4) throw nodeError(node.origin, `tensor ${name} of shape [${t.shape.join(', ')}] is not a 4-D feature map`);
  const [n, c, h, w] = t.shape as [number, number, number, number];
  if (n !== 1) throw nodeError(node.origin, `tensor ${name} has batch ${n}; the DPU program runs one image at a time (batch 1): export the model with batch 1`);
  const tq = q.tensors.get(name);
  if (!tq || tq.kind !== 'int8') throw new Error(`lower: DPU tensor ${name} has no int8 quantization`);
  return { name, c, h, w, fix: tq.fix };
}

export function lower(q: QuantizedGraph, arch: Arch): LoweredGraph {
  const g = q.graph;
  // Program order: Kahn's algorithm that prefers DPU nodes, so host nodes run as late as they can.
  const producerOf = new Map<string, XNode>();
  for (const n of g.nodes) for (const o of n.outputs) producerOf.set(o, n);
  const pending = new Map<XNode, number>();
  const users = new Map<XNode, XNode[]>();
  for (const n of g.nodes) {
    const deps = new Set(n.inputs.map((i) => producerOf.get(i)).filter((p): p is XNode => p !== undefined));
    pending.set(n, deps.size);
    for (const d of deps) users.set(d, [...(users.get(d) ?? []), n]);
  }
  const ready = g.nodes.filter((n) => pending.get(n) === 0);
  const order: XNode[] = [];
  while (ready.length) {
    // Graph order among the ready DPU nodes keeps the schedule close to the model's own.
    let k = ready.findIndex((n) => n.device === 'dpu');
    if (k < 0) k = 0;
    const n = ready.splice(k, 1)[0]!;
    order.push(n);
    for (const u of users.get(n) ?? []) {
      const left = pending.get(u)! - 1;
      pending.set(u, left);
      if (left === 0) ready.push(u);
    }
    ready.sort((a, b) => g.nodes.indexOf(a) - g.nodes.indexOf(b));
  }
  if (order.length !== g.nodes.length) throw new Error('lower: the graph has a cycle (the importer should have rejected it)');

  const fmaps = new Map<string, FeatureMap>();
  const ops: Op[] = [];
  for (const n of order) {
    const index = ops.length;
    if (n.device !== 'dpu') {
      ops.push({ kind: 'host', index, node: n, inputs: n.inputs, output: n.outputs[0]!, outputs: n.outputs, ops: 0 });
      continue;
    }
    const nq = q.nodes.get(n.name);
    const dataInputs = n.op === 'conv' ? [n.inputs[0]!] : n.inputs;
    for (const t of [...dataInputs, n.outputs[0]!]) if (!fmaps.has(t)) fmaps.set(t, fmapOf(g, q, t, n));
    const outF = fmaps.get(n.outputs[0]!)!;
    const outElems = outF.c * outF.h * outF.w;
    let opCount = 0;
    if (n.op === 'conv') {
      const cn = n as NodeOf<'conv'>;
      opCount = 2 * outElems * (fmaps.get(dataInputs[0]!)!.c / cn.attrs.group) * cn.attrs.kernel[0] * cn.attrs.kernel[1];
    } else if (n.op === 'pool') opCount = outElems * (n as NodeOf<'pool'>).attrs.kernel[0] * (n as NodeOf<'pool'>).attrs.kernel[1];
    else if (n.op === 'add' || n.op === 'mul' || n.op === 'relu') opCount = outElems * dataInputs.length;
    const common = { index, node: n, inputs: dataInputs, output: n.outputs[0]!, ops: opCount };
    switch (n.op) {
      case 'conv': {
        if (nq?.kind !== 'conv') throw new Error(`lower: conv ${n.name} has no conv quantization`);
        const cn = n as NodeOf<'conv'>;
        const dw = isDepthwise(cn, g);
        const inF = fmaps.get(dataInputs[0]!)!;
        const outF = fmaps.get(n.outputs[0]!)!;
        const [kh, kw] = cn.attrs.kernel;
        const [sh, sw] = cn.attrs.stride;
        const [pt, pl] = cn.attrs.pads;
        // Effective bottom/right padding: what the last window reaches past the input.
        const pb = Math.max(0, (outF.h - 1) * sh + kh - inF.h - pt);
        const pr = Math.max(0, (outF.w - 1) * sw + kw - inF.w - pl);
        ops.push({ kind: 'conv', ...common, depthwise: dw, groups: dw ? 1 : cn.attrs.group, kernel: [kh, kw], stride: [sh, sw], pads: [pt, pl, pb, pr], q: nq });
        break;
      }
      case 'pool': {
        if (nq?.kind !== 'pool') throw new Error(`lower: pool ${n.name} has no pool quantization`);
        const pn = n as NodeOf<'pool'>;
        ops.push({ kind: 'pool', ...common, kernel: pn.attrs.kernel, stride: pn.attrs.stride, q: nq });
        break;
      }
      case 'add':
      case 'mul':
      case 'relu':
        if (nq?.kind !== 'elew') throw new Error(`lower: ${n.op} ${n.name} has no eltwise quantization`);
        ops.push({ kind: 'elew', ...common, q: nq });
        break;
      case 'concat':
        if (nq?.kind !== 'concat') throw new Error(`lower: concat ${n.name} has no concat quantization`);
        ops.push({ kind: 'concat', ...common, q: nq });
        break;
      default:
        throw nodeError(n.origin, `the partition put ${n.op} on the DPU, but the code generator has no lowering for it (a bug)`);
    }
  }

  const consumers = new Map<string, number[]>();
  const producer = new Map<string, number>();
  for (const op of ops) {
    for (const i of op.inputs) consumers.set(i, [...(consumers.get(i) ?? []), op.index]);
    if (op.kind === 'host') for (const o of op.outputs) producer.set(o, op.index);
    else producer.set(op.output, op.index);
  }
  const steps: Step[] = [];
  let run: DpuOp[] = [];
  const flush = () => {
    if (run.length) steps.push({ kind: 'dpu', segment: { index: steps.length, ops: run } });
    run = [];
  };
  for (const op of ops) {
    if (op.kind === 'host') {
      flush();
      steps.push({ kind: 'host', op });
    } else run.push(op);
  }
  flush();
  if (!steps.some((s) => s.kind === 'dpu')) {
    const why = ops.slice(0, 5).map((o) => `${o.node.name}${o.node.deviceReason ? ` (${o.node.deviceReason})` : ''}`);
    throw new UserError(`${g.source.file}: no layer of the model runs on the DPU, so there is nothing to compile; host layers: ${why.join('; ')}${ops.length > 5 ? `; and ${ops.length - 5} more` : ''}`);
  }
  return { q, arch, ops, steps, fmaps, consumers, producer };
}
