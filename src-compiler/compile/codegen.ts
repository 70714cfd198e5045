// Code generation for one fusion group: a chain of DPU operations streamed row by row through rings of
// on-chip rows, fed by LOADs from DDR and drained by SAVEs to DDR.
//
// The schedule is pull-based. Output rows of the last stage are produced a chunk at a time (a chunk is
// what one instruction of that engine computes: PP rows for CONV, the MISC engine's pixel parallelism
// for POOL, DPTWISE and ELEW); producing a chunk first ensures every row it reads exists, recursively
// up the chain to LOADs. Chunks start at multiples of their size, so that no write crosses an address
// group (docs/compiler.md explains why that matters for the output and ELEW bank walks).
//
// Program order is this schedule, which respects every data dependency; the engines still overlap
// because tokens (emit.ts, tokens.ts) hold an instruction back only for the rows it really touches: a
// LOAD of the next rows runs while CONV works on the previous ones, as far as the ring has room.
//
// Ring sizes come from a dry run of the same schedule: for every read, the address groups between the
// oldest row it needs and the newest row written by then must be live at once; one more group lets
// the producer run ahead. Column strips split a row when the rings would not fit otherwise.

import type { Arch, BankGroup } from '../arch/model';
import { bankGroupByName } from '../arch/model';
import type { ConvOp, DpuOp, ElewOp, FeatureMap, PoolOp } from './lower';
import { BankSpace, groupAddr, makeRing, mod, pixelAddr, rowKeys, rowPlace, walk, type Ring } from './onchip';
import { ddrKeys, type ProgramBuilder } from './emit';
import type { DdrPlace } from './ddr';
import { REG_INPUT, REG_WEIGHTS } from './ddr';
import { Blob, convWeightLayout, convWeightTile, depthwiseWeights } from './weights';

const LOAD_E = 0;
const SAVE_E = 1;
const CONV_E = 2;
const MISC_E = 3;

export type StageKind = 'conv' | 'dw' | 'pool' | 'elew';

export interface Stage {
  readonly op: ConvOp | PoolOp | ElewOp;
  readonly kind: StageKind;
  readonly out: FeatureMap;
  /** Main input first; for ELEW, every operand. */
  readonly inputs: readonly FeatureMap[];
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  /** [top, left, bottom, right]. */
  readonly pads: readonly [number, number, number, number];
  /** Output rows per instruction. */
  readonly chunk: number;
  /** ELEW: shift_read per input when the inputs were reordered (the chained one first). */
  readonly shiftRead?: readonly number[];
}

export function stageOf(op: DpuOp, fmaps: ReadonlyMap<string, FeatureMap>, arch: Arch): Stage {
  const out = fmaps.get(op.output)!;
  const inputs = op.inputs.map((i) => fmaps.get(i)!);
  const d = arch.dpu;
  switch (op.kind) {
    case 'conv':
      return { op, kind: op.depthwise ? 'dw' : 'conv', out, inputs, kh: op.kernel[0], kw: op.kernel[1], sh: op.stride[0], sw: op.stride[1], pads: op.pads, chunk: op.depthwise ? d.dwPP : d.pp };
    case 'pool':
      return { op, kind: 'pool', out, inputs, kh: op.kernel[0], kw: op.kernel[1], sh: op.stride[0], sw: op.stride[1], pads: op.q.pads, chunk: d.poolPP };
    case 'elew':
      return { op, kind: 'elew', out, inputs, kh: 1, kw: 1, sh: 1, sw: 1, pads: [0, 0, 0, 0], chunk: d.elewPP };
    case 'concat':
      throw new Error('a concatenation is not a stage (it is placement, or a copy group)');
  }
}

/** Input rows [lo, hi) that output rows [a, b) of a stage read (clamped to the input). */
export function inputRows(s: Stage, a: number, b: number): [number, number] {
  const H = s.inputs[0]!.h;
  const lo = a * s.sh - s.pads[0];
  const hi = (b - 1) * s.sh - s.pads[0] + s.kh;
  return [Math.max(0, lo), Math.min(H, hi)];
}

/** Input columns [lo, hi) that output columns [a, b) read (clamped). */
export function inputCols(s: Stage, a: number, b: number): [number, number] {
  const W = s.inputs[0]!.w;
  return [Math.max(0, a * s.sw - s.pads[1]), Math.min(W, (b - 1) * s.sw - s.pads[1] + s.kw)];
}

/** A fusion group to generate: stages in chain order (stage k > 0 reads stage k-1's output on chip). */
export interface GroupSpec {
  readonly name: string;
  readonly stages: readonly Stage[];
  /** XGraph node names of the group, for the layer marker. */
  readonly nodes: readonly string[];
}

export interface GroupContext {
  readonly arch: Arch;
  readonly b: ProgramBuilder;
  readonly places: ReadonlyMap<string, DdrPlace>;
  readonly blob: Blob;
  /** Address allocation per bank group, kept from group to group. */
  readonly spaces: Map<string, BankSpace>;
  /** Ring ids, unique in the compilation. */
  nextRing: number;
  /** Weight buffer ids. */
  nextBuffer: number;
  /** INIT state last emitted per engine (re-emitted only when it changes). */
  readonly lastInit: Map<string, string>;
  /** Channel augmentation of a first convolution with few input channels (the loop optimizer's; off
   * in naive mode). */
  readonly augment?: boolean;
}

export class CapacityError extends Error {}

interface WeightBuf {
  readonly id: number;
  readonly base: number;
  readonly biasBase: number;
  /** Physical keys of the weight and bias addresses, read by the instructions that use them. */
  readonly phys: readonly string[];
  /** Output-channel groups [j0, j1) of channel group grp it holds. */
  readonly j0: number;
  readonly j1: number;
  readonly grp: number;
}

/** The plan of a group: column strips, ring geometry and weight residency, found by dry runs. */
interface Plan {
  readonly strips: readonly [number, number][];
  /** Address groups of each ring (by tensor name). */
  readonly ringGroups: ReadonlyMap<string, number>;
  /** Widest strip's stored columns per ring. */
  readonly ringCols: ReadonlyMap<string, number>;
  /** Inputs held whole on chip across weight passes (loaded by the first pass only). */
  readonly resident: ReadonlySet<string>;
}

export function space(ctx: GroupContext, g: BankGroup): BankSpace {
  let s = ctx.spaces.get(g.name);
  if (!s) ctx.spaces.set(g.name, (s = new BankSpace(g.depth)));
  return s;
}

/** Generates one group. Throws CapacityError when its rings or weights cannot fit the banks. */
export function generateGroup(ctx: GroupContext, given: GroupSpec): void {
  const spec = ctx.augment ? channelAugmented(ctx, given) : given;
  try {
    generateWhole(ctx, spec);
  } catch (e) {
    // A pool, eltwise or depthwise layer works channel by channel: when its rows do not fit even one
    // column wide, it runs in channel slices (each a layer of its own on a slice of every pixel).
    if (!(e instanceof CapacityError) || spec.stages.length !== 1 || spec.stages[0]!.kind === 'conv') throw e;
    generateChannelSlices(ctx, spec, e);
  }
}

