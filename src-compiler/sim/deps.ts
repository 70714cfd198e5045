// The dependency-token semantics (BRIEF section 2), analysed without time.
//
// Each engine runs its own instructions in program order, one at a time. For each ordered engine pair
// (A -> B) there is a token counter. An instruction of B whose dpdon has bit A waits for and takes one
// token from A -> B before it starts; an instruction of A whose dpdby has bit B gives one token to
// A -> B when it completes. END belongs to no engine: it retires once every engine has drained. No
// counter feeds it (dpdby masks name only the four engines), so its own masks move no token.
//
// Because only engine B takes from A -> B, and A gives to it in A's program order, the k-th token B
// takes is always the one given by the k-th giver: the happens-before relation is fixed by the program,
// whatever the timing. It is the union of program order within each engine and the edges
// (k-th giver of A -> B) -> (k-th taker of A -> B). This module computes it, as vector clocks, by running
// the engines untimed; the same run finds deadlocks (which therefore occur under every timing, so the
// timing simulator reports the same ones) and tokens left over at END.

import { ENGINE_COUNT } from '../isa/table';
import { DPDBY, DPDON } from './fields';
import { CTRL, described, engineName, engineOf, where, type SimProblem, type SimProgram } from './program';

export interface DepGraph {
  /** Instructions that run (program.count). */
  readonly count: number;
  /** Engine of each instruction: 0..3 (mask bit order), CTRL for END. */
  readonly engine: Uint8Array;
  readonly opcode: Uint8Array;
  readonly dpdon: Uint8Array;
  readonly dpdby: Uint8Array;
  /** Each engine's instructions in program order. */
  readonly queues: readonly Int32Array[];
  /** Position of each instruction in its engine's queue. */
  readonly seq: Int32Array;
  /** Tokens given over the whole program, per counter A * 4 + B. */
  readonly gives: Int32Array;
}

export function buildDepGraph(p: SimProgram): DepGraph {
  const n = p.count;
  const E = ENGINE_COUNT;
  const engine = new Uint8Array(n);
  const opcode = new Uint8Array(n);
  const dpdon = new Uint8Array(n);
  const dpdby = new Uint8Array(n);
  const seq = new Int32Array(n);
  const sizes = new Int32Array(E);
  // Instructions per engine and dpdby mask: the tokens each counter is given follow from these.
  const byMask = new Int32Array(E * 16);
  readHeaders(p.instrs, n, engine, opcode, dpdon, dpdby, seq, sizes, byMask);
  const gives = new Int32Array(E * E);
  for (let e = 0; e < E; e++)
    for (let mask = 1; mask < 16; mask++) for (let b = 0; b < E; b++) if (mask & (1 << b)) gives[e * E + b]! += byMask[e * 16 + mask]!;
  const queues = Array.from({ length: E }, (_, e) => new Int32Array(sizes[e]!));
  fillQueues(engine, seq, n, queues);
  return { count: n, engine, opcode, dpdon, dpdby, queues, seq, gives };
}

// The two loops of buildDepGraph, apart from its allocations and with nothing but parameters before
// the loop: the simulators call them once per run, and V8 optimizes such small loop functions soon
// and for good (see fillCosts in cost.ts).

/** Each instruction's engine, opcode and masks, its position in its engine's queue, and the count of
 * each engine's instructions (sizes) and of each engine's instructions by dpdby mask (byMask). */
function readHeaders(instrs: SimProgram['instrs'], n: number, engine: Uint8Array, opcode: Uint8Array, dpdon: Uint8Array, dpdby: Uint8Array, seq: Int32Array, sizes: Int32Array, byMask: Int32Array): void {
  for (let i = 0; i < n; i++) {
    const ins = instrs[i]!;
    const e = engineOf(ins);
    const by = ins.values[DPDBY]!;
    engine[i] = e;
    opcode[i] = ins.spec.opcode;
    dpdon[i] = ins.values[DPDON]!;
    dpdby[i] = by;
    if (e === CTRL) continue;
    seq[i] = sizes[e]!++;
    byMask[e * 16 + (by & 15)]!++;
  }
}

