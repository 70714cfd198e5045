// Independent fusion groups that run at the same time.
//
// Each engine of a DPU core runs its own instructions in program order, and nothing else orders the
// engines but tokens (docs/timing-model.md). A group bound by one engine leaves the others idle: an
// Inception block's pool branch keeps MISC busy while CONV waits for pooled rows, and its 3x3 branch
// keeps CONV busy while MISC has nothing to do. Run one after the other, the two take the sum of their
// times; run together, about the longer one. Since an engine takes its instructions in program order,
// running two groups together means interleaving their instructions.
//
// How (generateParallel):
//   1. Both groups are generated alone, each into its own instruction list, with their on-chip
//      addresses kept apart: one is planned with the banks as usual (or half of them), the other into
//      what the first leaves (BankSpace.reserve; planning sizes rings and weight passes to it).
//   2. The lists are merged by a list scheduler over the cost model's estimates (fusion.ts): repeatedly
//      the head instruction of either list that could start earliest goes next. Each list keeps its
//      own order. The groups share no data (independent in the graph, disjoint addresses; in DDR they
//      read the same maps and write separate channels of a concatenation), so the merged program
//      computes what the two computed one after the other, and its tokens come from the same
//      dependency keys (tokens.ts).
//   3. INIT state belongs to the engine and to program order (the latest CONVINIT before a CONV sets
//      its kernel): where the merge switches an engine from one group to the other, that group's INIT
//      is emitted again. ELEW reads a queue of ELEWINITs, so groups with an eltwise stage are not paired.
//
// Which pairs (choosePairs): among groups close in the execution order, pairs with no path between them
// in the graph, one of them with a pooling or depthwise stage (MISC work that can hide CONV work or the
// reverse). A pair is estimated with each way of sharing the banks and kept when it saves more than 2%
// of the two groups' separate estimates; pairs are taken greedily by cycles saved, each group in one
// pair at most, and only where the order stays topological.

import type { Arch } from '../arch/model';
import { DDR as DDR_KIND, instructionCosts } from '../sim/cost';
import { programFromInstrs } from '../sim/program';
import { ENGINE_COUNT, ENGINES, type Mnemonic } from '../isa/table';
import { CapacityError, generateGroup, space, type GroupContext, type GroupSpec } from './codegen';
import type { DdrLayout } from './ddr';
import { PHYS_BLOCK, ProgramBuilder, type EmittedInstr } from './emit';
import { estimateInstructions } from './fusion';
import { crossEngineDependencies } from './tokens';
import { Blob } from './weights';

/** How two groups share the banks: the first planned with all of them and the second into the rest,
 * the reverse, or the first into the lower half. */
export type BankSplit = 'first' | 'second' | 'half';
const SPLITS: readonly BankSplit[] = ['first', 'second', 'half'];

/** A pair must cover at least this fraction of its groups' separate estimates to be worth it. */
const MIN_SAVING = 0.02;
/** Groups at most this far apart in the execution order are considered for a pair. */
const PAIR_WINDOW = 8;

/** Whether a group may run beside another: generated stages, none of them eltwise (its INIT queue). */
export function pairable(spec: GroupSpec | undefined): spec is GroupSpec {
  return spec !== undefined && spec.stages.length > 0 && spec.stages.every((s) => s.kind !== 'elew');
}

/** Whether a group has work for the MISC engine (pooling, depthwise). */
function usesMisc(spec: GroupSpec): boolean {
  return spec.stages.some((s) => s.kind === 'pool' || s.kind === 'dw');
}

/**
 * Generates `a` and `b` into two instruction lists whose on-chip addresses do not overlap. Throws
 * CapacityError when they do not fit the banks together this way; the banks are then as they were.
 */