function generateChannelSlices(ctx: GroupContext, spec: GroupSpec, why: CapacityError): void {
  const s = spec.stages[0]!;
  const icp = ctx.arch.dpu.icp;
  const groups = Math.ceil(s.out.c / icp);
  for (let parts = 2; parts <= groups; parts++) {
    const per = Math.ceil(groups / parts) * icp;
    const slices: [number, number][] = [];
    for (let c = 0; c < s.out.c; c += per) slices.push([c, Math.min(s.out.c, c + per)]);
    const places = new Map(ctx.places);
    const sliceOf = (f: FeatureMap, c0: number, c1: number): FeatureMap => {
      const name = `${f.name}[${c0}:${c1}]`;
      const p = ctx.places.get(f.name);
      if (p) places.set(name, { ...p, offset: p.offset + c0 });
      return { ...f, name, c: c1 - c0 };
    };
    const specs = slices.map(([c0, c1]) => ({
      ...spec,
      stages: [{ ...s, out: sliceOf(s.out, c0, c1), inputs: s.inputs.map((f) => sliceOf(f, c0, c1)) }],
    }));
    const sub: GroupContext = { ...ctx, places };
    // Plan every slice before emitting any, so that a failure leaves nothing half-emitted.
    try {
      for (const sp of specs) planGroup(sub, sp, tensorGroupsOf(sub, sp));
    } catch (e) {
      if (e instanceof CapacityError) continue;
      throw e;
    }
    for (const sp of specs) {
      generateWhole(sub, sp);
      ctx.nextRing = sub.nextRing;
      ctx.nextBuffer = sub.nextBuffer;
    }
    return;
  }
  throw why;
}

/**
 * Channel augmentation. A convolution reading a model input of c channels (3 for an image) uses c of
 * the CONV engine's ICP input lanes, and spends kernel_w cycles per output column and kernel row.
 * Folding the kernel's columns into channels gives it a k x c-channel input, pixel u holding the
 * channels of columns u - left .. u - left + k - 1 (k = kernel_w), and a kernel_w = 1 convolution
 * over it: ceil(k c / ICP) cycles where there were k ceil(c / ICP), the same MACs in another order,
 * so the integer result is identical. No copy exists in DDR: each LOAD reads overlapping windows
 * (jump_read = c bytes, channel = k c bytes) and zeroes the bytes that fall in the left and right
 * padding with pad_start, pad_end and pad_idx (isa-fields.md, channel-augmentation padding). The
 * filters are rearranged the same way, [M, c, kh, kw] -> [M, kw c, kh, 1].
 * Applies when k c fits the architecture's channel_augmentation width and the LOAD padding fields,
 * and saves cycles; the input must be a model input (its DDR region has guard bytes around it).
 */
const AUGMENTED = new WeakMap<Int8Array, Int8Array>();

export function channelAugmented(ctx: GroupContext, spec: GroupSpec): GroupSpec {
  const s = spec.stages[0];
  if (!s || s.kind !== 'conv') return spec;
  const op = s.op as ConvOp;
  const f = s.inputs[0]!;
  const place = ctx.places.get(f.name);
  const { icp } = ctx.arch.dpu;
  const k = s.kw;
  const c = f.c;
  const left = s.pads[1];
  if (op.groups !== 1 || !place || place.reg !== REG_INPUT || place.pixelStride !== c || f.augmented) return spec;
  if (k < 2 || k * c > Math.min(ctx.arch.dpu.channelAugmentation, 64) || Math.ceil((k * c) / icp) >= k * Math.ceil(c / icp)) return spec;
  const fill = Math.ceil((k * c) / icp) * icp - k * c;
  if (left * c > 31 || fill + c > 31) return spec;
  if (spec.stages.some((t, i) => i > 0 && t.inputs.some((g) => g.name === f.name))) return spec;
  const Wa = (s.out.w - 1) * s.sw + 1;
  // Pixels that need right padding: from W + left - k + 1 on; pad_idx counts them (at most 32).
  // (so that a LOAD starting anywhere can zero what it must: pad_end = fill + c x pixels past).
  const rightPixels = Wa - Math.max(0, f.w + left - k + 1);
  if (rightPixels > 32 || fill + c * Math.max(1, rightPixels) > 31) return spec;
  const aug: FeatureMap = { name: `${f.name}#aug${k}`, c: k * c, h: f.h, w: Wa, fix: f.fix, augmented: { source: f, k, left } };
  const [M, kh] = [op.q.weights.length / (c * s.kh * k), s.kh];
  // One rearranged array per original (the same filters of a batch's copies stay one copy in DDR).
  let w = AUGMENTED.get(op.q.weights);
  if (!w) {
    w = new Int8Array(op.q.weights.length);
    for (let m = 0; m < M; m++)
      for (let kk = 0; kk < k; kk++)
        for (let ch = 0; ch < c; ch++) for (let i = 0; i < kh; i++) w[((m * k * c + kk * c + ch) * kh + i) * 1] = op.q.weights[((m * c + ch) * kh + i) * k + kk]!;
    AUGMENTED.set(op.q.weights, w);
  }
  const augOp: ConvOp = { ...op, kernel: [kh, 1], pads: [s.pads[0], 0, s.pads[2], 0], q: { ...op.q, weights: w } };
  const first: Stage = { ...s, op: augOp, inputs: [aug], kw: 1, pads: [s.pads[0], 0, s.pads[2], 0] };
  return { ...spec, stages: [first, ...spec.stages.slice(1)] };
}

/** Image bank group of every tensor of a group: stage inputs alternate VB0/VB1 along the chain. */
function tensorGroupsOf(ctx: GroupContext, spec: GroupSpec): Map<string, BankGroup> {
  const vb = (k: number) => bankGroupByName(ctx.arch, `VB${k % ctx.arch.dpu.imageBankGroups}`)!;
  const tensorGroup = new Map<string, BankGroup>();
  spec.stages.forEach((s, k) => {
    for (const f of s.inputs) if (!tensorGroup.has(f.name)) tensorGroup.set(f.name, vb(k));
  });
  tensorGroup.set(spec.stages[spec.stages.length - 1]!.out.name, vb(spec.stages.length));
  return tensorGroup;
}