/** Each engine's instructions in program order. */
function fillQueues(engine: Uint8Array, seq: Int32Array, n: number, queues: Int32Array[]): void {
  for (let i = 0; i < n; i++) {
    const e = engine[i]!;
    if (e !== CTRL) queues[e]![seq[i]!] = i;
  }
}

export interface DepAnalysis {
  readonly graph: DepGraph;
  /** True when every instruction can run (no deadlock). */
  readonly complete: boolean;
  /**
   * Vector clocks (with `vectorClocks`): vc[i * 4 + e] is the number of engine-e instructions that
   * happen before instruction i or are i. Instructions a deadlock blocks keep zeros.
   */
  readonly vc?: Int32Array;
  /** The deadlock (an error) and tokens left over at END (warnings). */
  readonly problems: SimProblem[];
}

export function analyzeDependencies(p: SimProgram, options: { vectorClocks?: boolean; graph?: DepGraph } = {}): DepAnalysis {
  const g = options.graph ?? buildDepGraph(p);
  const E = ENGINE_COUNT;
  const { dpdon, dpdby, queues, seq, gives } = g;
  const counters = new Int32Array(E * E);
  const wantVc = options.vectorClocks === true;
  const vc = wantVc ? new Int32Array(g.count * E) : undefined;
  const engineVc = new Int32Array(E * E);
  // Who gave each token, in order, so that a taker can join its giver's clock.
  const giverQueues = wantVc ? Array.from(gives, (k) => new Int32Array(k)) : [];
  const givePos = new Int32Array(E * E);
  const takePos = new Int32Array(E * E);
  const head = new Int32Array(E);

  let progress = true;
  while (progress) {
    progress = false;
    for (let e = 0; e < E; e++) {
      const q = queues[e]!;
      let h = head[e]!;
      while (h < q.length) {
        const i = q[h]!;
        const on = dpdon[i]!;
        let ok = true;
        for (let a = 0; a < E; a++) if (on & (1 << a) && counters[a * E + e] === 0) ok = false;
        if (!ok) break;
        const base = i * E;
        if (vc) for (let k = 0; k < E; k++) vc[base + k] = engineVc[e * E + k]!;
        for (let a = 0; a < E; a++) {
          if (!(on & (1 << a))) continue;
          const c = a * E + e;
          counters[c]!--;
          const t = takePos[c]!++;
          if (vc) {
            const gb = giverQueues[c]![t]! * E;
            for (let k = 0; k < E; k++) if (vc[gb + k]! > vc[base + k]!) vc[base + k] = vc[gb + k]!;
          }
        }
        if (vc) {
          vc[base + e] = seq[i]! + 1;
          for (let k = 0; k < E; k++) engineVc[e * E + k] = vc[base + k]!;
        }
        const by = dpdby[i]!;
        for (let b = 0; b < E; b++) {
          if (!(by & (1 << b))) continue;
          const c = e * E + b;
          counters[c]!++;
          if (vc) giverQueues[c]![givePos[c]!++] = i;
        }
        h++;
        progress = true;
      }
      head[e] = h;
    }
  }

  const problems: SimProblem[] = [];
  const blocked: number[] = [];
  for (let e = 0; e < E; e++) if (head[e]! < queues[e]!.length) blocked.push(queues[e]![head[e]!]!);
  if (blocked.length > 0) {
    problems.push(deadlockProblem(p, g, head, counters));
  } else problems.push(...unbalancedProblems(p, g, counters));
  return { graph: g, complete: blocked.length === 0, ...(vc ? { vc } : {}), problems };
}

/**
 * Warnings for tokens left in the counters after END: each names the last instruction that gave one.
 * Shared with the timing simulator.
 */
