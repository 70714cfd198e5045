// The cycle-level timing simulator: four engines per DPU core, dependency tokens, and a DDR shared by
// every transfer of every core.
//
// An event-driven simulation over flat arrays. Each engine slot (core x engine) holds at most one
// instruction; an idle slot starts the next instruction of its engine's queue as soon as the tokens its
// dpdon asks for are in their counters. Compute instructions end after their fixed cost (cost.ts). A DDR
// transfer first waits out the DDR latency, then moves its bytes at a rate that changes whenever the set
// of moving transfers changes: all moving transfers share the board's DDR bytes per cycle max-min
// fairly, each core's transfers together get at most its AXI bytes per cycle, and each transfer at most
// its bank side's bytes per cycle. Between events nothing changes, so the loop jumps from event to event
// and never steps cycles. docs/timing-model.md has the formulas and the constants' sources.
//
// Throughput mode: `cores` cores run the same program on their own images at once, from cycle 0 or
// from the cycles `startCycles` gives. With `images` > 1 each core runs that many images one after the
// other (a job ends at END, the next starts on the same core at once), which measures the steady state:
// cores that start staggered keep their DDR-heavy layers apart, as with a runtime that feeds each
// core its next image as soon as the previous one is done.

import { ENGINE_COUNT, ENGINES } from '../isa/table';
import type { Arch } from '../arch/model';
import { CancelledError } from '../util/errors';
import { DDR, bankRate, instructionCosts, peakCycles, soloCycles, type InstrCosts } from './cost';
import { buildDepGraph, deadlockProblem, unbalancedProblems, type DepGraph } from './deps';
import { CTRL, type SimProblem, type SimProgram } from './program';

export interface TimingOptions {
  /** Cores running the program at once (default: all the architecture has; at most 8). */
  readonly cores?: number;
  /** Keep per-instruction times for every core (the trace needs them); default: core 0 only. */
  readonly recordAllCores?: boolean;
  /** Stop after this many instruction starts (over all cores); the result is partial ('limit'). */
  readonly maxInstructions?: number;
  /** Stop at this cycle; the result is partial ('limit'). */
  readonly maxCycles?: number;
  /** Checked every few thousand events; return true to abandon the run (throws CancelledError). */
  readonly isCancelled?: () => boolean;
  /** Record the total DDR rate over time (for the trace's bandwidth counter and for tests). */
  readonly bandwidthTimeline?: boolean;
  /** Images each core runs back to back (default 1). Per-instruction times are the last image's. */
  readonly images?: number;
  /** Cycle at which each core starts its first image (default 0 for every core). */
  readonly startCycles?: readonly number[];
}

/**
 * Per-instruction times of one core, kept small because programs have millions of instructions:
 *   rec[2i + START]  -1 if instruction i never started (deadlock, limit);
 *   rec[2i + END]    -1 if it never ended;
 *   giver[i]         the instruction that gave the token it waited for last (-1 without dpdon).
 * When it was queued (its engine's previous instruction ended) and ready (its last token given) follow
 * from these; instructionTiming() works them out. Cycles are exact values of the model, not rounded.
 */
export interface InstrTimes {
  readonly rec: Float64Array;
  readonly giver: Int32Array;
}
export const START = 0;
export const END = 1;

export interface EngineTiming {
  readonly engine: string;
  readonly instructions: number;
  readonly busyCycles: number;
  /** busyCycles / program cycles. */
  readonly utilization: number;
}

export type Bound = 'compute' | 'misc' | 'memory';

export interface LayerTiming {
  readonly name: string;
  readonly line?: number;
  /** Instructions [first, end). */
  readonly first: number;
  readonly end: number;
  /** First start and last end of its instructions (on core 0). */
  readonly startCycle: number;
  readonly endCycle: number;
  /** endCycle - startCycle. Layers can overlap, so these do not add up to the program. */
  readonly cycles: number;
  /** How much later the program's last completion so far moves because of this layer; these add up. */
  readonly incrementalCycles: number;
  readonly macs: number;
  readonly ops: number;
  readonly ddrBytes: number;
  /** Device ops per second while in the layer: ops x cores / (cycles / clock). */
  readonly opsPerSecond: number;
  /** MACs / (cycles x PP x ICP x OCP): the MAC array's use. */
  readonly utilization: number;
  /** The layer's CONV and MISC work in cycles at their engines' peak rates. */
  readonly convPeakCycles: number;
  readonly miscPeakCycles: number;
  /** The fewest cycles the layer's work allows: max(convPeakCycles, miscPeakCycles, DDR bytes at the most one core can move). */
  readonly rooflineCycles: number;
  readonly rooflineFraction: number;
  readonly bound: Bound;
}