function generateWhole(ctx: GroupContext, spec: GroupSpec): void {
  const { arch } = ctx;
  const tensorGroup = tensorGroupsOf(ctx, spec);
  const plan = residentInputs(ctx, spec, tensorGroup, planGroup(ctx, spec, tensorGroup), weightPasses(ctx, spec).length);
  // Allocate rings, weights and biases for real.
  for (const g of new Set(tensorGroup.values())) space(ctx, g).nextGroup();
  const cw = bankGroupByName(arch, 'CONVW')!;
  const dw = bankGroupByName(arch, 'DWCONVW')!;
  const bias = bankGroupByName(arch, 'BIAS')!;
  for (const g of [cw, dw, bias]) space(ctx, g).nextGroup();

  const ringBase = new Map<string, { base: number; id: number; stride: number; cg: number }>();
  const byGroup = new Map<BankGroup, { name: string; size: number; stride: number; cg: number }[]>();
  for (const [name, groups] of plan.ringGroups) {
    const g = tensorGroup.get(name)!;
    const f = fmapByName(spec, name);
    const stride = consumerStride(spec, name);
    const cg = Math.ceil(f.c / arch.dpu.icp);
    const list = byGroup.get(g) ?? [];
    list.push({ name, size: groups * stride * plan.ringCols.get(name)! * cg, stride, cg });
    byGroup.set(g, list);
  }
  for (const [g, list] of byGroup) {
    const bases = space(ctx, g).allocateAll(list.map((r) => r.size));
    if (!bases) throw new CapacityError(`${spec.name}: the on-chip rows of ${list.map((r) => r.name).join(', ')} (${list.reduce((a, r) => a + r.size, 0)} addresses per bank) do not fit ${g.name}`);
    list.forEach((r, k) => ringBase.set(r.name, { base: bases[k]!, id: ctx.nextRing++, stride: r.stride, cg: r.cg }));
  }
  // Each fill of a ring (a strip, a weight pass) starts after the address group the previous fill
  // ended in; a resident input keeps its place, since later passes read the rows the first loaded.
  const phase = new Map<string, number>();
  const ringFor = (name: string, x0: number, cols: number): Ring => {
    const rb = ringBase.get(name)!;
    const groups = plan.ringGroups.get(name)!;
    return makeRing(rb.id, name, tensorGroup.get(name)!, rb.base, Math.max(cols, plan.ringCols.get(name)!), rb.cg, rb.stride, groups, x0, phase.get(name) ?? 0);
  };
  const advancePhases = () => {
    for (const name of plan.ringGroups.keys()) {
      if (plan.resident.has(name)) continue;
      const f = fmapByName(spec, name);
      const span = Math.floor(Math.floor((f.h - 1) / consumerStride(spec, name)) / arch.dpu.pp) + 1;
      phase.set(name, (phase.get(name) ?? 0) + span);
    }
  };

  // Weights. A group of several stages keeps every stage's filters resident. A lone convolution whose
  // filters do not fit runs in passes over its output-channel groups (weight-stationary: the input is
  // streamed once per pass, each pass saves its channel slice).
  const passes = weightPasses(ctx, spec);
  const loadedOnce = new Set<string>();
  for (const pass of passes) {
    const weightBufs = new Map<Stage, WeightBuf[]>();
    // Every buffer of the pass, then one block per bank group (no fragmentation inside a group).
    const wanted: { s: Stage; grp: number; j0: number; j1: number; group: BankGroup; size: number; bias: number }[] = [];
    for (const s of spec.stages) {
      if (s.kind === 'conv') {
        const op = s.op as ConvOp;
        const L = convWeightLayout(op, arch, s.inputs[0]!.c, s.out.c);
        const [j0, j1] = pass ? [pass.j0, pass.j1] : [0, L.ocg];
        const per = weightTile(arch, L.filterAddrs, j1 - j0, Math.ceil(s.out.h / arch.dpu.pp) * s.out.w);
        for (let grp = pass?.grp ?? 0; grp < (pass ? pass.grp + 1 : op.groups); grp++)
          for (let t = j0; t < j1; t += per) wanted.push({ s, grp, j0: t, j1: Math.min(j1, t + per), group: cw, size: (Math.min(j1, t + per) - t) * L.filterAddrs, bias: Math.min(j1, t + per) - t });
      } else if (s.kind === 'dw') {
        const op = s.op as ConvOp;
        const cg = Math.ceil(s.out.c / arch.dpu.icp);
        wanted.push({ s, grp: 0, j0: 0, j1: cg, group: dw, size: op.kernel[0] * op.kernel[1] * cg, bias: cg });
      }
    }
    const place = (g: BankGroup, sizes: number[]) => {
      if (sizes.length === 0) return [];
      // Whole key blocks, so that two buffers never share a block and one's loads never wait for the
      // other's readers (the next weight pass loads while this one computes).
      // Packed when the rounded sizes do not fit (correct still: the keys only order more).
      const at = space(ctx, g).allocateAll(sizes.map((n) => Math.ceil(n / PHYS_KEY_BLOCK) * PHYS_KEY_BLOCK)) ?? space(ctx, g).allocateAll(sizes);
      if (!at) throw new CapacityError(`${spec.name}: the ${g.name} data of ${[...new Set(wanted.map((w) => w.s.op.node.name))].join(', ')} (${sizes.reduce((a, b) => a + b, 0)} addresses per bank) do not fit`);
      return at;
    };
    const cwAt = place(cw, wanted.filter((w) => w.group === cw).map((w) => w.size));
    const dwAt = place(dw, wanted.filter((w) => w.group === dw).map((w) => w.size));
    const biasAt = place(bias, wanted.map((w) => w.bias));
    let ci = 0;
    let di = 0;
    wanted.forEach((w, k) => {
      const base = w.group === cw ? cwAt[ci++]! : dwAt[di++]!;
      const buf: WeightBuf = { id: ctx.nextBuffer++, base, biasBase: biasAt[k]!, j0: w.j0, j1: w.j1, grp: w.grp, phys: [...physKeys(w.group, base, w.size), ...physKeys(bias, biasAt[k]!, w.bias)] };
      weightBufs.set(w.s, [...(weightBufs.get(w.s) ?? []), buf]);
    });
    // Each tile but the first loads just before the first instruction that reads it: the LOAD
    // engine, in order, brings the first tile and the first input rows, and the CONV engine starts
    // while later tiles are still on their way.
    const loadedTiles = new Set<number>();
    const ensureWeights = (st: Stage, buf: WeightBuf) => {
      if (loadedTiles.has(buf.id)) return;
      loadedTiles.add(buf.id);
      if (st.kind === 'conv') loadConvWeights(ctx, st, buf);
      else loadDepthwiseWeights(ctx, st, buf);
    };
    // The first tile loads ahead of the input rows, so that it is there with the first rows.
    const [firstStage, firstBufs] = [...weightBufs][0] ?? [];
    if (firstStage && firstBufs?.[0]) ensureWeights(firstStage, firstBufs[0]);
    // Output lanes the pass saves (a grouped convolution's group g owns lanes g x ocg on).
    const lanes = pass ? { j0: pass.grp * pass.ocg + pass.j0, j1: pass.grp * pass.ocg + pass.j1 } : undefined;
    for (const [x0, x1] of plan.strips) {
      new StripEmitter(ctx, spec, ringFor, weightBufs, ensureWeights, x0, x1, lanes, loadedOnce).run();
      advancePhases();
    }
    for (const name of plan.resident) loadedOnce.add(name);
    if (passes.length > 1) for (const g of [cw, bias]) space(ctx, g).nextGroup();
  }
}

/**
 * Input- or weight-stationary: a lone convolution that runs in weight passes either streams its input
 * from DDR again in every pass (weight-stationary; rings of a few rows) or keeps the whole input on
 * chip, loaded once, while the passes stream the filters (input-stationary). Input-stationary moves
 * (passes - 1) x input bytes less over the DDR and never stalls a pass on its input rows; it needs
 * the input to fit its bank group beside the other rings there, in one strip. The choice is by cost:
 * input-stationary whenever it fits, since it never moves more bytes nor adds a dependency.
 */
