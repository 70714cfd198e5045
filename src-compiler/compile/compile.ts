// The compiler driver: model -> XGraph -> canonical -> quantized -> lowered -> fusion groups -> code ->
// assembly text and binary, with progress reports and cancellation between stages and groups.

import type { Arch } from '../arch/model';
import { formatInstr } from '../asm/format';
import { encodeProgram, type Instr } from '../isa/encoding';
import { loadModel, type LoadOptions } from '../frontend/load';
import { canonicalize } from '../passes/canonicalize';
import { generatedSamples, type Sample } from '../quant/calibration';
import { quantizeFromStats, quantizeGraph } from '../quant/quantize';
import type { QuantizedGraph } from '../quant/types';
import { CancelledError, UserError } from '../util/errors';
import type { XGraph } from '../xgraph/types';
import { layoutDdr, type DdrLayout } from './ddr';
import { ProgramBuilder, type LayerMark } from './emit';
import { CapacityError, generateCopy, generateGroup, stageOf, type GroupContext, type GroupSpec } from './codegen';
import { lower, type DpuOp, type LoweredGraph, type Segment } from './lower';
import { chooseGroups, groupKey, type FusionReport } from './fusion';
import { batchFullyConnected } from './batch';
import { choosePairs, estimateParallel, generateParallel, type BankSplit } from './parallel';
import { Blob } from './weights';

/** Seeded random inputs the quantizer calibrates on when the user gives none. */
export const CALIBRATION_SAMPLES = 4;

export interface CompileOptions {
  readonly arch: Arch;
  /** DNNVM's unfused baseline: one layer at a time, every intermediate through DDR, concat as a copy. */
  readonly naive?: boolean;
  readonly load?: LoadOptions;
  /** Calibration inputs (default: 4 seeded random inputs). */
  readonly calibration?: readonly Sample[];
  /** Calibration statistics from an earlier compilation of the same model (a package's manifest): the
   * float runs over the calibration inputs are skipped. */
  readonly calibrationStats?: ReadonlyMap<string, number>;
  readonly seed?: number;
  /** Images per run: the fully connected layers read their weights once for all of them (batch.ts).
   * Default 1. */
  readonly batch?: number;
  /** Optimized mode: run independent groups that keep different engines busy at the same time
   * (parallel.ts). Default true; false compiles every group after the other. */
  readonly parallel?: boolean;
  readonly onProgress?: (stage: string, done: number, total: number) => void;
  readonly isCancelled?: () => boolean;
}

export interface FusionGroup {
  readonly name: string;
  readonly nodes: readonly string[];
  /** Which template produced it ('single' for one layer alone). */
  readonly template: string;
  /** The layer (a `parallel#k` group) it runs in beside another group, when it does. */
  readonly parallel?: string;
}

export interface CompiledSegment {
  readonly index: number;
  /** Optimized mode: the fusion candidates, the choice and the estimates. */
  readonly fusion?: FusionReport;
  readonly instrs: Instr[];
  readonly comments: (string | undefined)[];
  readonly layers: LayerMark[];
  readonly groups: readonly FusionGroup[];
  readonly tokens: number;
}

export interface Compiled {
  readonly model: string;
  readonly arch: Arch;
  readonly mode: 'optimized' | 'naive';
  /** Images each run of the program computes (1 unless compiled with a batch). */
  readonly batch: number;
  readonly graph: XGraph;
  readonly q: QuantizedGraph;
  readonly lowered: LoweredGraph;
  readonly ddr: DdrLayout;
  readonly segments: readonly CompiledSegment[];
  readonly weights: Int8Array;
  readonly seconds: number;
  /** Seconds per stage of the compiler. */
  readonly timings: Readonly<Record<string, number>>;
}

/** Compile a model file. */
export function compileModel(file: string, opts: CompileOptions): Compiled {
  const t: Record<string, number> = {};
  const t0 = performance.now();
  const step = <T>(name: string, f: () => T): T => {
    if (opts.isCancelled?.()) throw new CancelledError();
    opts.onProgress?.(name, 0, 1);
    const s = performance.now();
    const r = f();
    t[name] = (performance.now() - s) / 1000;
    return r;
  };
  const g = step('import', () => loadModel(file, opts.load ?? {}));
  const canon = step('canonicalize', () => canonicalize(g, opts.arch));
  const q = step('quantize', () => {
    if (opts.calibrationStats) {
      // Stats must cover every tensor the DPU touches; otherwise calibrate afresh.
      const missing = canon.nodes.some((n) => n.device === 'dpu' && n.outputs.some((o) => !opts.calibrationStats!.has(o)));
      if (!missing) return quantizeFromStats(canon, opts.calibrationStats, CALIBRATION_SAMPLES);
    }
    return quantizeGraph(canon, opts.calibration ?? generatedSamples(canon, CALIBRATION_SAMPLES, opts.seed ?? 1));
  });
  return compileQuantized(file, g, q, opts, t, t0);
}