export interface TimingResult {
  readonly status: 'complete' | 'deadlock' | 'limit';
  readonly arch: string;
  readonly archModel: Arch;
  readonly cores: number;
  readonly frequencyHz: number;
  /** Instructions in the program that run (up to END). */
  readonly instructions: number;
  /** Instruction starts simulated, over all cores. */
  readonly executed: number;
  /** Cycles until the last core retires END of its last image (or until the simulation stopped). */
  readonly cycles: number;
  readonly seconds: number;
  /** Images per core (options.images). */
  readonly images: number;
  /**
   * Cycles per image on one core: with one image, `cycles`; with more, the mean over cores of the
   * cycles between the ends of their first and last images over (images - 1), the steady state.
   */
  readonly period: number;
  /** Cycle at which each core retired END of each of its images. */
  readonly imageEnds: readonly (readonly number[])[];
  /** Images per second with every core running the program: cores x batch x clock / period. */
  readonly fps: number;
  /** Images one run computes (the program's `.batch`). */
  readonly batch: number;
  /** Per image. */
  readonly ops: number;
  readonly macs: number;
  readonly ddrBytes: number;
  /** Device ops per second: ops x cores x clock / period. */
  readonly opsPerSecond: number;
  /** MAC array use over the program: macs / (period x PP x ICP x OCP). */
  readonly utilization: number;
  readonly engines: readonly EngineTiming[];
  readonly layers: readonly LayerTiming[];
  /** Times of cores 0..recordedCores-1. */
  readonly times: readonly InstrTimes[];
  readonly costs: InstrCosts;
  readonly graph: DepGraph;
  readonly problems: readonly SimProblem[];
  /** With bandwidthTimeline: the total DDR rate (bytes/cycle) over [start, end) segments. */
  readonly bandwidth?: readonly { readonly start: number; readonly end: number; readonly bytesPerCycle: number }[];
}

const IDLE = 0;
const COMPUTE = 1;
const LATENCY = 2;
const DATA = 3;
/** Relative tolerance when deciding that a shared-rate constraint is saturated. */
const SATURATED = 1 - 1e-12;
const OVER = 1 + 1e-12;

/**
 * The DDR side of the loop: per engine slot, a transfer's remaining bytes (as of remAt), its rate and
 * its bank-side cap, plus scratch for the rate allocation. The slot arrays are shared with the loop.
 */
interface DdrShare {
  readonly cores: number;
  readonly slots: number;
  readonly ddrRate: number;
  readonly axiRate: number;
  readonly phase: Uint8Array;
  readonly slotEnd: Float64Array;
  readonly rem: Float64Array;
  readonly remAt: Float64Array;
  readonly rate: Float64Array;
  readonly cap: Float64Array;
  readonly moving: Int32Array;
  readonly frozen: Uint8Array;
  readonly coreSum: Float64Array;
  readonly coreUnfrozen: Int32Array;
}

/**
 * Bring every moving transfer's remaining bytes to time t, share the rates anew and set each one's end.
 * Returns the board's total rate. A plain function over DdrShare rather than a closure in
 * simulateTiming: variables a closure captures live in a heap context, and the loop's hottest
 * variables would then be loads and stores on every use.
 */
function reallocate(x: DdrShare, t: number): number {
  const { cores: N, slots: S, ddrRate, axiRate, phase, slotEnd, rem, remAt, rate, cap, moving, frozen, coreSum, coreUnfrozen } = x;
  let m = 0;
  let demand = 0;
  for (let c = 0; c < N; c++) coreSum[c] = 0;
  for (let s = 0; s < S; s++) {
    if (phase[s] !== DATA) continue;
    const left = rem[s]! - rate[s]! * (t - remAt[s]!);
    rem[s] = left > 0 ? left : 0;
    remAt[s] = t;
    moving[m++] = s;
    // What the transfer would take alone: its bank side, capped by its core's AXI ports.
    const want = cap[s]! < axiRate ? cap[s]! : axiRate;
    rate[s] = want;
    coreSum[s >> 2] = coreSum[s >> 2]! + want;
    demand += want;
  }
  let total = demand;
  // Demand exactly at a limit is not contention: everyone gets what it asks for.
  let contended = demand > ddrRate * OVER;
  for (let c = 0; c < N && !contended; c++) if (coreSum[c]! > axiRate * OVER) contended = true;
  if (contended) {
    // Progressive filling (max-min fairness): raise every unfrozen rate together until a
    // constraint saturates (the board's DDR, a core's AXI ports, a transfer's bank side), freeze
    // the transfers it binds, repeat. Each round freezes at least one transfer.
    for (let k = 0; k < m; k++) {
      rate[moving[k]!] = 0;
      frozen[moving[k]!] = 0;
    }
    for (let c = 0; c < N; c++) coreSum[c] = 0;
    total = 0;
    let unfrozen = m;
    while (unfrozen > 0) {
      for (let c = 0; c < N; c++) coreUnfrozen[c] = 0;
      for (let k = 0; k < m; k++) if (!frozen[moving[k]!]) coreUnfrozen[moving[k]! >> 2]!++;
      let delta = (ddrRate - total) / unfrozen;
      for (let c = 0; c < N; c++) if (coreUnfrozen[c]! > 0) delta = Math.min(delta, (axiRate - coreSum[c]!) / coreUnfrozen[c]!);
      for (let k = 0; k < m; k++) {
        const s = moving[k]!;
        if (!frozen[s]) delta = Math.min(delta, cap[s]! - rate[s]!);
      }
      if (delta < 0) delta = 0;
      for (let k = 0; k < m; k++) {
        const s = moving[k]!;
        if (frozen[s]) continue;
        rate[s] = rate[s]! + delta;
        coreSum[s >> 2] = coreSum[s >> 2]! + delta;
        total += delta;
      }
      const globalFull = total >= ddrRate * SATURATED;
      for (let k = 0; k < m; k++) {
        const s = moving[k]!;
        if (frozen[s]) continue;
        if (globalFull || rate[s]! >= cap[s]! * SATURATED || coreSum[s >> 2]! >= axiRate * SATURATED) {
          frozen[s] = 1;
          unfrozen--;
        }
      }
    }
  }
  for (let k = 0; k < m; k++) {
    const s = moving[k]!;
    slotEnd[s] = t + rem[s]! / rate[s]!;
  }
  return total;
}