function residentInputs(ctx: GroupContext, spec: GroupSpec, tensorGroup: ReadonlyMap<string, BankGroup>, plan: Plan, passes: number): Plan {
  if (passes <= 1 || spec.stages.length !== 1 || plan.strips.length !== 1) return plan;
  const s = spec.stages[0]!;
  const f = s.inputs[0]!;
  const g = tensorGroup.get(f.name)!;
  const stride = consumerStride(spec, f.name);
  const all = Math.floor(Math.floor((f.h - 1) / stride) / ctx.arch.dpu.pp) + 1;
  const ringGroups = new Map(plan.ringGroups);
  ringGroups.set(f.name, Math.max(all, plan.ringGroups.get(f.name)!));
  let size = 0;
  for (const [name, groups] of ringGroups) {
    if (tensorGroup.get(name) !== g) continue;
    size += groups * consumerStride(spec, name) * plan.ringCols.get(name)! * Math.ceil(fmapByName(spec, name).c / ctx.arch.dpu.icp);
  }
  if (size > space(ctx, g).capacity()) return plan;
  return { ...plan, ringGroups, resident: new Set([f.name]) };
}

/** Bytes a weight tile's LOAD per bank should move at least, so that the DDR latency each LOAD pays
 * stays a small part of it (66 cycles against 8192 / 16 = 512 at ZU9). */
const MIN_TILE_BYTES = 4096;
/** Tiles per convolution at most. */
const MAX_TILES = 8;

/**
 * Output-channel groups per weight tile. A convolution's filters load in tiles so that its first
 * CONVs wait for the first tile only; tiles are big enough that the LOADs' latency stays small. Per
 * filter address, the CONVs spend (output row blocks x columns) cycles and the LOADs OCP (one bank
 * address per cycle, bank after bank): a layer with fewer output pixels per row block than OCP is
 * bound by its filter loads (a fully connected layer), and tiling would only add LOAD latencies.
 */
function weightTile(arch: Arch, filterAddrs: number, groups: number, convCyclesPerAddr: number): number {
  if (convCyclesPerAddr < arch.dpu.ocp) return Math.max(1, groups);
  const byBytes = Math.ceil(MIN_TILE_BYTES / (filterAddrs * arch.dpu.icp));
  return Math.max(1, byBytes, Math.ceil(groups / MAX_TILES));
}

/** A weight pass: output-channel groups [j0, j1) of channel group grp (ocg groups per channel group). */
interface WeightPass {
  readonly grp: number;
  readonly j0: number;
  readonly j1: number;
  readonly ocg: number;
}

/**
 * The passes of a lone convolution whose filters exceed half the CONVW bank depth (half, so that the
 * next pass's filters load while this pass computes): runs of output-channel groups, one channel group
 * of a grouped convolution at a time; [undefined] when everything is resident in one pass.
 */
function weightPasses(ctx: GroupContext, spec: GroupSpec): (WeightPass | undefined)[] {
  if (spec.stages.length !== 1 || spec.stages[0]!.kind !== 'conv') return [undefined];
  const s = spec.stages[0]!;
  const op = s.op as ConvOp;
  const L = convWeightLayout(op, ctx.arch, s.inputs[0]!.c, s.out.c);
  // The CONVW addresses this group may use: the bank, or what a group running beside it leaves.
  const depth = space(ctx, bankGroupByName(ctx.arch, 'CONVW')!).capacity();
  if (L.ocg * L.filterAddrs * op.groups <= depth) return [undefined];
  const per = Math.max(1, Math.floor(depth / 2 / L.filterAddrs));
  if (L.filterAddrs > depth) throw new CapacityError(`${op.node.name}: one filter takes ${L.filterAddrs} addresses of a CONVW bank (kernel ${op.kernel[0]}x${op.kernel[1]} x ${L.cg} channel groups), more than its ${depth}`);
  const out: WeightPass[] = [];
  for (let grp = 0; grp < op.groups; grp++) for (let j = 0; j < L.ocg; j += per) out.push({ grp, j0: j, j1: Math.min(L.ocg, j + per), ocg: L.ocg });
  return out;
}

function fmapByName(spec: GroupSpec, name: string): FeatureMap {
  for (const s of spec.stages) {
    if (s.out.name === name) return s.out;
    for (const f of s.inputs) if (f.name === name) return f;
  }
  throw new Error(`no feature map ${name} in group ${spec.name}`);
}

/** Rows per bank of a tensor's ring: its consumer's vertical stride (1 for what is only saved). */
function consumerStride(spec: GroupSpec, name: string): number {
  for (const s of spec.stages) if (s.inputs.some((f) => f.name === name)) return s.sh;
  return 1;
}

/** Output columns of the last stage in each strip, and ring sizes: widest strips first that fit. */
function planGroup(ctx: GroupContext, spec: GroupSpec, tensorGroup: ReadonlyMap<string, BankGroup>): Plan {
  const { arch } = ctx;
  const last = spec.stages[spec.stages.length - 1]!;
  const Wout = last.out.w;
  const maxLen = 1024; // CONV/POOL/DPTWISE length and ELEW length fields; LOAD/SAVE split longer rows
  // Strip widths from the widest the length fields allow down to one column: W/1, W/2, W/3, W/4, W/8, ...
  const widths: number[] = [];
  for (let k = Math.ceil(Wout / maxLen); ; k = k < 4 ? k + 1 : k * 2) {
    const w = Math.ceil(Wout / k);
    if (widths[widths.length - 1] !== w) widths.push(w);
    if (w === 1) break;
  }
  // Rings with one address group more than the reads need, so that producers run ahead; without it,
  // as a last resort (each load then waits for the reads of the rows it replaces): a stack of a
  // batch's feature maps read with a stride of a whole map fills an address group with one CONV's rows.
  for (const runAhead of [true, false])
  for (const width of widths) {
    const list: [number, number][] = [];
    for (let x = 0; x < Wout; x += width) list.push([x, Math.min(Wout, x + width)]);
    const dry = dryRun(ctx, spec, list[0]![0], list[0]![1], runAhead);
    // Every strip's rings must fit the allocation: the widest stored row of any strip sets the size.
    for (const [x0, x1] of list.slice(1))
      for (const [name, [c0, c1]] of new Schedule(arch, spec, x0, x1).ringRange) dry.cols.set(name, Math.max(dry.cols.get(name) ?? 0, c1 - c0));
    // Fit: per bank group, the rings' sizes.
    const need = new Map<string, number>();
    for (const [name, groups] of dry.groups) {
      const g = tensorGroup.get(name)!;
      const f = fmapByName(spec, name);
      const cg = Math.ceil(f.c / arch.dpu.icp);
      const size = groups * consumerStride(spec, name) * dry.cols.get(name)! * cg;
      need.set(g.name, (need.get(g.name) ?? 0) + size);
    }
    if ([...need].every(([g, size]) => size <= space(ctx, bankGroupByName(arch, g)!).capacity())) return { strips: list, ringGroups: dry.groups, ringCols: dry.cols, resident: new Set() };
  }
  throw new CapacityError(`${spec.name}: its rows do not fit the image banks even one column wide`);
}

/** The schedule without emitting: ring spans and widths for a strip. */
function dryRun(ctx: GroupContext, spec: GroupSpec, x0: number, x1: number, runAhead: boolean): { groups: Map<string, number>; cols: Map<string, number> } {
  const groups = new Map<string, number>();
  const cols = new Map<string, number>();
  const sched = new Schedule(ctx.arch, spec, x0, x1);
  for (const [name, [c0, c1]] of sched.ringRange) cols.set(name, c1 - c0);
  sched.run({
    load() {},
    compute() {},
    save() {},
    span(name, oldest, newest) {
      const s = consumerStride(spec, name);
      const g0 = Math.floor(Math.floor(oldest / s) / ctx.arch.dpu.pp);
      const g1 = Math.floor(Math.floor(newest / s) / ctx.arch.dpu.pp);
      groups.set(name, Math.max(groups.get(name) ?? 1, g1 - g0 + 1));
    },
  });
  // What is only saved holds one chunk at a time; one more address group lets each producer run ahead.
  for (const name of cols.keys()) groups.set(name, (groups.get(name) ?? 1) + (runAhead ? 1 : 0));
  return { groups, cols };
}