/** Compile an already quantized graph (tests and the language server reuse the front half). */
export function compileQuantized(model: string, g: XGraph, q: QuantizedGraph, opts: CompileOptions, t: Record<string, number> = {}, t0 = performance.now()): Compiled {
  try {
    return compileLowered(model, g, q, opts, t, t0);
  } catch (e) {
    // The partitioner sends to the host what can never fit; what is left and still fails here is a
    // group no tiling fits. Name it and the limit rather than produce a wrong program.
    if (e instanceof CapacityError)
      throw new UserError(`${model}: ${e.message}. No tiling fits the ${opts.arch.name} banks (${opts.arch.dpu.bankDepth} addresses of ${opts.arch.dpu.icp} bytes per bank); compile for a larger configuration, or split the layer in the model`, { file: model });
    throw e;
  }
}

function compileLowered(model: string, g: XGraph, unbatched: QuantizedGraph, opts: CompileOptions, t: Record<string, number>, t0: number): Compiled {
  const naive = opts.naive ?? false;
  const arch = opts.arch;
  const batch = opts.batch ?? 1;
  let s = performance.now();
  const q = batch > 1 ? batchFullyConnected(unbatched, batch, arch) : unbatched;
  const lg = lower(q, arch);
  t['lower'] = (performance.now() - s) / 1000;
  // Fusion first (its cost estimates need addresses only for their strides, which a first layout gives),
  // then the execution order of the groups, then the real DDR layout by liveness in that order.
  s = performance.now();
  const first = layoutDdr(lg, !naive);
  const dpuSegments = lg.steps.flatMap((st) => (st.kind === 'dpu' ? [st.segment] : []));
  const plans = dpuSegments.map((seg) => planSegment(lg, first, seg, opts, naive));
  const step = new Map<number, number>();
  const onChip = new Set<string>();
  let k = 0;
  let segIndex = 0;
  for (const st of lg.steps) {
    if (st.kind === 'host') {
      step.set(st.op.index, k++);
      continue;
    }
    for (const u of plans[segIndex++]!.units) {
      for (const op of u.ops) step.set(op.index, k);
      // A chain's intermediates never reach DDR.
      for (const part of u.parts ?? [u]) for (const op of part.ops.slice(0, -1)) onChip.add(op.output);
      k++;
    }
  }
  // Concatenations in place run nowhere; they sit at their inputs' latest step.
  for (const op of lg.ops) if (!step.has(op.index)) step.set(op.index, Math.max(0, ...op.inputs.map((i) => step.get(lg.producer.get(i) ?? -1) ?? 0)));
  const ddr = layoutDdr(lg, !naive, { step, onChip });
  t['fuse'] = (performance.now() - s) / 1000;
  s = performance.now();
  const blob = new Blob();
  const segments: CompiledSegment[] = [];
  let done = 0;
  const total = plans.reduce((n, p) => n + p.units.reduce((m, u) => m + u.ops.length, 0), 0);
  plans.forEach((plan, i) => segments.push(generateSegment(lg, ddr, dpuSegments[i]!, plan, blob, opts, naive, () => opts.onProgress?.('generate', ++done, total))));
  t['generate'] = (performance.now() - s) / 1000;
  return { model, arch, mode: naive ? 'naive' : 'optimized', batch, graph: g, q, lowered: lg, ddr, segments, weights: blob.bytes(), seconds: (performance.now() - t0) / 1000, timings: t };
}

interface Unit {
  readonly name: string;
  readonly nodes: string[];
  readonly template: string;
  readonly ops: DpuOp[];
  readonly spec?: GroupSpec;
  /** Two independent groups that run at the same time (parallel.ts), and how they share the banks. */
  readonly parts?: readonly [Unit, Unit];
  readonly split?: BankSplit;
}

interface SegmentPlan {
  readonly units: Unit[];
  readonly fusion?: FusionReport;
  /** Throughput mode: each core's share of the DDR, what the estimates assumed. */
  readonly bytesPerCycle?: number;
}

/** The group of a unit as the code generator takes it (a lone operation gets a one-stage group). */
function unitSpec(u: Unit, lg: LoweredGraph, arch: Arch): GroupSpec | undefined {
  if (u.template === 'copy') return undefined;
  return u.spec ?? { name: u.name, stages: [stageOf(u.ops[0]!, lg.fmaps, arch)], nodes: u.nodes };
}