/** A token that never comes: the program gives fewer than it takes (a deadlock). Above every queue position. */
const NEVER = 0x7fffffff;

/**
 * Which token each waiting instruction takes, worked out once per run rather than per core in the loop.
 * The k-th instruction of engine e that waits on engine a takes the token of the k-th instruction of
 * engine a that gives one to e (deps.ts), whatever the timing. So for instruction i and each bit a of
 * its dpdon, src[4i + a] is the position in the flat queue (qBegin) of the instruction that gives it,
 * or NEVER. On a core, that token is in its counter exactly when engine a has completed the giver,
 * that is when the engine's head has moved past that position: the loop needs no counters.
 * Also returns the tokens taken from each counter A * 4 + B over the whole program.
 */
function tokenSources(g: DepGraph, qBegin: Int32Array): { src: Int32Array; takes: Int32Array } {
  const n = g.count;
  const { gives } = g;
  // The givers of counter k, in program order (which is their engine's order), from first[k] on.
  const first = new Int32Array(17);
  for (let k = 0; k < 16; k++) first[k + 1] = first[k]! + gives[k]!;
  const giverPos = new Int32Array(first[16]!);
  listGivers(g.engine, g.dpdby, g.seq, qBegin, n, first.slice(0, 16), giverPos);
  const src = new Int32Array(4 * n);
  const takes = new Int32Array(16);
  matchTakers(g.engine, g.dpdon, n, gives, first, giverPos, takes, src);
  return { src, takes };
}

// The two loops of tokenSources, with nothing but parameters before the loop (see fillCosts in cost.ts).

/** The flat queue position of every giver of each counter k, in order, from next[k] on. */
function listGivers(engine: Uint8Array, dpdby: Uint8Array, seq: Int32Array, qBegin: Int32Array, n: number, next: Int32Array, giverPos: Int32Array): void {
  for (let i = 0; i < n; i++) {
    const by = dpdby[i]! & 15;
    const a = engine[i]!;
    if (by === 0 || a === CTRL) continue;
    const pos = qBegin[a]! + seq[i]!;
    for (let b = 0; b < 4; b++) if (by & (1 << b)) giverPos[next[a * 4 + b]!++] = pos;
  }
}

/** src[4i + a]: the giver of each token instruction i takes (NEVER if none); takes: tokens taken per counter. */
function matchTakers(engine: Uint8Array, dpdon: Uint8Array, n: number, gives: Int32Array, first: Int32Array, giverPos: Int32Array, takes: Int32Array, src: Int32Array): void {
  for (let i = 0; i < n; i++) {
    const on = dpdon[i]! & 15;
    const e = engine[i]!;
    if (on === 0 || e === CTRL) continue;
    for (let a = 0; a < 4; a++) {
      if (!(on & (1 << a))) continue;
      const k = a * 4 + e;
      const taken = takes[k]!++;
      src[4 * i + a] = taken < gives[k]! ? giverPos[first[k]! + taken]! : NEVER;
    }
  }
}

/** Token counters of engines stopped at flat queue positions head[0..3] with nothing running: the
 * tokens the instructions before each head gave, less those they took. */
function countersAt(g: DepGraph, qFlat: Int32Array, qBegin: Int32Array, head: Int32Array): Int32Array {
  const counters = new Int32Array(16);
  for (let e = 0; e < 4; e++)
    for (let h = qBegin[e]!; h < head[e]!; h++) {
      const i = qFlat[h]!;
      for (let b = 0; b < 4; b++) {
        if (g.dpdby[i]! & (1 << b)) counters[e * 4 + b]!++;
        if (g.dpdon[i]! & (1 << b)) counters[b * 4 + e]!--;
      }
    }
  return counters;
}

/**
 * Everything the event loop reads and writes, in flat arrays by instruction, by slot (core c's engine e
 * is slot 4c + e) or by core. runEvents() is a function of this record alone: V8 optimizes a small
 * function that keeps its state in locals quickly and well, and each run calls it once, so the time to
 * reach optimized code counts as much as the code itself.
 */