interface ScheduleSink {
  /** Rows [r0, r1) of DDR input `f` into its ring. */
  load(f: FeatureMap, r0: number, r1: number): void;
  /** Stage k computes output rows [a, b). */
  compute(k: number, a: number, b: number): void;
  /** Rows [a, b) of the last stage go to DDR. */
  save(a: number, b: number): void;
  /** Ring `name` holds, at a read, rows from `oldest` to `newest` at once. */
  span(name: string, oldest: number, newest: number): void;
}

/** The pull schedule of one strip, shared by the dry run and the emitter. */
class Schedule {
  /** Columns [c0, c1) of every tensor the strip produces or loads (real columns of the image). */
  readonly colRange = new Map<string, [number, number]>();
  /** Columns its ring stores: the real ones plus the padding columns its consumers' windows reach, so
   * that every address an engine reads (padding included, which it reads and then zeroes) lies in the
   * ring and no other ring's data is touched. */
  readonly ringRange = new Map<string, [number, number]>();
  private readonly produced: number[];
  private readonly loaded = new Map<string, number>();
  /** Newest row written so far in each ring. */
  private readonly newest = new Map<string, number>();

  constructor(
    readonly arch: Arch,
    readonly spec: GroupSpec,
    readonly x0: number,
    readonly x1: number,
  ) {
    const st = spec.stages;
    this.produced = st.map(() => 0);
    let [a, b] = [x0, x1];
    const lastOut = st[st.length - 1]!.out.name;
    this.colRange.set(lastOut, [a, b]);
    this.ringRange.set(lastOut, [a, b]);
    const widen = (m: Map<string, [number, number]>, name: string, lo: number, hi: number) => {
      const prev = m.get(name);
      m.set(name, prev ? [Math.min(prev[0], lo), Math.max(prev[1], hi)] : [lo, hi]);
    };
    for (let k = st.length - 1; k >= 0; k--) {
      const s = st[k]!;
      const lo = a * s.sw - s.pads[1];
      const hi = (b - 1) * s.sw - s.pads[1] + s.kw;
      for (const f of s.inputs) {
        widen(this.ringRange, f.name, lo, hi);
        widen(this.colRange, f.name, Math.max(0, lo), Math.min(f.w, hi));
      }
      // The main input's real columns drive the stage before.
      [a, b] = this.colRange.get(s.inputs[0]!.name)!;
    }
  }

  run(sink: ScheduleSink): void {
    const st = this.spec.stages;
    const last = st.length - 1;
    const H = st[last]!.out.h;
    for (let a = 0; a < H; a += st[last]!.chunk) {
      const b = Math.min(H, a + st[last]!.chunk);
      this.ensure(last, b, sink);
      sink.save(a, b);
    }
  }

  private ensure(k: number, rows: number, sink: ScheduleSink): void {
    const s = this.spec.stages[k]!;
    while (this.produced[k]! < rows) {
      const a = this.produced[k]!;
      const b = Math.min(s.out.h, a + s.chunk);
      const [lo, hi] = inputRows(s, a, b);
      s.inputs.forEach((f, i) => {
        if (i === 0 && k > 0) this.ensure(k - 1, hi, sink);
        else {
          const have = this.loaded.get(f.name) ?? 0;
          if (have < hi) {
            sink.load(f, have, hi);
            this.loaded.set(f.name, hi);
            this.newest.set(f.name, hi - 1);
          }
        }
        sink.span(f.name, Math.max(0, lo), Math.max(this.newest.get(f.name) ?? hi - 1, hi - 1));
      });
      sink.compute(k, a, b);
      this.produced[k] = b;
      this.newest.set(s.out.name, b - 1);
    }
  }
}

/** Emits one strip of a group. */
class StripEmitter implements ScheduleSink {
  private readonly sched: Schedule;
  private readonly rings = new Map<string, Ring>();
  constructor(
    private readonly ctx: GroupContext,
    private readonly spec: GroupSpec,
    ringFor: (name: string, x0: number, cols: number) => Ring,
    private readonly weights: ReadonlyMap<Stage, WeightBuf[]>,
    private readonly ensureWeights: (s: Stage, buf: WeightBuf) => void,
    x0: number,
    x1: number,
    /** In a weight pass: the output-channel groups it computes and saves. */
    private readonly lanes?: { readonly j0: number; readonly j1: number },
    /** Inputs an earlier pass left whole in their rings: nothing to load. */
    private readonly loadedOnce: ReadonlySet<string> = new Set(),
  ) {
    this.sched = new Schedule(ctx.arch, spec, x0, x1);
    for (const [name, [c0, c1]] of this.sched.ringRange) this.rings.set(name, ringFor(name, c0, c1 - c0));
  }

  run(): void {
    this.sched.run(this);
  }

  span(): void {}

  private get pp(): number {
    return this.ctx.arch.dpu.pp;
  }
  private get depth(): number {
    return this.ctx.arch.dpu.bankDepth;
  }

  load(f: FeatureMap, r0: number, r1: number): void {
    if (this.loadedOnce.has(f.name)) return;
    if (f.augmented) return this.loadAugmented(f, f.augmented, r0, r1);
    const ring = this.rings.get(f.name)!;
    const place = this.ctx.places.get(f.name)!;
    const [c0, c1] = this.sched.colRange.get(f.name)!;
    // Rows are contiguous in the bank (one LOAD per bank and address group) only when a stored row is
    // exactly the image row: the whole width, and no padding columns around it.
    const full = c0 === 0 && c1 === f.w && ring.rowAddrs === f.w * ring.cg;
    const rowBytes = f.w * place.pixelStride;
    // Rows of one (bank, address group) are consecutive slots: one LOAD when the strip is the whole row.
    let y = r0;
    while (y < r1) {
      const p = rowPlace(ring, this.pp, y);
      let y1 = y + 1;
      if (full) while (y1 < r1 && rowPlace(ring, this.pp, y1).bank === p.bank && rowPlace(ring, this.pp, y1).group === p.group) y1++;
      const pixels = full ? (y1 - y) * f.w : c1 - c0;
      const start = pixelAddr(ring, this.depth, y, c0, this.pp);
      const ddr = place.offset + y * rowBytes + c0 * place.pixelStride;
      for (let done = 0; done < pixels; done += 1024) {
        const n = Math.min(1024, pixels - done);
        const acc = this.ctx.b.ringAccess(ring, LOAD_E, rowKeys(ring, this.pp, y, y1), true);
        this.ctx.b.emit(
          'LOAD',
          {
            bank_addr: mod(start.addr + done * ring.cg, this.depth),
            bank_id: start.bank,
            jump_write: ring.cg,
            jump_read: place.pixelStride,
            length: n,
            channel: f.c,
            reg_id: place.reg,
            ddr_addr: ddr + done * place.pixelStride,
          },
          [...acc.reads, ...ddrKeys(place.reg, ddr + done * place.pixelStride, ddr + (done + n - 1) * place.pixelStride + f.c)],
          acc.writes,
        );
      }
      y = y1;
    }
  }

