// DDR layout: where every feature map, weight and bias lives.
//
// Registers: 0 holds the model's inputs, 1 the weights and biases, 2 the workspace (intermediate
// feature maps, reused by liveness), 3 the model's outputs. A feature map is stored HWC; a pixel's
// channels are contiguous and consecutive pixels are `pixelStride` bytes apart, which is more than
// the channel count when the map is a slice of a concatenation: producers of a concatenation write
// straight into their channel slice of its buffer (no copy), and consumers read the slice.
//
// Workspace buffers are placed by liveness (first write to last read in program order), first fit by
// start time, so maps whose lives do not overlap share bytes.

import type { LoweredGraph } from './lower';

export const REG_INPUT = 0;
export const REG_WEIGHTS = 1;
export const REG_WORK = 2;
export const REG_OUTPUT = 3;

/** Byte alignment of buffers (a DDR burst). */
const ALIGN = 64;

export interface DdrPlace {
  readonly reg: number;
  /** Byte offset of channel 0 of pixel (0, 0) within the register's space. */
  readonly offset: number;
  /** Bytes between consecutive pixels. */
  readonly pixelStride: number;
  /** The buffer this map lives in (its own, or a concatenation's). */
  readonly buffer: string;
}

export interface DdrRegionPlan {
  readonly name: string;
  readonly reg: number;
  readonly offset: number;
  readonly size: number;
}

export interface DdrLayout {
  readonly places: ReadonlyMap<string, DdrPlace>;
  readonly regions: readonly DdrRegionPlan[];
  /** Concatenations that need no instructions (every input written in place). */
  readonly inPlaceConcats: ReadonlySet<string>;
  /** Workspace bytes with and without reuse by liveness. */
  readonly workspaceBytes: number;
  readonly workspaceBytesWithoutReuse: number;
}

const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

/** Bytes of zeros before and after each model input (at least the 31 bytes pad_start and pad_end reach). */
export const INPUT_GUARD = ALIGN;

/**
 * @param concatInPlace  write concatenation inputs into their slices (optimized mode); otherwise a
 *   concatenation is a copy through the chip, as in DNNVM's unfused baseline.
 */
export interface Schedule {
  /** Execution step of each operation (by op index); the ops of one fusion group share a step. */
  readonly step: ReadonlyMap<number, number>;
  /** Feature maps that never leave the chip (a fused chain's intermediates): no DDR. */
  readonly onChip: ReadonlySet<string>;
}