interface EventState {
  // The program: each engine's instructions in one flat array (engine e owns [qBegin[e], qEnd[e])),
  // where each token comes from (tokenSources), the masks and the costs.
  readonly qFlat: Int32Array;
  readonly qBegin: Int32Array;
  readonly qEnd: Int32Array;
  readonly src: Int32Array;
  readonly dpdon: Uint8Array;
  readonly dpdby: Uint8Array;
  readonly costs: InstrCosts;
  /** Engine instructions per image, and the index of END (-1 without one). */
  readonly total: number;
  readonly endIndex: number;
  readonly latency: number;
  /** Per-instruction records of cores 0..recs.length-1 (InstrTimes). */
  readonly recs: Float64Array[];
  readonly givers: Int32Array[];
  // Per slot: the next instruction (a flat queue position), the one running (-1 if none), its phase,
  // when the phase ends and when the instruction started; the DDR transfers.
  readonly head: Int32Array;
  readonly active: Int32Array;
  readonly phase: Uint8Array;
  readonly slotEnd: Float64Array;
  readonly slotStart: Float64Array;
  readonly ddr: DdrShare;
  // Per core: engine instructions left in this image, images left, when it last retired END, when it
  // starts (0 once started), its images' ends; and core 0's engine busy cycles in its current image.
  readonly left: Int32Array;
  readonly imagesLeft: Int32Array;
  readonly coreEnd: Float64Array;
  readonly coreStart: Float64Array;
  readonly imageEnds: number[][];
  readonly busy: Float64Array;
  readonly maxInstructions: number;
  readonly maxCycles: number;
  readonly isCancelled: (() => boolean) | undefined;
  readonly bandwidth: { start: number; end: number; bytesPerCycle: number }[] | undefined;
  // Where the loop stopped.
  t: number;
  executed: number;
  limited: boolean;
  doneCores: number;
  /** Where core 0's current image began (layers and utilization are of its last image). */
  imageStart0: number;
  /** The board's DDR rate since bwSince (for the bandwidth timeline). */
  bwSince: number;
  bwRate: number;
}

export function simulateTiming(p: SimProgram, options: TimingOptions = {}): TimingResult {
  return simulate(p, buildDepGraph(p), instructionCosts(p), options);
}

function simulate(p: SimProgram, graph: DepGraph, costs: InstrCosts, options: TimingOptions): TimingResult {
  const { arch } = p;
  const d = arch.derived;
  // At most 8 cores: the loop keeps one bit per engine slot in a 32-bit mask.
  const N = Math.max(1, Math.min(options.cores ?? arch.cores, 8));
  const E = ENGINE_COUNT;
  const S = N * E;
  if (E !== 4) throw new Error('the timing loop assumes four engines per core');
  const n = p.count;
  const { queues, gives } = graph;

  const R = options.recordAllCores ? N : 1;
  const times: InstrTimes[] = [];
  // START and END of instructions that never run are set to -1 after the loop (cheaper than before it).
  for (let c = 0; c < R; c++) times.push({ rec: new Float64Array(2 * n), giver: new Int32Array(n).fill(-1) });

  const qBegin = new Int32Array(E);
  const qEnd = new Int32Array(E);
  let total = 0;
  for (let e = 0; e < E; e++) {
    qBegin[e] = total;
    total += queues[e]!.length;
    qEnd[e] = total;
  }
  const qFlat = new Int32Array(total);
  for (let e = 0; e < E; e++) qFlat.set(queues[e]!, qBegin[e]!);
  const { src, takes } = tokenSources(graph, qBegin);

  const head = new Int32Array(S);
  for (let s = 0; s < S; s++) head[s] = qBegin[s & 3]!;
  const phase = new Uint8Array(S);
  const slotEnd = new Float64Array(S).fill(Infinity);
  const images = Math.max(1, Math.floor(options.images ?? 1));
  const coreStart = new Float64Array(N);
  for (let c = 0; c < N; c++) coreStart[c] = Math.max(0, options.startCycles?.[c] ?? 0);
  const st: EventState = {
    qFlat,
    qBegin,
    qEnd,
    src,
    dpdon: graph.dpdon,
    dpdby: graph.dpdby,
    costs,
    total,
    endIndex: p.endIndex,
    latency: d.ddrLatencyCycles,
    recs: times.map((x) => x.rec),
    givers: times.map((x) => x.giver),
    head,
    active: new Int32Array(S).fill(-1),
    phase,
    slotEnd,
    slotStart: new Float64Array(S),
    ddr: {
      cores: N,
      slots: S,
      ddrRate: d.ddrBytesPerCycle,
      axiRate: d.axiBytesPerCyclePerCore,
      phase,
      slotEnd,
      rem: new Float64Array(S),
      remAt: new Float64Array(S),
      rate: new Float64Array(S),
      cap: new Float64Array(S),
      moving: new Int32Array(S),
      frozen: new Uint8Array(S),
      coreSum: new Float64Array(N),
      coreUnfrozen: new Int32Array(N),
    },
    left: new Int32Array(N).fill(total),
    // A program without engine instructions retires one image per core at cycle 0.
    imagesLeft: new Int32Array(N).fill(total === 0 ? 1 : images),
    coreEnd: new Float64Array(N),
    coreStart,
    imageEnds: Array.from({ length: N }, () => []),
    busy: new Float64Array(E),
    maxInstructions: options.maxInstructions ?? Infinity,
    maxCycles: options.maxCycles ?? Infinity,
    isCancelled: options.isCancelled,
    bandwidth: options.bandwidthTimeline ? [] : undefined,
    t: 0,
    executed: 0,
    limited: false,
    doneCores: 0,
    imageStart0: coreStart[0]!,
    bwSince: 0,
    bwRate: 0,
  };
  if (total === 0) for (let c = 0; c < N; c++) retire(st, c, 0);
  else runEvents(st);

  const { t, executed, limited, doneCores, bandwidth, bwSince, bwRate } = st;
  if (doneCores < N) markNotRun(st);
  if (bandwidth && bwRate > 0 && t > bwSince) bandwidth.push({ start: bwSince, end: t, bytesPerCycle: bwRate });

  const problems: SimProblem[] = [...costs.problems];
  let status: TimingResult['status'] = 'complete';
  if (doneCores === N) {
    // Every core ran the whole program: what its last image left in the counters.
    const leftOver = new Int32Array(E * E);
    for (let k = 0; k < E * E; k++) leftOver[k] = gives[k]! - takes[k]!;
    problems.push(...unbalancedProblems(p, graph, leftOver));
  } else if (limited) {
    status = 'limit';
    problems.push({
      severity: 'warning',
      code: 'limit',
      instr: -1,
      message: `the simulation stopped at cycle ${Math.round(t)} after ${executed} instruction starts (the limit of this run); the results cover the program only up to there`,
    });
  } else {
    // No event is left and instructions remain. The engines stop in the same state whatever the
    // timing (only engine B takes from A -> B, and giving never disables anything), so core 0's
    // state is the one the untimed analysis (deps.ts) reports too.
    status = 'deadlock';
    const heads = new Int32Array(E);
    for (let e = 0; e < E; e++) heads[e] = head[e]! - qBegin[e]!;
    problems.push(deadlockProblem(p, graph, heads, countersAt(graph, qFlat, qBegin, head.subarray(0, E))));
  }
  const cycles = status === 'complete' ? Math.max(...st.coreEnd) : t;
  let period = cycles;
  const { imageEnds } = st;
  if (status === 'complete' && images > 1) {
    let sum = 0;
    for (const ends of imageEnds) sum += (ends[ends.length - 1]! - ends[0]!) / (ends.length - 1);
    period = sum / N;
  }
  const clock = { cycles, period, images, imageEnds, imageStart0: status === 'complete' ? st.imageStart0 : 0 };
  return summarize(p, costs, graph, times, N, status, clock, executed, st.busy, problems, bandwidth);
}