  /** Rows of a channel-augmented view (channelAugmented): one LOAD per row and 1024 pixels. */
  private loadAugmented(f: FeatureMap, a: NonNullable<FeatureMap['augmented']>, r0: number, r1: number): void {
    const ring = this.rings.get(f.name)!;
    const src = a.source;
    const place = this.ctx.places.get(src.name)!;
    const c = src.c;
    const icp = this.ctx.arch.dpu.icp;
    const fill = Math.ceil(f.c / icp) * icp - f.c;
    const [c0, c1] = this.sched.colRange.get(f.name)!;
    // First view pixel whose window reaches past the source's last column.
    const rightFrom = src.w + a.left - a.k + 1;
    for (let y = r0; y < r1; y++) {
      const rowStart = place.offset + y * src.w * c;
      for (let u0 = c0; u0 < c1; u0 += 1024) {
        const n = Math.min(1024, c1 - u0);
        const start = pixelAddr(ring, this.depth, y, u0, this.pp);
        const ddr = rowStart + (u0 - a.left) * c;
        const e = Math.min(n - 1, Math.max(0, rightFrom - u0));
        const padded = rightFrom - u0 < n;
        // Pixel e zeroes pad_end bytes, each later one c more: its first zeroed window column.
        const past = padded ? Math.max(0, u0 - rightFrom) + 1 : 0;
        const acc = this.ctx.b.ringAccess(ring, LOAD_E, rowKeys(ring, this.pp, y, y + 1), true);
        this.ctx.b.emit(
          'LOAD',
          {
            bank_addr: start.addr,
            bank_id: start.bank,
            jump_write: ring.cg,
            jump_read: c,
            length: n,
            channel: f.c,
            reg_id: place.reg,
            ddr_addr: ddr,
            pad_start: Math.max(0, a.left - u0) * c,
            // Without right padding, the last pixel zeroes only the fill bytes (zero anyway).
            pad_end: fill + past * c,
            pad_idx: n - e,
          },
          [...acc.reads, ...ddrKeys(place.reg, ddr, ddr + (n - 1) * c + f.c)],
          acc.writes,
        );
      }
    }
  }

  save(a: number, b: number): void {
    const s = this.spec.stages[this.spec.stages.length - 1]!;
    const f = s.out;
    const ring = this.rings.get(f.name)!;
    const place = this.ctx.places.get(f.name)!;
    const [c0, c1] = this.sched.colRange.get(f.name)!;
    // A weight pass saves its channel slice: lanes j0..j1 of every pixel.
    const ocp = this.ctx.arch.dpu.ocp;
    const ch0 = this.lanes ? this.lanes.j0 * ocp : 0;
    const channels = this.lanes ? Math.min(f.c, this.lanes.j1 * ocp) - ch0 : f.c;
    const lane0 = this.lanes ? this.lanes.j0 : 0;
    for (let y = a; y < b; y++) {
      const start = pixelAddr(ring, this.depth, y, c0, this.pp);
      const ddr = place.offset + (y * f.w + c0) * place.pixelStride + ch0;
      const pixels = c1 - c0;
      for (let done = 0; done < pixels; done += 1024) {
        const n = Math.min(1024, pixels - done);
        const acc = this.ctx.b.ringAccess(ring, SAVE_E, rowKeys(ring, this.pp, y, y + 1), false);
        this.ctx.b.emit(
          'SAVE',
          {
            bank_addr: mod(start.addr + done * ring.cg + lane0, this.depth),
            bank_id: start.bank,
            jump_read: ring.cg,
            jump_write: place.pixelStride,
            length: n,
            channel: channels,
            reg_id: place.reg,
            ddr_addr: ddr + done * place.pixelStride,
          },
          acc.reads,
          ddrKeys(place.reg, ddr + done * place.pixelStride, ddr + (done + n - 1) * place.pixelStride + channels),
        );
      }
    }
  }

  compute(k: number, a: number, b: number): void {
    const s = this.spec.stages[k]!;
    switch (s.kind) {
      case 'conv':
        return this.conv(s, a, b);
      case 'dw':
        return this.depthwise(s, a, b);
      case 'pool':
        return this.pool(s, a, b);
      case 'elew':
        return this.elew(s, a, b);
    }
  }

  /** Emit an INIT unless the engine's state already equals it. */
  private init(engine: string, mnemonic: 'CONVINIT' | 'POOLINIT' | 'DWINIT', fields: Record<string, number>): void {
    const key = `${mnemonic}:${JSON.stringify(fields)}`;
    if (this.ctx.lastInit.get(engine) === key) return;
    this.ctx.lastInit.set(engine, key);
    this.ctx.b.emit(mnemonic, fields);
  }

  /** Fields common to the windowed engines for output rows [a, b), output columns of this strip. */
  private window(s: Stage, a: number, b: number) {
    const inRing = this.rings.get(s.inputs[0]!.name)!;
    const outRing = this.rings.get(s.out.name)!;
    const [oc0, oc1] = this.sched.colRange.get(s.out.name)!;
    const H = s.inputs[0]!.h;
    const W = s.inputs[0]!.w;
    const v = b - a;
    const y0 = a * s.sh - s.pads[0];
    const xi0 = oc0 * s.sw - s.pads[1];
    const length = oc1 - oc0;
    const padTop = Math.max(0, -y0);
    const padLeft = Math.max(0, -xi0);
    // pad_bottom / pad_right: the last valid window index (kernel - 1 means no padding).
    const padBottom = Math.min(s.kh - 1, H - y0 - 1 - (v - 1) * s.sh);
    const padRight = Math.min(s.kw - 1, W - xi0 - 1 - (length - 1) * s.sw);
    if (padBottom < 0 || padRight < 0) throw new Error(`codegen: ${s.op.node.name} rows ${a}..${b} read no real input (a tiling bug)`);
    const w = walk(inRing, this.ctx.arch, y0, xi0);
    const outPlace = rowPlace(outRing, this.pp, a);
    const outAddr = mod(groupAddr(outRing, this.depth, outPlace.group) + (oc0 - outRing.x0) * outRing.cg, this.depth);
    const [r0, r1] = inputRows(s, a, b);
    return { inRing, outRing, v, length, padTop, padLeft, padBottom, padRight, w, outPlace, outAddr, r0, r1 };
  }