/** The groups of a segment, in execution order: one per operation (naive), or the strategy's choice. */
function planSegment(lg: LoweredGraph, ddr: DdrLayout, seg: Segment, opts: CompileOptions, naive: boolean): SegmentPlan {
  const arch = opts.arch;
  if (naive)
    return {
      units: seg.ops
        .filter((op) => !(op.kind === 'concat' && ddr.inPlaceConcats.has(op.node.name)))
        .map((op) => ({ name: op.node.name, nodes: [op.node.name], template: op.kind === 'concat' ? 'copy' : 'single', ops: [op] })),
    };
  // Throughput mode: each core's share of the DDR.
  const share = Math.min(arch.derived.axiBytesPerCyclePerCore, arch.derived.ddrBytesPerCycle / arch.cores);
  const fusion = chooseGroups(lg, ddr, seg.ops, arch, share, opts.isCancelled);
  const costOf = new Map(fusion.chosen.map((c) => [c.spec.name, c.cost]));
  const ordered = orderGroups(
    lg,
    fusion.chosen.map((c) => ({ name: c.spec.name, nodes: [...c.spec.nodes], template: c.template, ops: c.spec.nodes.map((n) => seg.ops.find((o) => o.node.name === n)!), ...(c.spec.stages.length ? { spec: c.spec } : {}) })),
  );
  // Independent groups that keep different engines busy run at the same time.
  const specs = ordered.map((u) => unitSpec(u, lg, arch));
  // A batch's copies of two groups pair up the same way: estimate each pair of keys once.
  const pairEstimates = new Map<string, ReturnType<typeof estimateParallel>>();
  const estimatePair = (a: GroupSpec, b: GroupSpec) => {
    const key = `${groupKey(ddr, a)}|${groupKey(ddr, b)}`;
    let r = pairEstimates.get(key);
    if (r === undefined) pairEstimates.set(key, (r = estimateParallel(ddr, a, b, arch, share)));
    return r;
  };
  const { order, pairs } =
    opts.parallel === false
      ? { order: ordered.map((_, k) => k), pairs: [] }
      : choosePairs(specs, unitDeps(lg, ordered), ordered.map((u) => costOf.get(u.name) ?? 0), estimatePair, opts.isCancelled);
  const splitOf = new Map(pairs.map((p) => [`${p.first},${p.second}`, p.split]));
  const units = order.map((slot): Unit => {
    if (typeof slot === 'number') return ordered[slot]!;
    const [a, b] = [ordered[slot[0]]!, ordered[slot[1]]!];
    return { name: `${a.name} | ${b.name}`, nodes: [...a.nodes, ...b.nodes], template: 'parallel', ops: [...a.ops, ...b.ops], parts: [a, b], split: splitOf.get(`${slot[0]},${slot[1]}`)! };
  });
  const parallel = pairs.map((p) => ({ groups: [ordered[p.first]!.name, ordered[p.second]!.name] as [string, string], split: p.split, cycles: p.cycles, apartCycles: p.apartCycles }));
  return { units, fusion: { ...fusion, parallel }, bytesPerCycle: share };
}

function generateSegment(lg: LoweredGraph, ddr: DdrLayout, seg: Segment, plan: SegmentPlan, blob: Blob, opts: CompileOptions, naive: boolean, tick: () => void): CompiledSegment {
  const arch = opts.arch;
  const b = new ProgramBuilder(arch);
  const ctx: GroupContext = { arch, b, places: ddr.places, blob, spaces: new Map(), nextRing: 0, nextBuffer: 0, lastInit: new Map(), augment: !naive };
  const groups: FusionGroup[] = [];
  let fusedIndex = 0;
  let parallelIndex = 0;
  for (const u of plan.units) {
    if (opts.isCancelled?.()) throw new CancelledError();
    for (let k = 0; k < u.ops.length; k++) tick();
    if (u.parts) {
      const [pa, pb] = u.parts;
      const layer = `parallel#${parallelIndex++}`;
      const names = u.parts.map((p) => (p.ops.length > 1 ? `${p.template}#${fusedIndex++}` : undefined));
      b.mark(u.name, u.nodes, layer, `${names[0] ?? pa.name} and ${names[1] ?? pb.name} run at the same time: independent, their instructions interleaved so that their engines overlap`, u.parts.map((p) => p.nodes[p.nodes.length - 1]!));
      generateParallel(ctx, unitSpec(pa, lg, arch)!, unitSpec(pb, lg, arch)!, u.split!, plan.bytesPerCycle!);
      u.parts.forEach((p, k) => groups.push({ name: names[k] ?? p.name, nodes: p.nodes, template: p.template, parallel: layer }));
      continue;
    }
    const fused = u.ops.length > 1 ? `${u.template}#${fusedIndex++}` : undefined;
    if (u.template === 'copy') {
      const op = u.ops[0]!;
      b.mark(op.node.name, [op.node.name], undefined, `concatenation copied through the chip${naive ? ' (naive mode)' : ''}`);
      generateCopy(ctx, op.inputs.map((i) => lg.fmaps.get(i)!), lg.fmaps.get(op.output)!);
    } else {
      b.mark(u.name, u.nodes, fused);
      generateGroup(ctx, unitSpec(u, lg, arch)!);
    }
    groups.push({ name: fused ?? u.name, nodes: u.nodes, template: u.template });
  }
  const fin = b.finish();
  return { index: seg.index, instrs: fin.instrs, comments: fin.comments, layers: fin.layers, groups, tokens: fin.tokens, ...(plan.fusion ? { fusion: plan.fusion } : {}) };
}

