// The recorded trace a debugging session moves through: every instruction start of every simulated
// core, in the order the timing simulation starts them, and the state of the engines and token
// counters at any point of it, worked out from the recorded times without re-simulating.
//
// A position k (0..events) means: events 0..k-1 have started, event k is the next to start, and the
// current cycle is event k's start (the last cycle of the run at the end). Because each engine runs
// its instructions in program order and one at a time, the instructions an engine has started at k
// are a prefix of its queue, found by binary search; so are those that have ended by the cycle. The
// token counter A -> B at k is then the tokens A's finished instructions gave minus those B's started
// instructions took, from prefix counts of the dpdby and dpdon bits.

import { ENGINES } from '../isa/table';
import { analyzeDependencies, type DepAnalysis } from '../sim/deps';
import { CTRL, type SimProgram } from '../sim/program';
import { END, START, simulateTiming, type TimingResult } from '../sim/timing';

export const ENGINE_COUNT = 4;
/** Engine names by index; index 4 (CTRL) is END, which belongs to no engine. */
export const ENGINE_NAMES = [...ENGINES, 'END'] as const;

export type EngineStatus = 'busy' | 'starting' | 'waiting' | 'blocked' | 'ready' | 'finished' | 'unused';

export interface EngineState {
  readonly engine: number;
  readonly name: string;
  readonly status: EngineStatus;
  /** The instruction the engine is on: running, about to start or waiting to start, or its last one. -1 if none. */
  readonly instr: number;
  /** busy: the cycle it ends. */
  readonly until?: number;
  /** waiting/blocked: the cycle since when the engine has been free. */
  readonly since?: number;
  /** waiting/blocked: the engines whose token the instruction lacks. */
  readonly missing?: readonly number[];
  readonly text: string;
}