  private conv(s: Stage, a: number, b: number): void {
    const op = s.op as ConvOp;
    const q = op.q;
    const x = this.window(s, a, b);
    this.init('CONV', 'CONVINIT', {
      jump_read: x.inRing.cg,
      shift_cut: q.shiftCut,
      act_type: { none: 0, relu: 1, leaky_relu: 3, relu6: 4 }[q.act],
      jump_read_endl: x.inRing.rowAddrs,
      shift_bias: q.shiftBias,
      stride_out: x.outRing.stride,
      jump_write: x.outRing.cg,
      stride_offset_in: x.w.slot,
      valid_pixel_parallel: x.v,
      kernel_h: s.kh,
      stride_h: s.sh,
      jump_write_endl: x.outRing.rowAddrs,
      stride_offset_out: x.outPlace.slot,
      kernel_w: s.kw,
      stride_w: s.sw,
    });
    const inKeys = this.ctx.b.ringAccess(x.inRing, CONV_E, rowKeys(x.inRing, this.pp, x.r0, x.r1), false);
    const cgIn = Math.ceil(s.inputs[0]!.c / op.groups / this.ctx.arch.dpu.icp);
    for (const buf of this.weights.get(s)!) {
      this.ensureWeights(s, buf);
      const L = convWeightLayout(op, this.ctx.arch, s.inputs[0]!.c, s.out.c);
      for (let j = buf.j0; j < buf.j1; j++) {
        const lane = buf.grp * L.ocg + j;
        const outKeys = this.ctx.b.ringAccess(x.outRing, CONV_E, rowKeys(x.outRing, this.pp, a, b), true);
        this.ctx.b.emit(
          'CONV',
          {
            bank_addr_in: mod(x.w.bases[0] + buf.grp * cgIn, this.depth),
            pad_top: x.padTop,
            pad_left: x.padLeft,
            bank_addr_out: mod(x.outAddr + lane, this.depth),
            pad_bottom: x.padBottom,
            pad_right: x.padRight,
            channel_group: cgIn,
            bank_addr_weights: buf.base + (j - buf.j0) * L.filterAddrs,
            bank_id_in: x.w.bank,
            length: x.length,
            bank_addr_bias: buf.biasBase + (j - buf.j0),
            bank_id_out: x.outPlace.bank,
            bank_addr_in_1: mod(x.w.bases[1] + buf.grp * cgIn, this.depth),
            bank_addr_in_2: mod(x.w.bases[2] + buf.grp * cgIn, this.depth),
            bank_addr_in_3: mod(x.w.bases[3] + buf.grp * cgIn, this.depth),
          },
          [...inKeys.reads, `w${buf.id}`, ...buf.phys, ...outKeys.reads],
          outKeys.writes,
        );
      }
    }
  }

  private depthwise(s: Stage, a: number, b: number): void {
    const op = s.op as ConvOp;
    const q = op.q;
    const x = this.window(s, a, b);
    const buf = this.weights.get(s)![0]!;
    this.ensureWeights(s, buf);
    const cg = x.inRing.cg;
    this.init('MISC', 'DWINIT', {
      jump_read_endl: x.inRing.rowAddrs,
      jump_read: cg,
      jump_write_endl: x.outRing.rowAddrs,
      kernel_h: s.kh,
      kernel_w: s.kw,
      stride_h: s.sh,
      stride_w: s.sw,
      valid_pixel_parallel: x.v,
      stride_offset_in: x.w.slot,
      shift_cut: q.shiftCut,
      shift_bias: q.shiftBias,
      stride_offset_out: x.outPlace.slot,
      stride_out: x.outRing.stride,
      jump_write: x.outRing.cg,
    });
    const inKeys = this.ctx.b.ringAccess(x.inRing, MISC_E, rowKeys(x.inRing, this.pp, x.r0, x.r1), false);
    const outKeys = this.ctx.b.ringAccess(x.outRing, MISC_E, rowKeys(x.outRing, this.pp, a, b), true);
    this.ctx.b.emit(
      'DPTWISE',
      {
        bank_addr_in: x.w.bases[0],
        channel_group: cg,
        bank_addr_out: x.outAddr,
        pad_bottom: x.padBottom,
        pad_top: x.padTop,
        pad_right: x.padRight,
        pad_left: x.padLeft,
        bank_addr_weights: buf.base,
        bank_id_in: x.w.bank,
        length: x.length,
        act_type: { none: 0, relu: 1, leaky_relu: 3, relu6: 4 }[q.act],
        bank_addr_bias: buf.biasBase,
        bank_id_out: x.outPlace.bank,
        bank_addr_in_1: x.w.bases[1],
        bank_addr_in_2: x.w.bases[2],
        bank_addr_in_3: x.w.bases[3],
      },
      [...inKeys.reads, `w${buf.id}`, ...buf.phys, ...outKeys.reads],
      outKeys.writes,
    );
  }

  private pool(s: Stage, a: number, b: number): void {
    const op = s.op as PoolOp;
    const x = this.window(s, a, b);
    const cg = x.inRing.cg;
    this.init('MISC', 'POOLINIT', {
      jump_read: cg,
      kernel_h: s.kh,
      kernel_w: s.kw,
      shift_cut: op.q.shiftCut,
      pool_type: op.q.type === 'max' ? 0 : 1,
      stride_h: s.sh,
      stride_w: s.sw,
      stride_offset_in: x.w.slot,
      valid_pixel_parallel: x.v,
      stride_offset_out: x.outPlace.slot,
      stride_out: x.outRing.stride,
      jump_write: x.outRing.cg,
    });
    const inKeys = this.ctx.b.ringAccess(x.inRing, MISC_E, rowKeys(x.inRing, this.pp, x.r0, x.r1), false);
    const outKeys = this.ctx.b.ringAccess(x.outRing, MISC_E, rowKeys(x.outRing, this.pp, a, b), true);
    this.ctx.b.emit(
      'POOL',
      {
        bank_addr_in: x.w.bases[0],
        channel_group: cg,
        bank_id_in: x.w.bank,
        pad_bottom: x.padBottom,
        pad_right: x.padRight,
        pad_top: x.padTop,
        pad_left: x.padLeft,
        jump_write_endl: x.outRing.rowAddrs,
        bank_id_out: x.outPlace.bank,
        length: x.length,
        jump_read_endl: x.inRing.rowAddrs,
        bank_addr_out: x.outAddr,
        bank_addr_in_1: x.w.bases[1],
        bank_addr_in_2: x.w.bases[2],
        bank_addr_in_3: x.w.bases[3],
      },
      [...inKeys.reads, ...outKeys.reads],
      outKeys.writes,
    );
  }

  private elew(s: Stage, a: number, b: number): void {
    const op = s.op as ElewOp;
    const outRing = this.rings.get(s.out.name)!;
    const [oc0, oc1] = this.sched.colRange.get(s.out.name)!;
    const reads: string[] = [];
    s.inputs.forEach((f, i) => {
      const r = this.rings.get(f.name)!;
      const start = pixelAddr(r, this.depth, a, oc0, this.pp);
      const acc = this.ctx.b.ringAccess(r, MISC_E, rowKeys(r, this.pp, a, b), false);
      reads.push(...acc.reads);
      this.ctx.b.emit('ELEWINIT', {
        share_pp: 0,
        bank_id_in: start.bank,
        bank_addr_in: start.addr,
        jump_read_endl: r.rowAddrs,
        id: i,
        jump_bank: 1,
        jump_read: r.cg,
        shift_read: (s.shiftRead ?? op.q.shiftRead)[i]!,
      });
    });
    const start = pixelAddr(outRing, this.depth, a, oc0, this.pp);
    const outKeys = this.ctx.b.ringAccess(outRing, MISC_E, rowKeys(outRing, this.pp, a, b), true);
    this.ctx.b.emit(
      'ELEW',
      {
        length: oc1 - oc0,
        act_type: op.q.relu ? 1 : 0,
        elew_type: op.q.type === 'add' ? 0 : 1,
        bank_id_out: start.bank,
        bank_addr_out: start.addr,
        jump_write_endl: outRing.rowAddrs,
        num: s.inputs.length,
        valid_pixel_parallel: b - a,
        jump_write: outRing.cg,
        shift_write: op.q.shiftWrite,
        channel_group: outRing.cg,
      },
      [...reads, ...outKeys.reads],
      outKeys.writes,
    );
  }
}