export function unbalancedProblems(p: SimProgram, g: DepGraph, counters: Int32Array): SimProblem[] {
  const E = ENGINE_COUNT;
  const out: SimProblem[] = [];
  for (let c = 0; c < E * E; c++) {
    const k = counters[c]!;
    if (k === 0) continue;
    const a = Math.floor(c / E);
    const b = c % E;
    let giver = -1;
    const q = g.queues[a]!;
    for (let h = q.length - 1; h >= 0 && giver < 0; h--) if (g.dpdby[q[h]!]! & (1 << b)) giver = q[h]!;
    out.push({
      severity: 'warning',
      code: 'unbalanced-tokens',
      instr: giver,
      message:
        `${k} token${k === 1 ? '' : 's'} from ${engineName(a)} to ${engineName(b)} ${k === 1 ? 'is' : 'are'} given but never taken (the last by ${described(p, giver)}); ` +
        `at END ${k === 1 ? 'it stays' : 'they stay'} in the counter, where the next run would find ${k === 1 ? 'it' : 'them'}: ` +
        `remove dpdby=${engineName(b)} there, or add dpdon=${engineName(a)} to a later ${engineName(b)} instruction`,
    });
  }
  return out;
}

/**
 * The deadlock report for engines stopped at `head` (their next instruction) with `counters`: every
 * blocked instruction, the token it lacks and why none can come. Shared with the timing simulator so
 * that both say the same thing.
 */
export function deadlockProblem(p: SimProgram, g: DepGraph, head: Int32Array, counters: Int32Array): SimProblem {
  const E = ENGINE_COUNT;
  const blocked: number[] = [];
  for (let e = 0; e < E; e++) if (head[e]! < g.queues[e]!.length) blocked.push(g.queues[e]![head[e]!]!);
  blocked.sort((x, y) => x - y);
  let remaining = 0;
  for (let e = 0; e < E; e++) remaining += g.queues[e]!.length - head[e]!;
  const reasons = blocked.map((i) => {
    const e = g.engine[i]!;
    const missing: string[] = [];
    for (let a = 0; a < E; a++) {
      if (!(g.dpdon[i]! & (1 << a)) || counters[a * E + e]! > 0) continue;
      const why =
        head[a]! >= g.queues[a]!.length
          ? `${engineName(a)} has finished without giving one`
          : a === e
            ? `only earlier ${engineName(a)} instructions feed that counter, and none is left to`
            : `${engineName(a)} is itself blocked at ${where(p, g.queues[a]![head[a]!]!)}`;
      missing.push(`a token from ${engineName(a)} (${engineName(a)}->${engineName(e)} holds none; ${why})`);
    }
    return `${described(p, i)} waits for ${missing.join(' and ')}`;
  });
  const held: string[] = [];
  for (let c = 0; c < E * E; c++) if (counters[c]! > 0) held.push(`${engineName(Math.floor(c / E))}->${engineName(c % E)} ${counters[c]}`);
  return {
    severity: 'error',
    code: 'deadlock',
    instr: blocked[0]!,
    related: blocked.slice(1),
    message:
      `deadlock: no engine can start, and ${remaining} instruction${remaining === 1 ? ' never runs' : 's never run'}. ${reasons.join('; ')}. ` +
      `Tokens held: ${held.length ? held.join(', ') : 'none'}. ` +
      'Give the missing tokens (a dpdby bit on an earlier instruction of the giving engine) or remove the dpdon bits that wait for them',
  };
}

/** Whether instruction x happens before (or is) instruction y, by the vector clocks of `a`. */
export function happensBefore(a: DepAnalysis, x: number, y: number): boolean {
  if (x === y) return true;
  const e = a.graph.engine[x]!;
  if (e === CTRL) return false;
  return a.vc![y * ENGINE_COUNT + e]! > a.graph.seq[x]!;
}
