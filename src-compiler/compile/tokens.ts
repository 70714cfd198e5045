// Dependency masks from data dependencies: the fewest tokens that order every conflicting pair.
//
// The code generator emits instructions in a program order that respects every data dependency (so the
// program means the same run in order, as Xilinx's simulator runs it) and says what each instruction
// reads and writes, as logical keys (a ring slot of a bank group, a weight buffer, rows of a DDR
// tensor). Two accesses to one key conflict when one writes. A conflict between instructions on the
// same engine is ordered by that engine running in order; between engines it needs tokens (BRIEF §2):
// X with dpdby=B gives one token to A->B when it completes; Y with dpdon=A waits for and takes one.
//
// Tokens on a pair A->B are counted, not named: the k-th instruction of B to take one waits for the
// k-th of A to give one, and both sides run in order. So a dependency X -> Y is realized by making X
// the next giver and Y the next taker on A->B, which is possible exactly when X is later than the last
// giver so far: true whenever the dependency is not already implied, because the last giver is known
// to finish before Y (it finished before an earlier taker of B).
//
// Implied dependencies are found with vector clocks: clock(Y)[A] is the last instruction of engine A
// known to finish before Y starts (through its engine's order and the tokens taken so far, transitively).
// Y needs a token from A only if its latest conflicting instruction on A is later than that. No token is
// added that a dependency does not need, and no token is left without a taker.

export const ENGINE_COUNT = 4;

export interface TokenInput {
  /** 0..3 (LOAD, SAVE, CONV, MISC), or -1 for END (it waits for every engine to drain). */
  readonly engine: number;
  readonly reads: readonly (string | number)[];
  readonly writes: readonly (string | number)[];
}

export interface TokenResult {
  readonly dpdon: Uint8Array;
  readonly dpdby: Uint8Array;
  /** Dependencies between engines found, and how many of them tokens had to carry (the rest were implied). */
  readonly crossEngineDeps: number;
  readonly tokens: number;
}

interface KeyState {
  writer: number;
  /** Last reader since the last write, per engine (-1: none). */
  readers: Int32Array;
}

/** Calls `want` with every earlier instruction the accesses conflict with: the last writer of what is
 * read; the last writer and the readers since of what is written. */
function conflicts(keys: Map<string | number, KeyState>, reads: TokenInput['reads'], writes: TokenInput['writes'], want: (x: number) => void): void {
  for (const k of reads) {
    const s = keys.get(k);
    if (s) want(s.writer);
  }
  for (const k of writes) {
    const s = keys.get(k);
    if (!s) continue;
    want(s.writer);
    for (let e = 0; e < ENGINE_COUNT; e++) want(s.readers[e]!);
  }
}

/** Instruction y of engine b has made its accesses. */
function record(keys: Map<string | number, KeyState>, b: number, y: number, reads: TokenInput['reads'], writes: TokenInput['writes']): void {
  for (const k of reads) {
    let s = keys.get(k);
    if (!s) keys.set(k, (s = { writer: -1, readers: new Int32Array(ENGINE_COUNT).fill(-1) }));
    s.readers[b] = y;
  }
  for (const k of writes) {
    let s = keys.get(k);
    if (!s) keys.set(k, (s = { writer: -1, readers: new Int32Array(ENGINE_COUNT).fill(-1) }));
    s.writer = y;
    s.readers.fill(-1);
  }
}

export function assignTokens(instrs: readonly TokenInput[]): TokenResult {
  const n = instrs.length;
  const dpdon = new Uint8Array(n);
  const dpdby = new Uint8Array(n);
  // Vector clock of each instruction at its completion: [A] = last A instruction finished by then.
  const clock = new Int32Array(n * ENGINE_COUNT).fill(-1);
  // Knowledge of each engine before its next instruction starts.
  const engineClock = Array.from({ length: ENGINE_COUNT }, () => new Int32Array(ENGINE_COUNT).fill(-1));
  const keys = new Map<string | number, KeyState>();
  const need = new Int32Array(ENGINE_COUNT);
  let crossEngineDeps = 0;
  let tokens = 0;

  for (let y = 0; y < n; y++) {
    const { engine: b, reads, writes } = instrs[y]!;
    if (b < 0) continue; // END: no data, waits for everything.
    need.fill(-1);
    const want = (x: number) => {
      if (x < 0) return;
      const a = instrs[x]!.engine;
      if (a !== b && a >= 0 && x > need[a]!) need[a] = x;
    };
    conflicts(keys, reads, writes, want);
    const known = engineClock[b]!;
    // Latest source first: it may bring the earlier ones along (a later instruction can know of an
    // earlier one through tokens, never the reverse), so fewer tokens are needed.
    const order = [0, 1, 2, 3].filter((a) => need[a]! >= 0).sort((p, q) => need[q]! - need[p]!);
    for (const a of order) {
      const x = need[a]!;
      crossEngineDeps++;
      if (known[a]! >= x) continue;
      // Not implied: x gives the next A->B token, y takes it.
      dpdby[x] = dpdby[x]! | (1 << b);
      dpdon[y] = dpdon[y]! | (1 << a);
      tokens++;
      for (let e = 0; e < ENGINE_COUNT; e++) known[e] = Math.max(known[e]!, clock[x * ENGINE_COUNT + e]!);
    }
    known[b] = y;
    clock.set(known, y * ENGINE_COUNT);
    record(keys, b, y, reads, writes);
  }
  return { dpdon, dpdby, crossEngineDeps, tokens };
}

/**
 * The cross-engine dependencies of each instruction: for every other engine, the latest earlier
 * instruction it conflicts with (or -1). What the tokens implement, before reducing it to the tokens
 * actually needed; the cost model schedules over it.
 */
export function crossEngineDependencies(instrs: readonly TokenInput[]): Int32Array {
  const n = instrs.length;
  const out = new Int32Array(n * ENGINE_COUNT).fill(-1);
  const keys = new Map<string | number, KeyState>();
  for (let y = 0; y < n; y++) {
    const { engine: b, reads, writes } = instrs[y]!;
    if (b < 0) continue;
    const want = (x: number) => {
      if (x < 0) return;
      const a = instrs[x]!.engine;
      if (a !== b && a >= 0 && x > out[y * ENGINE_COUNT + a]!) out[y * ENGINE_COUNT + a] = x;
    };
    conflicts(keys, reads, writes, want);
    record(keys, b, y, reads, writes);
  }
  return out;
}
