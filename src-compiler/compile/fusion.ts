// Fusion: templates of operations that run together on chip, found by subgraph isomorphism, costed by
// the timing model, and chosen by the strategy search (docs/compiler.md).
//
// Every template is a chain: each stage reads the previous stage's output from the image banks, where
// it was written, instead of DDR. What a template saves is that intermediate's SAVE and LOAD (its DDR
// traffic twice over) and the engine overlap of the stages inside one pipeline. It is legal when the
// intermediate has no reader outside the chain (not a model output, not written in place into a
// concatenation, not read by another layer or the host), when every convolution's filters stay
// resident together, when an ELEW result feeds only stride-1 windows (ELEW writes one row per bank),
// and when the rings of the chain fit the image banks (checked by planning the group).

import type { Arch } from '../arch/model';
import { programFromInstrs } from '../sim/program';
import { instructionCosts, DDR as DDR_KIND } from '../sim/cost';
import { ENGINES } from '../isa/table';
import { findEmbeddings, uniqueBySet, type DagView, type Pattern } from './match';
import { optimalCover, type Candidate } from './strategy';
import { crossEngineDependencies } from './tokens';
import { CapacityError, generateGroup, stageOf, type GroupContext, type GroupSpec, type Stage } from './codegen';
import { DDR_BLOCK, ProgramBuilder } from './emit';
import type { DdrLayout } from './ddr';
import type { ConvOp, DpuOp, LoweredGraph } from './lower';
import { convWeightLayout, Blob } from './weights';

export interface Template {
  readonly name: string;
  readonly pattern: Pattern<DpuOp>;
  /** What fusing saves, for the compile report. */
  readonly saves: string;
}

const isConv = (o: DpuOp) => o.kind === 'conv' && !o.depthwise;
const isDw = (o: DpuOp) => o.kind === 'conv' && o.depthwise;
const isAnyConv = (o: DpuOp) => o.kind === 'conv';
const isPool = (o: DpuOp) => o.kind === 'pool';
const isAdd = (o: DpuOp) => o.kind === 'elew';

const node = (name: string, test: (o: DpuOp) => boolean, internal = false) => ({ name, test, ...(internal ? { internal } : {}) });

export const TEMPLATES: readonly Template[] = [
  {
    name: 'conv+pool',
    pattern: { name: 'conv+pool', nodes: [node('conv', isAnyConv, true), node('pool', isPool)], edges: [{ from: 0, to: 1, slot: 0 }] },
    saves: 'the convolution output never goes to DDR (its SAVE and the pool\'s LOAD); CONV and POOL overlap',
  },
  {
    name: 'conv+eltwise',
    pattern: { name: 'conv+eltwise', nodes: [node('conv', isAnyConv, true), node('add', isAdd)], edges: [{ from: 0, to: 1 }] },
    saves: 'the convolution output stays on chip and is added to the residual as it is produced',
  },
  {
    name: 'depthwise+pointwise',
    pattern: { name: 'depthwise+pointwise', nodes: [node('dw', isDw, true), node('pw', (o) => isConv(o) && o.kind === 'conv' && o.kernel[0] === 1 && o.kernel[1] === 1)], edges: [{ from: 0, to: 1, slot: 0 }] },
    saves: 'the depthwise output feeds the 1x1 convolution on chip (MISC and CONV engines overlap)',
  },
  {
    name: 'conv+conv',
    pattern: { name: 'conv+conv', nodes: [node('c0', isAnyConv, true), node('c1', isAnyConv)], edges: [{ from: 0, to: 1, slot: 0 }] },
    saves: 'cross-layer tiling: tiles of the first convolution pass to the second on chip',
  },
  {
    name: 'conv+conv+conv',
    pattern: { name: 'conv+conv+conv', nodes: [node('c0', isAnyConv, true), node('c1', isAnyConv, true), node('c2', isAnyConv)], edges: [{ from: 0, to: 1, slot: 0 }, { from: 1, to: 2, slot: 0 }] },
    saves: 'cross-layer tiling over three convolutions: two intermediates stay on chip',
  },
  {
    name: 'conv+conv+eltwise',
    pattern: { name: 'conv+conv+eltwise', nodes: [node('c0', isAnyConv, true), node('c1', isAnyConv, true), node('add', isAdd)], edges: [{ from: 0, to: 1, slot: 0 }, { from: 1, to: 2 }] },
    saves: 'a residual branch\'s last two convolutions and the addition in one pipeline',
  },
  {
    name: 'pool+conv',
    pattern: { name: 'pool+conv', nodes: [node('pool', isPool, true), node('conv', isAnyConv)], edges: [{ from: 0, to: 1, slot: 0 }] },
    saves: 'the pooled map feeds the convolution on chip (e.g. an Inception pool projection)',
  },
];