/** Groups in an order where every group runs after the groups whose outputs it reads (topological;
 * among ready groups, the one whose first operation comes first). */
function orderGroups<T extends { ops: DpuOp[] }>(lg: LoweredGraph, units: T[]): T[] {
  const deps = unitDeps(lg, units);
  const first = units.map((u) => Math.min(...u.ops.map((o) => o.index)));
  const done = new Set<number>();
  const out: T[] = [];
  while (out.length < units.length) {
    let pick = -1;
    for (let k = 0; k < units.length; k++) if (!done.has(k) && [...deps[k]!].every((d) => done.has(d)) && (pick < 0 || first[k]! < first[pick]!)) pick = k;
    if (pick < 0) throw new Error('fusion groups depend on each other in a cycle (a bug in the template legality checks)');
    done.add(pick);
    out.push(units[pick]!);
  }
  return out;
}

/** The groups each group reads from (indices), directly or through concatenations in place. */
function unitDeps(lg: LoweredGraph, units: readonly { ops: DpuOp[] }[]): Set<number>[] {
  const owner = new Map<string, number>();
  units.forEach((u, k) => u.ops.forEach((o) => owner.set(o.output, k)));
  const deps = units.map((u, k) => new Set(u.ops.flatMap((o) => o.inputs.map((i) => owner.get(i)).filter((x): x is number => x !== undefined && x !== k))));
  // Concatenations in place are no group: a reader of one depends on the producers of its inputs.
  const viaConcat = (t: string): number[] => {
    const op = lg.ops[lg.producer.get(t) ?? -1];
    if (op?.kind !== 'concat') return [];
    return op.inputs.flatMap((i) => (owner.has(i) ? [owner.get(i)!] : viaConcat(i)));
  };
  units.forEach((u, k) => u.ops.forEach((o) => o.inputs.forEach((i) => viaConcat(i).forEach((d) => d !== k && deps[k]!.add(d)))));
  return deps;
}

/** Binary of a segment. */
export function segmentWords(s: CompiledSegment): Uint32Array {
  return encodeProgram(s.instrs);
}

const quoteIfNeeded = (s: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? s : JSON.stringify(s));

/** The assembly text of a segment: target, DDR regions, layer markers, instructions. */
export function segmentText(c: Compiled, seg: CompiledSegment, files: { weights: string; input?: string }): string {
  const out: string[] = [];
  const ordinal = c.segments.indexOf(seg);
  out.push(`; ${c.model}: ${c.segments.length > 1 ? `DPU segment ${ordinal} of ${c.segments.length}` : 'DPU program'} compiled by dnnvm for ${c.arch.name} (${c.mode})`);
  out.push(`; ${seg.instrs.length} instructions, ${seg.layers.length} layers, ${seg.tokens} dependency tokens`);
  out.push(`.arch ${c.arch.name}`);
  if (c.batch > 1) out.push(`.batch ${c.batch}  ; images per run: the convolutions run image by image, the fully connected layers once for all`);
  out.push('');
  for (const r of c.ddr.regions) {
    const name = regionSymbol(r.name);
    const file = r.name === 'weights' ? files.weights : r.reg === 0 && files.input ? files.input : undefined;
    out.push(`.ddr ${name} reg=${r.reg} offset=${r.offset} size=${r.size}${file ? ` file=${JSON.stringify(file)}` : ''}`);
  }
  out.push(`.ddr weights reg=1 offset=0 size=${Math.max(1, c.weights.length)} file=${JSON.stringify(files.weights)}`, '');
  let li = 0;
  seg.instrs.forEach((ins, i) => {
    while (li < seg.layers.length && seg.layers[li]!.first === i) {
      const l = seg.layers[li++]!;
      if (l.comment) out.push(`; ${l.comment}`);
      out.push(`.layer ${quoteIfNeeded(l.name)}${l.nodes.length ? ` nodes=${l.nodes.map(quoteIfNeeded).join(',')}` : ''}${l.group ? ` group=${quoteIfNeeded(l.group)}` : ''}`);
    }
    const comment = seg.comments[i];
    out.push(formatInstr(ins, c.arch) + (comment ? `  ; ${comment}` : ''));
  });
  return out.join('\n') + '\n';
}

/** Region names in assembly: identifiers. */
export function regionSymbol(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_').replace(/^([0-9])/, '_$1');
}