/** Smallest j in [lo, hi) with pred(j) false, given pred true on a prefix. */
function prefixEnd(lo: number, hi: number, pred: (j: number) => boolean): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (pred(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class Trace {
  readonly timing: TimingResult;
  readonly deps: DepAnalysis;
  readonly cores: number;
  /** Number of events (instruction starts over all cores). */
  readonly events: number;
  readonly evCore: Uint8Array;
  readonly evInstr: Int32Array;
  readonly evStart: Float64Array;
  /** Index of each event among its core's events. */
  readonly evLocal: Int32Array;
  /** Per core: the event of each instruction, -1 if it never started. */
  readonly rank: readonly Int32Array[];
  /** Per core: its events' global indices, in order. */
  readonly coreEvents: readonly Int32Array[];
  /** Layer marker index of each instruction (-1 before the first). */
  readonly layerOf: Int32Array;
  /** Per engine e and engine bit a: how many of e's first j instructions have dpdon bit a (index j). */
  private readonly onPrefix: Int32Array[][];
  /** Per engine a and engine bit b: how many of a's first j instructions have dpdby bit b. */
  private readonly byPrefix: Int32Array[][];

  constructor(
    readonly program: SimProgram,
    cores: number,
  ) {
    // The bandwidth timeline feeds the Perfetto export's DDR counter, as `dnnvm sim --trace` writes it.
    const timing = simulateTiming(program, { cores, recordAllCores: true, bandwidthTimeline: true });
    this.timing = timing;
    this.cores = timing.cores;
    const g = timing.graph;
    this.deps = analyzeDependencies(program, { vectorClocks: true, graph: g });
    const n = program.count;
    const N = this.cores;
    // Events: every (core, instruction) that started, by start, then end, then a topological rank
    // (the sum of the vector clock grows along every token and along program order within an engine,
    // so ties at one cycle still put a token's giver before its taker), then core and index.
    const vc = this.deps.vc!;
    const topo = new Float64Array(n);
    for (let i = 0; i < n; i++) topo[i] = g.engine[i] === CTRL ? Infinity : vc[4 * i]! + vc[4 * i + 1]! + vc[4 * i + 2]! + vc[4 * i + 3]!;
    const list: number[] = [];
    for (let c = 0; c < N; c++) {
      const rec = timing.times[c]!.rec;
      for (let i = 0; i < n; i++) if (rec[2 * i + START]! >= 0) list.push(c * n + i);
    }
    list.sort((x, y) => {
      const cx = Math.floor(x / n);
      const cy = Math.floor(y / n);
      const ix = x - cx * n;
      const iy = y - cy * n;
      const rx = timing.times[cx]!.rec;
      const ry = timing.times[cy]!.rec;
      return rx[2 * ix + START]! - ry[2 * iy + START]! || rx[2 * ix + END]! - ry[2 * iy + END]! || topo[ix]! - topo[iy]! || cx - cy || ix - iy;
    });
    const E = list.length;
    this.events = E;
    this.evCore = new Uint8Array(E);
    this.evInstr = new Int32Array(E);
    this.evStart = new Float64Array(E);
    this.evLocal = new Int32Array(E);
    const rank = Array.from({ length: N }, () => new Int32Array(n).fill(-1));
    const counts = new Int32Array(N);
    for (let k = 0; k < E; k++) {
      const c = Math.floor(list[k]! / n);
      const i = list[k]! - c * n;
      this.evCore[k] = c;
      this.evInstr[k] = i;
      this.evStart[k] = timing.times[c]!.rec[2 * i + START]!;
      this.evLocal[k] = counts[c]!++;
      rank[c]![i] = k;
    }
    this.rank = rank;
    this.coreEvents = Array.from({ length: N }, (_, c) => new Int32Array(counts[c]!));
    for (let k = 0; k < E; k++) this.coreEvents[this.evCore[k]!]![this.evLocal[k]!] = k;
    this.layerOf = new Int32Array(n).fill(-1);
    program.layers.forEach((l, li) => this.layerOf.fill(li, Math.min(l.first, n), Math.min(l.end, n)));
    const bits = (e: number, field: Uint8Array) =>
      Array.from({ length: ENGINE_COUNT }, (_, b) => {
        const q = g.queues[e]!;
        const out = new Int32Array(q.length + 1);
        for (let j = 0; j < q.length; j++) out[j + 1] = out[j]! + (field[q[j]!]! & (1 << b) ? 1 : 0);
        return out;
      });
    this.onPrefix = Array.from({ length: ENGINE_COUNT }, (_, e) => bits(e, g.dpdon));
    this.byPrefix = Array.from({ length: ENGINE_COUNT }, (_, e) => bits(e, g.dpdby));
  }

  get status(): TimingResult['status'] {
    return this.timing.status;
  }

  /** The cycle at position k: when event k starts, or the end of the run. */
  cycleAt(k: number): number {
    return k < this.events ? this.evStart[k]! : this.timing.cycles;
  }

  engineOf(i: number): number {
    return this.timing.graph.engine[i]!;
  }

  start(c: number, i: number): number {
    return this.timing.times[c]!.rec[2 * i + START]!;
  }

  end(c: number, i: number): number {
    return this.timing.times[c]!.rec[2 * i + END]!;
  }

  /** How many of engine e's instructions core c has started before position k. */
  started(c: number, e: number, k: number): number {
    const q = this.timing.graph.queues[e]!;
    const r = this.rank[c]!;
    return prefixEnd(0, q.length, (j) => {
      const x = r[q[j]!]!;
      return x >= 0 && x < k;
    });
  }

  /** How many of engine e's first h instructions on core c have ended by cycle t. */
  private ended(c: number, e: number, h: number, t: number): number {
    const q = this.timing.graph.queues[e]!;
    const rec = this.timing.times[c]!.rec;
    return prefixEnd(0, h, (j) => {
      const x = rec[2 * q[j]! + END]!;
      return x >= 0 && x <= t;
    });
  }

  /** The 16 token counters (A * 4 + B for A -> B) of core c at position k. */
  counters(c: number, k: number): Int32Array {
    const t = this.cycleAt(k);
    const heads = new Int32Array(ENGINE_COUNT);
    const done = new Int32Array(ENGINE_COUNT);
    for (let e = 0; e < ENGINE_COUNT; e++) {
      heads[e] = this.started(c, e, k);
      done[e] = this.ended(c, e, heads[e]!, t);
    }
    const out = new Int32Array(ENGINE_COUNT * ENGINE_COUNT);
    for (let a = 0; a < ENGINE_COUNT; a++)
      for (let b = 0; b < ENGINE_COUNT; b++) out[a * ENGINE_COUNT + b] = this.byPrefix[a]![b]![done[a]!]! - this.onPrefix[b]![a]![heads[b]!]!;
    return out;
  }

  /** Tokens over the whole program per counter (to show only the counters a program uses). */
  get gives(): Int32Array {
    return this.timing.graph.gives;
  }

  /** The state of each engine of core c at position k (and END's, index 4). */
  engineStates(c: number, k: number): EngineState[] {
    const t = this.cycleAt(k);
    const g = this.timing.graph;
    const counters = this.counters(c, k);
    const p = this.program;
    const at = (i: number) => `${p.instrs[i]!.spec.mnemonic} at ${p.lines ? `line ${p.lines[i]}` : `instruction ${i}`}`;
    const cyc = (x: number) => `cycle ${fmtCycle(x)}`;
    const out: EngineState[] = [];
    for (let e = 0; e < ENGINE_COUNT; e++) {
      const q = g.queues[e]!;
      const name = ENGINES[e]!;
      const h = this.started(c, e, k);
      const cur = h > 0 ? q[h - 1]! : -1;
      if (cur >= 0 && this.end(c, cur) > t) {
        out.push({ engine: e, name, status: 'busy', instr: cur, until: this.end(c, cur), text: `busy: ${at(cur)} until ${cyc(this.end(c, cur))}` });
        continue;
      }
      if (h >= q.length) {
        out.push(
          q.length === 0
            ? { engine: e, name, status: 'unused', instr: -1, text: 'unused: the program has no instruction for this engine' }
            : { engine: e, name, status: 'finished', instr: cur, text: `finished: its last instruction, ${at(cur)}, ended at ${cyc(this.end(c, cur))}` },
        );
        continue;
      }
      const next = q[h]!;
      const since = cur >= 0 ? this.end(c, cur) : 0;
      const missing: number[] = [];
      for (let a = 0; a < ENGINE_COUNT; a++) if (g.dpdon[next]! & (1 << a) && counters[a * ENGINE_COUNT + e]! <= 0) missing.push(a);
      const tokens = missing.map((a) => `${ENGINES[a]}->${name}`).join(' and ');
      if (missing.length > 0) {
        const blocked = this.rank[c]![next]! < 0;
        out.push({
          engine: e,
          name,
          status: blocked ? 'blocked' : 'waiting',
          instr: next,
          since,
          missing,
          text: blocked
            ? `blocked for ever (deadlock): ${at(next)} waits for a token on ${tokens}, which holds none and will get none`
            : `waiting since ${cyc(since)}: ${at(next)} needs a token on ${tokens} (holds none); starts at ${cyc(this.start(c, next))}`,
        });
        continue;
      }
      const st = this.start(c, next);
      out.push(
        st <= t
          ? { engine: e, name, status: 'starting', instr: next, since, text: `starting now: ${at(next)}` }
          : { engine: e, name, status: 'ready', instr: next, since, text: `idle since ${cyc(since)}: ${at(next)} starts at ${cyc(st)}` },
      );
    }
    const endI = p.endIndex;
    if (endI >= 0) {
      const r = this.rank[c]![endI]!;
      const retired = r >= 0 && r < k;
      out.push({
        engine: CTRL,
        name: 'END',
        status: retired ? 'finished' : r === k ? 'starting' : 'waiting',
        instr: endI,
        text: retired ? `retired at ${cyc(this.end(c, endI))}` : r === k ? 'retiring now: every engine has drained' : 'waits for every engine to drain',
      });
    }
    return out;
  }

  /** The first event at or after k of core c (and engine e, if given); -1 if none. */
  nextEvent(c: number, k: number, e?: number): number {
    const ev = this.coreEvents[c]!;
    let j = prefixEnd(0, ev.length, (x) => ev[x]! < k);
    if (e === undefined) return j < ev.length ? ev[j]! : -1;
    for (; j < ev.length; j++) if (this.engineOf(this.evInstr[ev[j]!]!) === e) return ev[j]!;
    return -1;
  }

  /** The last event before k of core c; -1 if none. */
  prevEvent(c: number, k: number): number {
    const ev = this.coreEvents[c]!;
    const j = prefixEnd(0, ev.length, (x) => ev[x]! < k);
    return j > 0 ? ev[j - 1]! : -1;
  }

  /** How many of core c's events come before position k (its functional machine's position). */
  localCount(c: number, k: number): number {
    const ev = this.coreEvents[c]!;
    return prefixEnd(0, ev.length, (x) => ev[x]! < k);
  }

  /** The first event at or after k of core c whose instruction belongs to a later layer than `layer`. */
  nextLayerEvent(c: number, k: number, layer: number): number {
    const ev = this.coreEvents[c]!;
    for (let j = prefixEnd(0, ev.length, (x) => ev[x]! < k); j < ev.length; j++) if (this.layerOf[this.evInstr[ev[j]!]!]! > layer) return ev[j]!;
    return -1;
  }

  /** The position of the first event at or after cycle t. */
  positionAtCycle(t: number): number {
    return prefixEnd(0, this.events, (k) => this.evStart[k]! < t);
  }
}

/** Cycles as the model gives them (exact; DDR transfers end at fractions): integers plainly, others to 0.01. */
export function fmtCycle(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}

/** The value of field `name` of instruction i, or undefined if it has no such field. */
export function fieldValue(p: SimProgram, i: number, name: string): number | undefined {
  const ins = p.instrs[i]!;
  const k = ins.spec.fieldIndex[name];
  return k === undefined ? undefined : ins.values[k];
}