/** The segment's DPU operations (concatenations in place are placement, not operations) as a DAG. */
function dagOf(lg: LoweredGraph, ddr: DdrLayout, ops: readonly DpuOp[]): DagView<DpuOp> {
  const index = new Map<string, number>();
  ops.forEach((o, i) => index.set(o.output, i));
  const inSeg = new Set(ops.map((o) => o.index));
  const outputs = new Set(lg.q.graph.outputs);
  return {
    nodes: ops,
    producers: ops.map((o) => o.inputs.map((t) => index.get(t) ?? -1)),
    consumers: ops.map((o) => [...new Set((lg.consumers.get(o.output) ?? []).filter((c) => inSeg.has(c)).map((c) => ops.findIndex((x) => x.index === c)).filter((k) => k >= 0))].sort((a, b) => a - b)),
    externalUses: ops.map((o) => {
      const outside = (lg.consumers.get(o.output) ?? []).filter((c) => !inSeg.has(c) || ops.every((x) => x.index !== c)).length;
      const inConcat = ddr.places.get(o.output)?.buffer !== o.output ? 1 : 0;
      return outside + inConcat + (outputs.has(o.output) ? 1 : 0);
    }),
  };
}

export interface GroupChoice {
  readonly spec: GroupSpec;
  readonly template: string;
  /** Estimated cycles (throughput mode, one core's share of the DDR). */
  readonly cost: number;
}

export interface FusionReport {
  /** Every legal candidate found, with its estimated cost. */
  readonly candidates: readonly { readonly template: string; readonly nodes: readonly string[]; readonly cycles: number }[];
  /** Embeddings rejected, and why (legality or capacity). */
  readonly rejected: readonly { readonly template: string; readonly nodes: readonly string[]; readonly reason: string }[];
  readonly chosen: readonly GroupChoice[];
  readonly estimatedCycles: number;
  readonly unfusedCycles: number;
  readonly droppedByWindow: number;
  /** Groups chosen to run at the same time (parallel.ts), with their estimates together and apart. */
  readonly parallel?: readonly { readonly groups: readonly [string, string]; readonly split: string; readonly cycles: number; readonly apartCycles: number }[];
}

/** A chain of ops as a group spec (ELEW operands reordered so the chained input comes first). */
function chainSpec(lg: LoweredGraph, arch: Arch, ops: readonly DpuOp[]): GroupSpec | string {
  const stages: Stage[] = [];
  for (let k = 0; k < ops.length; k++) {
    const op = ops[k]!;
    if (op.kind === 'concat') return 'a concatenation is placement';
    let s = stageOf(op, lg.fmaps, arch);
    if (k > 0 && s.kind === 'elew') {
      const j = op.inputs.indexOf(ops[k - 1]!.output);
      if (j > 0) {
        const order = [j, ...op.inputs.map((_, i) => i).filter((i) => i !== j)];
        s = { ...s, inputs: order.map((i) => s.inputs[i]!), shiftRead: order.map((i) => (op.kind === 'elew' ? op.q.shiftRead[i]! : 0)) };
      }
    }
    if (k > 0 && s.inputs[0]!.name !== ops[k - 1]!.output) return 'not a chain through the main input';
    stages.push(s);
  }
  for (let k = 0; k + 1 < stages.length; k++) if (stages[k]!.kind === 'elew' && stages[k + 1]!.sh !== 1) return 'an ELEW result (one row per bank) cannot feed a strided window';
  // Filters of every convolution resident at once.
  let convw = 0;
  let dww = 0;
  for (const s of stages) {
    if (s.kind === 'conv') {
      const op = s.op as ConvOp;
      const L = convWeightLayout(op, arch, s.inputs[0]!.c, s.out.c);
      convw += L.ocg * L.filterAddrs * op.groups;
    } else if (s.kind === 'dw') {
      const op = s.op as ConvOp;
      dww += op.kernel[0] * op.kernel[1] * Math.ceil(s.out.c / arch.dpu.icp);
    }
  }
  if (stages.length > 1 && (convw > arch.dpu.bankDepth || dww > arch.dpu.bankDepth)) return `the chain's filters (${convw} CONVW addresses) do not fit the weight banks together`;
  return { name: ops.map((o) => o.node.name).join('+'), stages, nodes: ops.map((o) => o.node.name) };
}

