// The quick fix of a data race: which dependency bits order the two instructions.
//
// Tokens pair by rank (deps.ts): the k-th instruction of engine B that takes from A -> B (dpdon bit A)
// takes the token of the k-th instruction of A that gives to it (dpdby bit B). To make X (engine A)
// happen before Y (engine B) the fix adds one taker W (dpdon bit A) at or before Y in B's order and
// one giver Z (dpdby bit B) at or after X in A's order, so that W takes Z's token: X -> Z -> W -> Y.
//
//   - Same rank (W has as many takers before it as Z has givers before it): every other taker keeps
//     its giver. Preferred, with W as late and Z as early as possible: W = Y and Z = X when their
//     ranks agree ("dpdon on the later, dpdby on the earlier").
//   - Otherwise (X already gives to B, its token going to a taker after Y): W takes X's token, and the
//     takers up to Z's rank each take the next giver's token; they only wait longer.
//
// Every candidate is checked by running the dependency analysis on the changed masks: no deadlock, X
// now happens before Y, no token left over that was not before, and every token still given earlier
// in program order than it is taken (Xilinx's simulator runs the program in program order; a token
// taken before it is given there would order the engines against it).

import { analyzeDependencies, happensBefore, type DepAnalysis, type DepGraph } from '../sim/deps';
import { CTRL, type SimProgram } from '../sim/program';
import { ENGINE_COUNT } from '../isa/table';

export interface RaceFixLocal {
  /** The instruction that gets dpdon bit `onEngine` (engine A, the earlier access's). */
  readonly onInstr: number;
  readonly onEngine: number;
  /** The instruction that gets dpdby bit `byEngine` (engine B, the later access's). */
  readonly byInstr: number;
  readonly byEngine: number;
}

/** The fix that makes x (earlier in program order) happen before y, or undefined if no pair of single bits does. */
export function planRaceFix(p: SimProgram, deps: DepAnalysis, x: number, y: number): RaceFixLocal | undefined {
  const g = deps.graph;
  if (!deps.vc || x >= y || x < 0 || y >= g.count) return undefined;
  const A = g.engine[x]!;
  const B = g.engine[y]!;
  if (A === CTRL || B === CTRL || A === B) return undefined;
  const qa = g.queues[A]!;
  const qb = g.queues[B]!;
  const bitA = 1 << A;
  const bitB = 1 << B;
  // giveRank[k]: givers to A -> B among A's first k instructions; takeRank likewise for B.
  const giveRank = new Int32Array(qa.length + 1);
  for (let k = 0; k < qa.length; k++) giveRank[k + 1] = giveRank[k]! + (g.dpdby[qa[k]!]! & bitB ? 1 : 0);
  const takeRank = new Int32Array(qb.length + 1);
  for (let k = 0; k < qb.length; k++) takeRank[k + 1] = takeRank[k]! + (g.dpdon[qb[k]!]! & bitA ? 1 : 0);
  const posX = g.seq[x]!;
  const posY = g.seq[y]!;
  const candidates: [number, number][] = [];
  // Same rank: for W from Y backwards, Z = the first A instruction at or after X with W's rank.
  for (let kw = posY; kw >= 0 && candidates.length < 4; kw--) {
    const w = qb[kw]!;
    if (g.dpdon[w]! & bitA) continue;
    const r = takeRank[kw]!;
    if (giveRank[posX]! > r) break;
    let lo = posX;
    let hi = qa.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (giveRank[mid]! < r) lo = mid + 1;
      else hi = mid;
    }
    if (lo < qa.length && giveRank[lo] === r && !(g.dpdby[qa[lo]!]! & bitB)) candidates.push([w, qa[lo]!]);
  }
  // Shifted: the latest W at or before Y, the first Z after X that gives no token to B yet.
  let wl = -1;
  for (let kw = posY; kw >= 0 && wl < 0; kw--) if (!(g.dpdon[qb[kw]!]! & bitA)) wl = qb[kw]!;
  let zl = -1;
  for (let kz = posX; kz < qa.length && zl < 0; kz++) if (!(g.dpdby[qa[kz]!]! & bitB)) zl = qa[kz]!;
  if (wl >= 0 && zl >= 0) candidates.push([wl, zl]);
  const before = deps.problems.filter((q) => q.code === 'unbalanced-tokens').length;
  for (const [w, z] of candidates) {
    const g2 = withBits(g, w, bitA, z, bitB, A, B);
    const d2 = analyzeDependencies(p, { vectorClocks: true, graph: g2 });
    if (!d2.complete || !happensBefore(d2, x, y)) continue;
    if (d2.problems.filter((q) => q.code === 'unbalanced-tokens').length > before) continue;
    if (!givenBeforeTaken(g, g2, A, B)) continue;
    return { onInstr: w, onEngine: A, byInstr: z, byEngine: B };
  }
  return undefined;
}

/** The dependency graph with dpdon bit `onBit` added to w and dpdby bit `byBit` to z. */
function withBits(g: DepGraph, w: number, onBit: number, z: number, byBit: number, A: number, B: number): DepGraph {
  const dpdon = g.dpdon.slice();
  const dpdby = g.dpdby.slice();
  const gives = g.gives.slice();
  dpdon[w] = dpdon[w]! | onBit;
  dpdby[z] = dpdby[z]! | byBit;
  gives[A * ENGINE_COUNT + B]!++;
  return { ...g, dpdon, dpdby, gives };
}

/** Whether every A -> B token pair of g2 has its giver before its taker in program order, where g's did. */
function givenBeforeTaken(g: DepGraph, g2: DepGraph, A: number, B: number): boolean {
  const pairs = (h: DepGraph) => {
    const givers = Array.from(h.queues[A]!).filter((i) => h.dpdby[i]! & (1 << B));
    const takers = Array.from(h.queues[B]!).filter((i) => h.dpdon[i]! & (1 << A));
    return takers.map((t, k) => [givers[k] ?? Infinity, t] as const);
  };
  const ok = new Set(pairs(g).filter(([gv, t]) => gv > t).map(([, t]) => t));
  return pairs(g2).every(([gv, t]) => gv < t || ok.has(t));
}