export function generateApart(ctx: GroupContext, a: GroupSpec, b: GroupSpec, split: BankSplit): [EmittedInstr[], EmittedInstr[]] {
  const { arch } = ctx;
  const spaces = arch.bankGroups.map((g) => space(ctx, g));
  // Forget the previous group's ranges: the planning and the generation then place the two groups
  // identically (the estimate holds), and the dependency keys order any overlap with that group.
  for (const s of spaces) {
    s.nextGroup();
    s.nextGroup();
  }
  const [first, second] = split === 'second' ? [b, a] : [a, b];
  const lists = new Map<GroupSpec, EmittedInstr[]>();
  const gen = (spec: GroupSpec) => {
    const sub: GroupContext = { ...ctx, b: new ProgramBuilder(arch), lastInit: new Map() };
    generateGroup(sub, spec);
    ctx.nextRing = sub.nextRing;
    ctx.nextBuffer = sub.nextBuffer;
    lists.set(spec, sub.b.instrs);
  };
  try {
    for (const s of spaces) {
      s.startLog();
      if (split === 'half') s.reserve([[Math.floor(s.depth / 2), s.depth]]);
    }
    gen(first);
    // Whole key blocks, so that the groups share no dependency key and never wait for each other.
    const taken = spaces.map((s) => s.takeLog().map(([lo, hi]): [number, number] => [Math.floor(lo / PHYS_BLOCK) * PHYS_BLOCK, Math.min(s.depth, Math.ceil(hi / PHYS_BLOCK) * PHYS_BLOCK)]));
    spaces.forEach((s, k) => s.reserve(taken[k]!));
    gen(second);
    // The next group avoids both groups' addresses where it can.
    spaces.forEach((s, k) => {
      s.reserve([]);
      s.addUsed(taken[k]!);
    });
  } finally {
    for (const s of spaces) {
      s.reserve([]);
      s.takeLog();
    }
  }
  return [lists.get(a)!, lists.get(b)!];
}

/** The INIT state key of an instruction (its fields; INITs carry no dependency bits here). */
const initKey = (e: EmittedInstr) => `${e.instr.spec.mnemonic}:${e.instr.values.join(',')}`;

/**
 * Merges instruction lists into one program order: each list keeps its order, and the next instruction
 * is the head that the cost model says could start earliest. INITs are emitted where an engine
 * switches to a list whose INIT state differs from the engine's.
 */
export function mergeStreams(arch: Arch, lists: readonly EmittedInstr[][], bytesPerCycle: number): EmittedInstr[] {
  const lat = arch.derived.ddrLatencyCycles;
  const streams = lists.map((list) => {
    const engine = list.map((e) => ENGINES.indexOf(e.instr.spec.engine as never));
    return {
      list,
      engine,
      deps: crossEngineDependencies(list.map((e, k) => ({ engine: engine[k]!, reads: e.reads, writes: e.writes }))),
      costs: instructionCosts(programFromInstrs(list.map((e) => e.instr), arch)),
      end: new Float64Array(list.length),
      next: 0,
      inits: new Map<Mnemonic, EmittedInstr>(),
    };
  });
  const engineFree = new Array<number>(ENGINE_COUNT).fill(0);
  const state = new Map<Mnemonic, string>();
  const out: EmittedInstr[] = [];
  const startOf = (s: (typeof streams)[number]) => {
    const i = s.next;
    const e = s.engine[i]!;
    if (e < 0) return 0;
    let t = engineFree[e]!;
    for (let a = 0; a < ENGINE_COUNT; a++) {
      const d = s.deps[i * ENGINE_COUNT + a]!;
      if (d >= 0 && s.end[d]! > t) t = s.end[d]!;
    }
    return t;
  };
  for (;;) {
    let pick: (typeof streams)[number] | undefined;
    let at = Infinity;
    for (const s of streams) {
      if (s.next >= s.list.length) continue;
      const t = startOf(s);
      if (t < at) [pick, at] = [s, t];
    }
    if (!pick) break;
    const i = pick.next++;
    const e = pick.list[i]!;
    const m = e.instr.spec.mnemonic;
    const eng = pick.engine[i]!;
    if (e.instr.spec.isInit) {
      // Emitted before the first instruction that needs it (below), and again after a switch.
      pick.inits.set(m, e);
      pick.end[i] = at;
      continue;
    }
    const kind = e.instr.spec.readsInit;
    if (kind) {
      const init = pick.inits.get(kind);
      if (!init) throw new Error(`parallel: ${m} without a ${kind} before it in its group (a code generator bug)`);
      if (state.get(kind) !== initKey(init)) {
        out.push({ instr: init.instr, reads: [], writes: [] });
        state.set(kind, initKey(init));
        at += arch.dpu.initCycles;
      }
    }
    const c = pick.costs;
    const bankRate = c.cycles[i]! > 0 ? c.bytes[i]! / c.cycles[i]! : Infinity;
    const dur = c.kind[i] === DDR_KIND ? lat + c.bytes[i]! / Math.min(bytesPerCycle, bankRate) : c.cycles[i]!;
    pick.end[i] = at + dur;
    if (eng >= 0) engineFree[eng] = pick.end[i]!;
    out.push(e);
  }
  return out;
}