const ids = new WeakMap<object, number>();
let nextId = 0;
const idOf = (o: object) => {
  let id = ids.get(o);
  if (id === undefined) ids.set(o, (id = nextId++));
  return id;
};

/**
 * What a group's instructions depend on, as a string: its stages' operations by their quantization
 * (which a batch's copies of one layer share, and no two layers do) and every map's shape and DDR
 * place up to its offset within a dependency block. Two groups with the same key generate the same
 * instructions but for DDR addresses, so they have the same estimate.
 */
export function groupKey(ddr: DdrLayout, spec: GroupSpec): string {
  const map = (f: { name: string; c: number; h: number; w: number }) => {
    const p = ddr.places.get(f.name);
    return `${f.c}x${f.h}x${f.w}${p ? `@${p.reg}/${p.pixelStride}/${p.offset % DDR_BLOCK}` : ''}`;
  };
  return spec.stages.map((s) => `${s.kind}${idOf(s.op.q)}(${s.inputs.map(map).join(',')})${map(s.out)}${s.shiftRead ? `r${s.shiftRead.join('.')}` : ''}`).join('+');
}

/**
 * The estimated cycles of a group. Its code is generated alone (cheap), each instruction costed with the
 * timing model's formulas (sim/cost.ts: CONV cycles from length, kernel and channel groups; DDR transfers
 * as latency plus bytes at this core's share of the bandwidth), and the instructions scheduled over their
 * dependency graph: an instruction starts when its engine is free and the instructions it depends on
 * (the data conflicts the tokens order, tokens.ts) have ended. The estimate is the critical path, or the
 * DDR time of all transfers if that is longer. What it leaves out of the timing simulator: the dynamic
 * sharing of the DDR between concurrent transfers (a transfer here always gets the core's whole share).
 */
export function estimateGroup(ddr: DdrLayout, spec: GroupSpec, arch: Arch, bytesPerCycle: number): number {
  const b = new ProgramBuilder(arch);
  const ctx: GroupContext = { arch, b, places: ddr.places, blob: new Blob(), spaces: new Map(), nextRing: 0, nextBuffer: 0, lastInit: new Map(), augment: true };
  generateGroup(ctx, spec);
  return estimateInstructions(b, arch, bytesPerCycle);
}

export function estimateInstructions(b: ProgramBuilder, arch: Arch, bytesPerCycle: number): number {
  const instrs = b.instrs.map((e) => e.instr);
  const engineOf = instrs.map((i) => ENGINES.indexOf(i.spec.engine as never));
  const deps = crossEngineDependencies(b.instrs.map((e, k) => ({ engine: engineOf[k]!, reads: e.reads, writes: e.writes })));
  const c = instructionCosts(programFromInstrs(instrs, arch));
  const lat = arch.derived.ddrLatencyCycles;
  const end = new Float64Array(instrs.length);
  const engineFree = [0, 0, 0, 0];
  let bytes = 0;
  let finish = 0;
  for (let i = 0; i < instrs.length; i++) {
    const e = engineOf[i]!;
    if (e < 0) continue;
    let start = engineFree[e]!;
    for (let a = 0; a < 4; a++) {
      const d = deps[i * 4 + a]!;
      if (d >= 0 && end[d]! > start) start = end[d]!;
    }
    const bankRate = c.cycles[i]! > 0 ? c.bytes[i]! / c.cycles[i]! : Infinity;
    const dur = c.kind[i] === DDR_KIND ? lat + c.bytes[i]! / Math.min(bytesPerCycle, bankRate) : c.cycles[i]!;
    end[i] = start + dur;
    engineFree[e] = end[i]!;
    bytes += c.bytes[i]!;
    if (end[i]! > finish) finish = end[i]!;
  }
  return Math.max(finish, bytes / bytesPerCycle + lat);
}

