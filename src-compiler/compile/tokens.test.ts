import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { assignTokens, ENGINE_COUNT, type TokenInput } from './tokens';

/** Happens-before from the masks alone, as the hardware realizes it: the k-th taker of A->B waits for
 * the k-th giver. Returns, per instruction, the last instruction of each engine finished before it ends. */
function clocksFromMasks(instrs: readonly TokenInput[], dpdon: Uint8Array, dpdby: Uint8Array): Int32Array[] {
  const givers: number[][][] = Array.from({ length: ENGINE_COUNT }, () => Array.from({ length: ENGINE_COUNT }, () => []));
  instrs.forEach((ins, x) => {
    for (let b = 0; b < ENGINE_COUNT; b++) if (dpdby[x]! & (1 << b)) givers[ins.engine]![b]!.push(x);
  });
  const taken = Array.from({ length: ENGINE_COUNT }, () => new Array<number>(ENGINE_COUNT).fill(0));
  const last = Array.from({ length: ENGINE_COUNT }, () => -1);
  const clocks: Int32Array[] = [];
  instrs.forEach((ins, y) => {
    const b = ins.engine;
    const c = new Int32Array(ENGINE_COUNT).fill(-1);
    if (b >= 0 && last[b]! >= 0) c.set(clocks[last[b]!]!);
    for (let a = 0; a < ENGINE_COUNT; a++)
      if (b >= 0 && dpdon[y]! & (1 << a)) {
        const x = givers[a]![b]![taken[a]![b]!++];
        expect(x, `instruction ${y} takes a token no earlier instruction gives`).toBeDefined();
        expect(x!).toBeLessThan(y);
        for (let e = 0; e < ENGINE_COUNT; e++) c[e] = Math.max(c[e]!, clocks[x!]![e]!);
      }
    if (b >= 0) {
      c[b] = y;
      last[b] = y;
    }
    clocks.push(c);
  });
  for (let a = 0; a < ENGINE_COUNT; a++) for (let b = 0; b < ENGINE_COUNT; b++) expect(taken[a]![b], `tokens ${a}->${b} left over`).toBe(givers[a]![b]!.length);
  return clocks;
}

function conflicts(instrs: readonly TokenInput[]): [number, number][] {
  const out: [number, number][] = [];
  for (let y = 0; y < instrs.length; y++)
    for (let x = 0; x < y; x++) {
      const X = instrs[x]!;
      const Y = instrs[y]!;
      if (X.engine === Y.engine || X.engine < 0 || Y.engine < 0) continue;
      const hit = (as: readonly (string | number)[], bs: readonly (string | number)[]) => as.some((k) => bs.includes(k));
      if (hit(X.writes, Y.reads) || hit(X.writes, Y.writes) || hit(X.reads, Y.writes)) out.push([x, y]);
    }
  return out;
}

const program = fc.array(
  fc.record({ engine: fc.integer({ min: 0, max: 3 }), reads: fc.uniqueArray(fc.integer({ min: 0, max: 5 }), { maxLength: 3 }), writes: fc.uniqueArray(fc.integer({ min: 0, max: 5 }), { maxLength: 2 }) }),
  { maxLength: 30 },
);

describe('token assignment', () => {
  it('orders every conflicting pair on different engines, leaves no token without a taker, and never deadlocks', () => {
    fc.assert(
      fc.property(program, (instrs) => {
        const r = assignTokens(instrs);
        const clocks = clocksFromMasks(instrs, r.dpdon, r.dpdby);
        for (const [x, y] of conflicts(instrs)) expect(clocks[y]![instrs[x]!.engine]!, `${x} must happen before ${y}`).toBeGreaterThanOrEqual(x);
      }),
      { numRuns: 3000 },
    );
  });

  it('adds no token a dependency does not need: dropping any one breaks an ordering', () => {
    fc.assert(
      fc.property(program, (instrs) => {
        const r = assignTokens(instrs);
        const pairs = conflicts(instrs);
        for (let y = 0; y < instrs.length; y++)
          for (let a = 0; a < ENGINE_COUNT; a++) {
            if (!(r.dpdon[y]! & (1 << a))) continue;
            // Remove this taker and its giver (the giver with the same rank on A->B).
            const b = instrs[y]!.engine;
            const takers = instrs.map((_, i) => i).filter((i) => instrs[i]!.engine === b && r.dpdon[i]! & (1 << a));
            const givers = instrs.map((_, i) => i).filter((i) => instrs[i]!.engine === a && r.dpdby[i]! & (1 << b));
            const x = givers[takers.indexOf(y)]!;
            const on = r.dpdon.slice();
            const by = r.dpdby.slice();
            on[y] = on[y]! & ~(1 << a);
            by[x] = by[x]! & ~(1 << b);
            const clocks = clocksFromMasks(instrs, on, by);
            expect(pairs.some(([p, q]) => clocks[q]![instrs[p]!.engine]! < p)).toBe(true);
          }
      }),
      { numRuns: 1000 },
    );
  });

  it('handles the LOAD -> CONV -> SAVE ping-pong with one token per tile and direction', () => {
    // Two input buffers, two output buffers, four tiles.
    const instrs: TokenInput[] = [];
    for (let t = 0; t < 4; t++) {
      instrs.push({ engine: 0, reads: [`ddr-in${t}`], writes: [`in${t % 2}`] });
      instrs.push({ engine: 2, reads: [`in${t % 2}`], writes: [`out${t % 2}`] });
      instrs.push({ engine: 1, reads: [`out${t % 2}`], writes: [`ddr-out${t}`] });
    }
    const r = assignTokens(instrs);
    const masks = instrs.map((_, i) => [r.dpdon[i], r.dpdby[i]]);
    // LOAD t (t>=2) waits for CONV t-2 (buffer reuse); CONV t waits for LOAD t and SAVE t-2; no token
    // is given that no one takes (the last tiles give none back to LOAD and CONV).
    expect(masks).toEqual([
      [0, 0b0100], [0b0001, 0b0011], [0b0100, 0b0100],
      [0, 0b0100], [0b0001, 0b0011], [0b0100, 0b0100],
      [0b0100, 0b0100], [0b0011, 0b0010], [0b0100, 0],
      [0b0100, 0b0100], [0b0011, 0b0010], [0b0100, 0],
    ]);
  });
});