/**
 * The event loop: start every engine that can, share the DDR, jump to the next event (an instruction
 * ends, a transfer's latency ends, a core starts), complete what ends there, repeat until nothing is
 * left or a limit is reached.
 */
function runEvents(st: EventState): void {
  const { qFlat, qEnd, src, dpdon, dpdby, latency, recs, givers, head, active, phase, slotEnd, slotStart, ddr, left, coreStart, busy, bandwidth } = st;
  const { costs } = st;
  const { kind, cycles: fixedCycles, bytes } = costs;
  const { rem, remAt, rate, cap } = ddr;
  const N = st.left.length;
  const S = head.length;
  const R = recs.length;
  const maxInstr = st.maxInstructions;
  const maxCycles = st.maxCycles;
  const cancelled = st.isCancelled;
  let t = 0;
  let executed = 0;
  let limited = false;
  let ddrDirty = false;
  let rounds = 0;
  let bwSince = 0;
  let bwRate = 0;
  // Slots that may be able to start: their engine just became free, or got a token. A bit per slot.
  let dirty = S === 32 ? -1 : (1 << S) - 1;
  // Cores whose start is still ahead: their slots are skipped until then.
  let waiting = 0;
  for (let c = 0; c < N; c++) if (coreStart[c]! > 0) waiting++;

  for (;;) {
    // Start every dirty idle engine whose next instruction has its tokens.
    while (dirty !== 0) {
      const s = 31 - Math.clz32(dirty & -dirty);
      dirty &= dirty - 1;
      if (active[s]! >= 0) continue;
      const h = head[s]!;
      if (h >= qEnd[s & 3]!) continue;
      if (executed >= maxInstr) {
        limited = true;
        dirty = 0;
        break;
      }
      const c = s >> 2;
      if (waiting > 0 && coreStart[c]! > t) continue;
      const i = qFlat[h]!;
      const on = dpdon[i]!;
      let giver = -1;
      if (on !== 0) {
        // Each token it waits for is there once this core's giving engine has moved past its giver.
        const cb = c << 2;
        const tb = i << 2;
        if ((on & 1 && head[cb]! <= src[tb]!) || (on & 2 && head[cb + 1]! <= src[tb + 1]!) || (on & 4 && head[cb + 2]! <= src[tb + 2]!) || (on & 8 && head[cb + 3]! <= src[tb + 3]!)) continue;
        if (c < R) {
          // Record the giver whose token came last.
          const rec = recs[c]!;
          let tokenReady = -1;
          for (let a = 0; a < 4; a++) {
            if (!(on & (1 << a))) continue;
            const g = qFlat[src[tb + a]!]!;
            if (rec[2 * g + END]! >= tokenReady) {
              tokenReady = rec[2 * g + END]!;
              giver = g;
            }
          }
        }
      }
      if (c < R) {
        recs[c]![2 * i + START] = t;
        givers[c]![i] = giver;
      }
      active[s] = i;
      slotStart[s] = t;
      executed++;
      if (kind[i] === DDR) {
        cap[s] = bankRate(costs, i);
        if (latency > 0) {
          phase[s] = LATENCY;
          slotEnd[s] = t + latency;
        } else {
          phase[s] = DATA;
          rem[s] = bytes[i]!;
          remAt[s] = t;
          rate[s] = 0;
          slotEnd[s] = Infinity;
          ddrDirty = true;
        }
      } else {
        phase[s] = COMPUTE;
        slotEnd[s] = t + fixedCycles[i]!;
      }
    }
    if (ddrDirty) {
      const now = reallocate(ddr, t);
      if (bandwidth !== undefined && now !== bwRate) {
        if (t > bwSince && bwRate > 0) bandwidth.push({ start: bwSince, end: t, bytesPerCycle: bwRate });
        bwSince = t;
        bwRate = now;
      }
      ddrDirty = false;
    }
    let next = Infinity;
    for (let s = 0; s < S; s++) if (slotEnd[s]! < next) next = slotEnd[s]!;
    if (waiting > 0) for (let c = 0; c < N; c++) if (coreStart[c]! > t && coreStart[c]! < next) next = coreStart[c]!;
    if (next === Infinity || limited) break;
    if (next > maxCycles) {
      limited = true;
      t = maxCycles;
      break;
    }
    if (cancelled !== undefined && (++rounds & 4095) === 0 && cancelled()) throw new CancelledError();
    t = next;
    if (waiting > 0)
      for (let c = 0; c < N; c++)
        if (coreStart[c]! > 0 && coreStart[c]! <= t) {
          coreStart[c] = 0;
          waiting--;
          dirty |= 0xf << (c << 2);
        }
    // Complete what ends now; transfers that finish their latency start moving bytes.
    for (let s = 0; s < S; s++) {
      if (slotEnd[s]! > t) continue;
      const ph = phase[s]!;
      const i = active[s]!;
      if (ph === LATENCY) {
        phase[s] = DATA;
        rem[s] = bytes[i]!;
        remAt[s] = t;
        rate[s] = 0;
        slotEnd[s] = Infinity;
        ddrDirty = true;
        continue;
      }
      if (ph === DATA) ddrDirty = true;
      const c = s >> 2;
      if (c < R) recs[c]![2 * i + END] = t;
      if (c === 0) busy[s] = busy[s]! + (t - slotStart[s]!); // core 0's slot s is its engine s
      active[s] = -1;
      phase[s] = IDLE;
      slotEnd[s] = Infinity;
      head[s]!++;
      // The engine is free, and the engines it gives tokens to may now have theirs.
      dirty |= (1 << s) | ((dpdby[i]! & 15) << (c << 2));
      if (--left[c]! === 0) dirty |= retire(st, c, t);
    }
  }
  st.t = t;
  st.executed = executed;
  st.limited = limited;
  st.bwSince = bwSince;
  st.bwRate = bwRate;
}