/** Generates two independent groups to run at the same time, into ctx.b. */
export function generateParallel(ctx: GroupContext, a: GroupSpec, b: GroupSpec, split: BankSplit, bytesPerCycle: number): void {
  const lists = generateApart(ctx, a, b, split);
  for (const e of mergeStreams(ctx.arch, lists, bytesPerCycle)) ctx.b.append(e);
  // The engines' INIT state is now whatever the merge left: the next group emits its own.
  ctx.lastInit.clear();
}

/** The estimated cycles of two groups run together, with the best way of sharing the banks; a reason
 * when no way fits. */
export function estimateParallel(ddr: DdrLayout, a: GroupSpec, b: GroupSpec, arch: Arch, bytesPerCycle: number): { split: BankSplit; cycles: number } | string {
  let best: { split: BankSplit; cycles: number } | undefined;
  let why = '';
  for (const split of SPLITS) {
    const pb = new ProgramBuilder(arch);
    const ctx: GroupContext = { arch, b: pb, places: ddr.places, blob: new Blob(), spaces: new Map(), nextRing: 0, nextBuffer: 0, lastInit: new Map(), augment: true };
    try {
      generateParallel(ctx, a, b, split, bytesPerCycle);
    } catch (e) {
      if (!(e instanceof CapacityError)) throw e;
      why = e.message;
      continue;
    }
    const cycles = estimateInstructions(pb, arch, bytesPerCycle);
    if (!best || cycles < best.cycles) best = { split, cycles };
  }
  return best ?? `they do not fit the banks together (${why})`;
}

/** A pair chosen to run together: positions in the execution order given to choosePairs. */
export interface ChosenPair {
  readonly first: number;
  readonly second: number;
  readonly split: BankSplit;
  /** Estimated cycles together, and one after the other. */
  readonly cycles: number;
  readonly apartCycles: number;
}

/**
 * Pairs of groups to run at the same time, and the new execution order: slots of one group (a number)
 * or of a pair (two). `deps[k]` are the positions group k reads from (directly); `cost[k]` its estimate.
 */
export function choosePairs(
  specs: readonly (GroupSpec | undefined)[],
  deps: readonly ReadonlySet<number>[],
  cost: readonly number[],
  estimate: (a: GroupSpec, b: GroupSpec) => { split: BankSplit; cycles: number } | string,
  isCancelled?: () => boolean,
): { order: (number | [number, number])[]; pairs: ChosenPair[] } {
  const n = specs.length;
  // reach[k]: every position k depends on, transitively.
  const reach = deps.map(() => new Set<number>());
  for (let k = 0; k < n; k++) for (const d of deps[k]!) for (const x of [d, ...reach[d]!]) reach[k]!.add(x);
  const found: ChosenPair[] = [];
  for (let i = 0; i < n && !isCancelled?.(); i++) {
    const a = specs[i];
    if (!pairable(a)) continue;
    for (let j = i + 1; j < Math.min(n, i + 1 + PAIR_WINDOW); j++) {
      const b = specs[j];
      if (!pairable(b) || reach[j]!.has(i) || !(usesMisc(a) || usesMisc(b))) continue;
      const r = estimate(a, b);
      if (typeof r === 'string') continue;
      const apart = cost[i]! + cost[j]!;
      if (apart - r.cycles > MIN_SAVING * apart) found.push({ first: i, second: j, split: r.split, cycles: r.cycles, apartCycles: apart });
    }
  }
  found.sort((x, y) => y.apartCycles - y.cycles - (x.apartCycles - x.cycles) || x.first - y.first);
  let order: (number | [number, number])[] = Array.from({ length: n }, (_, k) => k);
  const used = new Set<number>();
  const pairs: ChosenPair[] = [];
  const valid = (o: (number | [number, number])[]) => {
    const done = new Set<number>();
    for (const slot of o) {
      const members = typeof slot === 'number' ? [slot] : slot;
      for (const m of members) for (const d of deps[m]!) if (!done.has(d)) return false;
      for (const m of members) done.add(m);
    }
    return true;
  };
  for (const p of found) {
    if (used.has(p.first) || used.has(p.second)) continue;
    // At the later group's place (the earlier one moves down), or at the earlier one's.
    for (const anchor of [p.second, p.first]) {
      const other = anchor === p.first ? p.second : p.first;
      const tried = order.flatMap((s): (number | [number, number])[] => (s === anchor ? [[p.first, p.second]] : s === other ? [] : [s]));
      if (!valid(tried)) continue;
      order = tried;
      used.add(p.first);
      used.add(p.second);
      pairs.push(p);
      break;
    }
  }
  return { order, pairs };
}