export function layoutDdr(lg: LoweredGraph, concatInPlace: boolean, schedule?: Schedule): DdrLayout {
  const stepOf = (op: number) => (op < 0 ? -1 : schedule?.step.get(op) ?? op);
  const g = lg.q.graph;
  const modelInputs = new Set(g.inputs);
  const modelOutputs = new Set(g.outputs);
  // Buffers: a root map and the maps placed inside it (concat inputs) at byte offsets: a channel
  // concatenation's inputs at their first channel, a stack on height (the batch pass's images, one
  // after the other) at their first row.
  const parent = new Map<string, { buffer: string; byteOffset: number }>();
  const inPlace = new Set<string>();
  for (const op of lg.ops) {
    if (op.kind !== 'concat') continue;
    const axis = op.node.op === 'concat' ? op.node.attrs.axis : 1;
    const stack = axis === 2;
    // A stack is placement by construction, in naive mode too (there is no copy for it).
    if (!concatInPlace && !stack) continue;
    const out = lg.fmaps.get(op.output)!;
    // Every input must be a DPU-produced map used by no other concatenation, and not a model
    // input or output (those have their own regions).
    const ok =
      op.inputs.every((i) => lg.fmaps.has(i) && !parent.has(i) && !modelInputs.has(i) && !modelOutputs.has(i) && lg.ops[lg.producer.get(i) ?? -1]?.kind !== 'host' && lg.producer.has(i)) &&
      new Set(op.inputs).size === op.inputs.length &&
      (!stack || op.inputs.every((i) => lg.fmaps.get(i)!.c === out.c && lg.fmaps.get(i)!.w === out.w));
    if (!ok) {
      if (stack) throw new Error(`the stack ${op.node.name} of the batch's feature maps cannot be placed in DDR (a bug in the batch pass)`);
      continue;
    }
    let at = 0;
    for (const i of op.inputs) {
      const f = lg.fmaps.get(i)!;
      parent.set(i, { buffer: op.output, byteOffset: at });
      at += stack ? f.h * f.w * f.c : f.c;
    }
    inPlace.add(op.node.name);
  }
  const root = (name: string): { buffer: string; byteOffset: number } => {
    let b = name;
    let off = 0;
    for (let p = parent.get(b); p; p = parent.get(b)) {
      off += p.byteOffset;
      b = p.buffer;
    }
    return { buffer: b, byteOffset: off };
  };

  // Every tensor a DPU op touches, and host tensors that DPU ops read or write, need DDR.
  const tensors = new Set<string>([...lg.fmaps.keys()].filter((t) => !schedule?.onChip.has(t)));
  const buffers = new Map<string, { size: number; first: number; last: number; reg: number }>();
  for (const t of tensors) {
    const { buffer } = root(t);
    const f = lg.fmaps.get(buffer) ?? lg.fmaps.get(t)!;
    const size = align(f.c * f.h * f.w);
    const prod = stepOf(lg.producer.get(t) ?? -1);
    const uses = (lg.consumers.get(t) ?? []).map(stepOf);
    const last = modelOutputs.has(t) ? Number.MAX_SAFE_INTEGER : Math.max(prod, ...uses);
    const reg = modelInputs.has(buffer) ? REG_INPUT : modelOutputs.has(buffer) ? REG_OUTPUT : REG_WORK;
    const b = buffers.get(buffer);
    if (!b) buffers.set(buffer, { size, first: prod, last, reg });
    else {
      b.first = Math.min(b.first, prod);
      b.last = Math.max(b.last, last);
    }
  }

  // Registers 0 and 3: one region per buffer, packed. Register 2: first fit by liveness.
  const regions: DdrRegionPlan[] = [];
  const bufferOffset = new Map<string, number>();
  const next = [0, 0, 0, 0];
  const sorted = [...buffers.entries()].sort((a, b) => a[1].first - b[1].first || b[1].size - a[1].size || a[0].localeCompare(b[0]));
  const live: { start: number; end: number; last: number }[] = [];
  let wsTop = 0;
  let noReuse = 0;
  for (const [name, b] of sorted) {
    if (b.reg !== REG_WORK) {
      // A model input has a guard of one burst on each side: a channel-augmented LOAD reads a few
      // bytes before its first pixel and after its last (and zeroes them; codegen.ts).
      const guard = b.reg === REG_INPUT ? INPUT_GUARD : 0;
      const off = next[b.reg]! + guard;
      next[b.reg] = off + b.size + guard;
      bufferOffset.set(name, off);
      continue;
    }
    noReuse += b.size;
    // Free what died before this buffer is born.
    for (let i = live.length - 1; i >= 0; i--) if (live[i]!.last < b.first) live.splice(i, 1);
    live.sort((x, y) => x.start - y.start);
    let at = 0;
    for (const l of live) {
      if (at + b.size <= l.start) break;
      at = Math.max(at, l.end);
    }
    live.push({ start: at, end: at + b.size, last: b.last });
    bufferOffset.set(name, at);
    wsTop = Math.max(wsTop, at + b.size);
  }
  // The model's inputs share one region (one file of initial data), as do its outputs.
  if (next[REG_INPUT]! > 0) regions.push({ name: 'input', reg: REG_INPUT, offset: 0, size: next[REG_INPUT]! });
  if (wsTop > 0) regions.push({ name: 'workspace', reg: REG_WORK, offset: 0, size: wsTop });
  if (next[REG_OUTPUT]! > 0) regions.push({ name: 'output', reg: REG_OUTPUT, offset: 0, size: next[REG_OUTPUT]! });

  const places = new Map<string, DdrPlace>();
  for (const t of tensors) {
    const { buffer, byteOffset } = root(t);
    const f = lg.fmaps.get(buffer) ?? lg.fmaps.get(t)!;
    places.set(t, { reg: buffers.get(buffer)!.reg, offset: bufferOffset.get(buffer)! + byteOffset, pixelStride: f.c, buffer });
  }
  return { places, regions, inPlaceConcats: inPlace, workspaceBytes: wsTop, workspaceBytesWithoutReuse: noReuse };
}