/** LOADs of a CONV's filters (bank by bank) and biases into a weight buffer. */
function loadConvWeights(ctx: GroupContext, s: Stage, buf: WeightBuf): void {
  const op = s.op as ConvOp;
  const { arch } = ctx;
  const icp = arch.dpu.icp;
  const L = convWeightLayout(op, arch, s.inputs[0]!.c, s.out.c);
  const { wOff, bOff } = ctx.blob.addOnce(op.q.weights, `conv ${s.inputs[0]!.c} ${s.out.c} ${buf.grp} ${buf.j0} ${buf.j1}`, () => convWeightTile(op, arch, s.inputs[0]!.c, s.out.c, buf.grp, buf.j0, buf.j1));
  const n = buf.j1 - buf.j0;
  const cw = bankGroupByName(arch, 'CONVW')!;
  const filterBytes = L.filterAddrs * icp;
  const perBank = L.bankBytes(n);
  for (let bank = 0; bank < cw.count; bank++) {
    const ddr = wOff + bank * perBank;
    // One filter per LOAD pixel when it fits the channel field, else chunks of 1024 addresses.
    const pixelBytes = filterBytes <= 16384 ? filterBytes : 1024 * icp;
    const pixels = perBank / pixelBytes;
    const whole = Number.isInteger(pixels) ? pixelBytes : icp;
    const count = perBank / whole;
    for (let done = 0; done < count; done += 1024) {
      const k = Math.min(1024, count - done);
      ctx.b.emit(
        'LOAD',
        { bank_addr: buf.base + (done * whole) / icp, bank_id: cw.baseId + bank, jump_write: whole / icp, jump_read: whole, length: k, channel: whole, reg_id: REG_WEIGHTS, ddr_addr: ddr + done * whole },
        ddrKeys(REG_WEIGHTS, ddr + done * whole, ddr + (done + k) * whole),
        [`w${buf.id}`, ...physKeys(cw, buf.base, n * L.filterAddrs)],
      );
    }
  }
  const bg = bankGroupByName(arch, 'BIAS')!;
  ctx.b.emit(
    'LOAD',
    { bank_addr: buf.biasBase, bank_id: bg.baseId, jump_write: 1, jump_read: icp, length: n, channel: icp, reg_id: REG_WEIGHTS, ddr_addr: bOff },
    ddrKeys(REG_WEIGHTS, bOff, bOff + n * icp),
    [`w${buf.id}`, ...physKeys(bg, buf.biasBase, n)],
  );
}

function loadDepthwiseWeights(ctx: GroupContext, s: Stage, buf: WeightBuf): void {
  const op = s.op as ConvOp;
  const { arch } = ctx;
  const icp = arch.dpu.icp;
  const cg = Math.ceil(s.out.c / icp);
  const { wOff, bOff } = ctx.blob.addOnce(op.q.weights, `dw ${s.out.c}`, () => depthwiseWeights(op, arch, s.out.c));
  const dw = bankGroupByName(arch, 'DWCONVW')!;
  const elems = op.kernel[0] * op.kernel[1];
  ctx.b.emit(
    'LOAD',
    { bank_addr: buf.base, bank_id: dw.baseId, jump_write: cg, jump_read: cg * icp, length: elems, channel: cg * icp, reg_id: REG_WEIGHTS, ddr_addr: wOff },
    ddrKeys(REG_WEIGHTS, wOff, wOff + elems * cg * icp),
    [`w${buf.id}`, ...physKeys(dw, buf.base, elems * cg)],
  );
  const bg = bankGroupByName(arch, 'BIAS')!;
  ctx.b.emit(
    'LOAD',
    { bank_addr: buf.biasBase, bank_id: bg.baseId, jump_write: cg, jump_read: cg * icp, length: 1, channel: cg * icp, reg_id: REG_WEIGHTS, ddr_addr: bOff },
    ddrKeys(REG_WEIGHTS, bOff, bOff + cg * icp),
    [`w${buf.id}`, ...physKeys(bg, buf.biasBase, cg)],
  );
}

/** Physical block keys of [base, base + size) in a bank group (see emit.ts). */
/** Addresses per dependency key of weight and bias memory: fine enough that double-buffered passes
 * (each at most half the depth) fall in different blocks, coarse enough to keep key lists short. */
const PHYS_KEY_BLOCK = 32;

function physKeys(g: BankGroup, base: number, size: number): string[] {
  const keys: string[] = [];
  for (let b = Math.floor(base / PHYS_KEY_BLOCK); b <= Math.floor((base + size - 1) / PHYS_KEY_BLOCK); b++) keys.push(`p${g.baseId}:${b}`);
  return keys;
}

/**
 * A concatenation copied through the chip (the unfused baseline, or when an input cannot be written in
 * place): each input's rows go LOAD -> image bank -> SAVE into its channel slice of the output.
 */
export function generateCopy(ctx: GroupContext, inputs: readonly FeatureMap[], out: FeatureMap): void {
  const { arch } = ctx;
  const pp = arch.dpu.pp;
  const depth = arch.dpu.bankDepth;
  const vb0 = bankGroupByName(arch, 'VB0')!;
  const sp = space(ctx, vb0);
  const outPlace = ctx.places.get(out.name)!;
  let channel = 0;
  for (const f of inputs) {
    sp.nextGroup();
    const place = ctx.places.get(f.name)!;
    const cg = Math.ceil(f.c / arch.dpu.icp);
    // Columns per pass so that two address groups of one-row blocks fit the bank.
    let cols = f.w;
    while (cols > 1 && 2 * cols * cg > depth) cols = Math.ceil(cols / 2);
    const base = sp.allocate(2 * cols * cg);
    if (base === undefined) throw new CapacityError(`concatenation ${out.name}: no room to copy ${f.name}`);
    for (let x0 = 0; x0 < f.w; x0 += cols) {
      const n = Math.min(cols, f.w - x0);
      const ring = makeRing(ctx.nextRing++, f.name, vb0, base, cols, cg, 1, 2, x0);
      for (let y = 0; y < f.h; y++) {
        const at = pixelAddr(ring, depth, y, x0, pp);
        const src = place.offset + (y * f.w + x0) * place.pixelStride;
        const dst = outPlace.offset + (y * out.w + x0) * outPlace.pixelStride + channel;
        const keys = rowKeys(ring, pp, y, y + 1);
        const w = ctx.b.ringAccess(ring, LOAD_E, keys, true);
        ctx.b.emit('LOAD', { bank_addr: at.addr, bank_id: at.bank, jump_write: cg, jump_read: place.pixelStride, length: n, channel: f.c, reg_id: place.reg, ddr_addr: src }, [...w.reads, ...ddrKeys(place.reg, src, src + (n - 1) * place.pixelStride + f.c)], w.writes);
        const r = ctx.b.ringAccess(ring, SAVE_E, keys, false);
        ctx.b.emit('SAVE', { bank_addr: at.addr, bank_id: at.bank, jump_read: cg, jump_write: outPlace.pixelStride, length: n, channel: f.c, reg_id: outPlace.reg, ddr_addr: dst }, r.reads, ddrKeys(outPlace.reg, dst, dst + (n - 1) * outPlace.pixelStride + f.c));
      }
    }
    channel += f.c;
  }
}