/** Core c has drained every engine at cycle t: it retires END, and starts its next image if it has
 * one. Returns the slots to wake. */
function retire(st: EventState, c: number, t: number): number {
  st.coreEnd[c] = t;
  st.imageEnds[c]!.push(t);
  if (st.endIndex >= 0 && c < st.recs.length) st.recs[c]!.fill(t, 2 * st.endIndex, 2 * st.endIndex + 2);
  if (--st.imagesLeft[c]! === 0) {
    st.doneCores++;
    return 0;
  }
  // With the heads back at the start, every token comes from this image's givers: whatever an
  // unbalanced program left over is dropped, as a new job on a real core starts with empty counters.
  for (let e = 0; e < 4; e++) st.head[c * 4 + e] = st.qBegin[e]!;
  st.left[c] = st.total;
  if (c === 0) {
    st.imageStart0 = t;
    st.busy.fill(0);
  }
  return 0xf << (c << 2);
}

/** After a run that stopped early: START and END -1 for what never started or ended on each recorded core. */
function markNotRun(st: EventState): void {
  const { qFlat, qEnd, head, active, endIndex } = st;
  for (let c = 0; c < st.recs.length; c++) {
    const rec = st.recs[c]!;
    for (let e = 0; e < 4; e++) {
      const s = c * 4 + e;
      for (let h = head[s]!; h < qEnd[e]!; h++) {
        const i = qFlat[h]!;
        if (h > head[s]! || active[s]! < 0) rec[2 * i + START] = -1;
        rec[2 * i + END] = -1;
      }
    }
    if (endIndex >= 0) rec.fill(-1, 2 * endIndex, 2 * endIndex + 2);
  }
}