/**
 * Fusion groups of a segment: enumerate template embeddings, keep the legal ones that fit, cost every
 * candidate and every single operation, and cover the segment with the cheapest set.
 */
export function chooseGroups(lg: LoweredGraph, ddr: DdrLayout, ops: readonly DpuOp[], arch: Arch, bytesPerCycle: number, isCancelled?: () => boolean): FusionReport {
  const work = ops.filter((o) => !(o.kind === 'concat' && ddr.inPlaceConcats.has(o.node.name)));
  const dag = dagOf(lg, ddr, work);
  const cands: Candidate[] = [];
  const specs: { spec: GroupSpec | undefined; template: string; op?: DpuOp }[] = [];
  const report: FusionReport['candidates'][number][] = [];
  const rejected: FusionReport['rejected'][number][] = [];
  // A batch's copies of a group generate the same instructions: estimate each once.
  const known = new Map<string, number | string>();
  const cost = (spec: GroupSpec): number | string => {
    const key = groupKey(ddr, spec);
    const hit = known.get(key);
    if (hit !== undefined) return hit;
    let c: number | string;
    try {
      c = estimateGroup(ddr, spec, arch, bytesPerCycle);
    } catch (e) {
      if (!(e instanceof CapacityError)) throw e;
      c = e.message;
    }
    known.set(key, c);
    return c;
  };
  // Singletons: every operation alone (a concatenation that is not in place is a copy).
  work.forEach((op, i) => {
    if (op.kind === 'concat') {
      const f = lg.fmaps.get(op.output)!;
      cands.push({ nodes: [i], cost: (2 * f.c * f.h * f.w) / bytesPerCycle });
      specs.push({ spec: undefined, template: 'copy', op });
      return;
    }
    const spec = chainSpec(lg, arch, [op]) as GroupSpec;
    const c = cost(spec);
    if (typeof c === 'string') throw new CapacityError(c);
    cands.push({ nodes: [i], cost: c });
    specs.push({ spec, template: 'single', op });
  });
  const unfused = cands.reduce((s, c) => s + c.cost, 0);
  for (const t of TEMPLATES) {
    if (isCancelled?.()) break;
    for (const emb of uniqueBySet(findEmbeddings(dag, t.pattern))) {
      const chain = emb.map((k) => work[k]!);
      const names = chain.map((o) => o.node.name);
      const spec = chainSpec(lg, arch, chain);
      if (typeof spec === 'string') {
        rejected.push({ template: t.name, nodes: names, reason: spec });
        continue;
      }
      const c = cost(spec);
      if (typeof c === 'string') {
        rejected.push({ template: t.name, nodes: names, reason: c });
        continue;
      }
      cands.push({ nodes: [...emb], cost: c });
      specs.push({ spec, template: t.name });
      report.push({ template: t.name, nodes: names, cycles: c });
    }
  }
  const cover = optimalCover(work.length, cands);
  const chosen: GroupChoice[] = cover.chosen
    .map((k) => ({ k, first: Math.min(...cands[k]!.nodes) }))
    .sort((a, b) => a.first - b.first)
    .map(({ k }) => {
      const s = specs[k]!;
      const spec: GroupSpec = s.spec ?? { name: s.op!.node.name, stages: [], nodes: [s.op!.node.name] };
      return { spec, template: s.template, cost: cands[k]!.cost };
    });
  return { candidates: report, rejected, chosen, estimatedCycles: cover.cost, unfusedCycles: unfused, droppedByWindow: cover.dropped };
}