const CONV_ENGINE = ENGINES.indexOf('CONV');
const MISC_ENGINE = ENGINES.indexOf('MISC');

/** Where layerTotals() writes each sum in its out array. */
const LT_MACS = 0;
const LT_OPS = 1;
const LT_BYTES = 2;
const LT_CONV_PEAK = 3;
const LT_MISC_PEAK = 4;
const LT_LO = 5;
const LT_HI = 6;

/**
 * Sums over a layer's instructions [first, end) into out (at the LT_ indices): MACs, ops, DDR bytes,
 * CONV and MISC cycles at their peak rates, and core 0's first start (Infinity if none started) and
 * last end. Kept apart from summarize(), which allocates the report, as a small loop over flat arrays
 * that V8 optimizes at once. The sums go out through a typed array rather than a returned object: the
 * object's fields change representation between runs (small integers, doubles, Infinity), and each
 * change deoptimized this function at its return, so that the next run's loop (over every instruction
 * of a one-layer program) started again in the interpreter.
 */
function layerTotals(arch: Arch, costs: InstrCosts, graph: DepGraph, rec: Float64Array, first: number, end: number, out: Float64Array): void {
  const { macs, ops, bytes } = costs;
  const { engine, opcode } = graph;
  let lo = Infinity;
  let hi = 0;
  let lm = 0;
  let lops = 0;
  let lbytes = 0;
  let convPeak = 0;
  let miscPeak = 0;
  for (let i = first; i < end; i++) {
    lm += macs[i]!;
    lops += ops[i]!;
    lbytes += bytes[i]!;
    const e = engine[i]!;
    if (e === CONV_ENGINE) convPeak += peakCycles(arch, costs, opcode[i]!, i);
    else if (e === MISC_ENGINE) miscPeak += peakCycles(arch, costs, opcode[i]!, i);
    const st = rec[2 * i + START]!;
    if (st >= 0 && st < lo) lo = st;
    if (rec[2 * i + END]! > hi) hi = rec[2 * i + END]!;
  }
  out[LT_MACS] = lm;
  out[LT_OPS] = lops;
  out[LT_BYTES] = lbytes;
  out[LT_CONV_PEAK] = convPeak;
  out[LT_MISC_PEAK] = miscPeak;
  out[LT_LO] = lo;
  out[LT_HI] = hi;
}

function summarize(
  p: SimProgram,
  costs: InstrCosts,
  graph: DepGraph,
  times: InstrTimes[],
  N: number,
  status: TimingResult['status'],
  clock: { cycles: number; period: number; images: number; imageEnds: number[][]; imageStart0: number },
  executed: number,
  busy: Float64Array,
  problems: SimProblem[],
  bandwidth: TimingResult['bandwidth'],
): TimingResult {
  const { arch } = p;
  const d = arch.derived;
  const dpu = arch.dpu;
  const f = d.frequencyHz;
  const n = p.count;
  const peakMacs = dpu.pp * dpu.icp * dpu.ocp;
  const macs = costs.totalMacs;
  const ops = costs.totalOps;
  const ddrBytes = costs.totalBytes;
  const { cycles, period } = clock;
  const seconds = cycles / f;
  const engines = ENGINES.map((name, e) => ({ engine: name, instructions: graph.queues[e]!.length, busyCycles: busy[e]!, utilization: period > 0 ? busy[e]! / period : 0 }));

  // Per layer, on core 0. The roofline is a true lower bound on the layer's span: DDR bytes at the
  // most one core can ever move (its AXI ports, or the whole board's DDR when the other cores are
  // between transfers, as they are in the staggered steady state), not an equal share.
  const rec = times[0]!.rec;
  const ddrShare = d.coreDdrBytesPerCycle;
  let completedSoFar = clock.imageStart0;
  for (let i = 0; i < Math.min(n, p.layers[0]?.first ?? n); i++) completedSoFar = Math.max(completedSoFar, rec[2 * i + END]!);
  const layers: LayerTiming[] = [];
  const totals = new Float64Array(7);
  for (const l of p.layers) {
    const first = Math.min(l.first, n);
    const end = Math.min(l.end, n);
    layerTotals(arch, costs, graph, rec, first, end, totals);
    const lm = totals[LT_MACS]!;
    const lops = totals[LT_OPS]!;
    const lbytes = totals[LT_BYTES]!;
    const convPeak = totals[LT_CONV_PEAK]!;
    const miscPeak = totals[LT_MISC_PEAK]!;
    const firstStart = totals[LT_LO]!;
    const hi = totals[LT_HI]!;
    const lo = firstStart === Infinity ? hi : firstStart;
    const span = Math.max(0, hi - lo);
    const incremental = Math.max(0, hi - completedSoFar);
    completedSoFar = Math.max(completedSoFar, hi);
    const memCycles = lbytes / ddrShare;
    const bound: Bound = memCycles >= convPeak && memCycles >= miscPeak ? 'memory' : convPeak >= miscPeak ? 'compute' : 'misc';
    const roofline = Math.max(convPeak, miscPeak, memCycles);
    layers.push({
      name: l.name,
      ...(l.line !== undefined ? { line: l.line } : {}),
      first: l.first,
      end: l.end,
      startCycle: lo,
      endCycle: hi,
      cycles: span,
      incrementalCycles: incremental,
      macs: lm,
      ops: lops,
      ddrBytes: lbytes,
      opsPerSecond: span > 0 ? (lops * N * f) / span : 0,
      utilization: span > 0 ? lm / (span * peakMacs) : 0,
      convPeakCycles: convPeak,
      miscPeakCycles: miscPeak,
      rooflineCycles: roofline,
      rooflineFraction: span > 0 ? roofline / span : 0,
      bound,
    });
  }
  return {
    status,
    arch: arch.name,
    archModel: arch,
    cores: N,
    frequencyHz: f,
    instructions: n,
    executed,
    cycles,
    seconds,
    images: clock.images,
    period,
    imageEnds: clock.imageEnds,
    fps: period > 0 ? (N * p.batch * f) / period : 0,
    batch: p.batch,
    ops,
    macs,
    ddrBytes,
    opsPerSecond: period > 0 ? (ops * N * f) / period : 0,
    utilization: period > 0 ? macs / (period * peakMacs) : 0,
    engines,
    layers,
    times,
    costs,
    graph,
    problems,
    ...(bandwidth ? { bandwidth } : {}),
  };
}

export interface InstructionTiming {
  readonly engine: string;
  readonly core: number;
  readonly ready: number;
  readonly start: number;
  readonly end: number;
  readonly cycles: number;
  readonly stall: {
    /** Waiting for tokens after the engine was free, and the engine whose token came last. */
    readonly token: number;
    readonly tokenFrom: string | null;
    /** Tokens there, but the engine still busy with earlier instructions. */
    readonly engineBusy: number;
    /** A DDR transfer's cycles beyond its duration alone on the board. */
    readonly ddrContention: number;
  };
  readonly bytes: number;
  readonly macs: number;
  readonly ops: number;
}

/** One instruction's timing as an object (for hover and JSON); undefined if it did not run. */
export function instructionTiming(r: TimingResult, i: number, core = 0): InstructionTiming | undefined {
  const tm = r.times[core];
  if (!tm || i < 0 || i >= r.instructions) return undefined;
  const rec = tm.rec;
  const start = rec[2 * i + START]!;
  if (start < 0) return undefined;
  const end = rec[2 * i + END]!;
  const g = r.graph;
  const e = g.engine[i]!;
  const seq = g.seq[i]!;
  const queued = e === CTRL ? start : seq > 0 ? rec[2 * g.queues[e]![seq - 1]! + END]! : 0;
  const giver = tm.giver[i]!;
  const ready = giver >= 0 ? rec[2 * giver + END]! : queued;
  const ddr = r.costs.kind[i] === DDR && end >= 0 ? end - start - soloCycles(r.archModel, r.costs, i) : 0;
  return {
    engine: e === CTRL ? 'END' : ENGINES[e]!,
    core,
    ready,
    start,
    end,
    cycles: end >= 0 ? end - start : 0,
    stall: {
      token: start - queued,
      tokenFrom: giver >= 0 && start > queued ? ENGINES[g.engine[giver]!]! : null,
      engineBusy: Math.max(0, start - ready),
      // Rates are shared in floating point; differences below a millionth of a cycle are rounding.
      ddrContention: ddr > 1e-6 ? ddr : 0,
    },
    bytes: r.costs.bytes[i]!,
    macs: r.costs.macs[i]!,
    ops: r.costs.ops[i]!,
  };
}

/** Images per core in a steady-state run: the first is the ramp, the rest give the period. */
export const STEADY_STATE_IMAGES = 4;

/**
 * Throughput in the steady state: every core runs STEADY_STATE_IMAGES images back to back, core c
 * starting c/cores of one image's solo latency after core 0, so that the cores' DDR-heavy layers
 * (fully connected weights, first layers) fall at different times, as they do once a runtime keeps
 * each core busy with its own stream of images. The result's fps and ops/s are of the period; its
 * per-instruction times and layers are core 0's last image. One core needs no staggering.
 */
export function simulateSteadyState(p: SimProgram, options: Omit<TimingOptions, 'images' | 'startCycles'> = {}): TimingResult {
  const N = Math.max(1, Math.min(options.cores ?? p.arch.cores, 8));
  if (N === 1) return simulateTiming(p, { ...options, cores: 1 });
  // Both runs read the same program: build its graph and costs once.
  const graph = buildDepGraph(p);
  const costs = instructionCosts(p);
  const solo = simulate(p, graph, costs, { cores: 1, ...(options.isCancelled ? { isCancelled: options.isCancelled } : {}) });
  if (solo.status !== 'complete') return simulate(p, graph, costs, options);
  const startCycles = Array.from({ length: N }, (_, c) => Math.round((c * solo.cycles) / N));
  return simulate(p, graph, costs, { ...options, cores: N, images: STEADY_STATE_IMAGES, startCycles });
}
