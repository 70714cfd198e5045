import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { boardByName } from '../arch/presets';
import { ENGINE_COUNT } from '../isa/table';
import { instrStream } from '../../test/support/arbitraries';
import { analyzeDependencies, buildDepGraph, happensBefore } from './deps';
import { CTRL, programFromInstrs } from './program';

const ZU9 = boardByName('ZU9')!;

/** Happens-before by brute force: reachability over program-order edges within each engine and
 * (k-th giver -> k-th taker) token edges, with a breadth-first search from every instruction. */
function reachability(instrs: Parameters<typeof programFromInstrs>[0]): boolean[][] {
  const p = programFromInstrs(instrs, ZU9);
  const g = buildDepGraph(p);
  const n = p.count;
  const edges: number[][] = Array.from({ length: n }, () => []);
  for (const q of g.queues) for (let k = 1; k < q.length; k++) edges[q[k - 1]!]!.push(q[k]!);
  for (let a = 0; a < ENGINE_COUNT; a++)
    for (let b = 0; b < ENGINE_COUNT; b++) {
      const givers = g.queues[a]!.filter((i) => g.dpdby[i]! & (1 << b));
      const takers = g.queues[b]!.filter((i) => g.dpdon[i]! & (1 << a));
      for (let k = 0; k < Math.min(givers.length, takers.length); k++) edges[givers[k]!]!.push(takers[k]!);
    }
  return Array.from({ length: n }, (_, x) => {
    const seen = new Array<boolean>(n).fill(false);
    const todo = [x];
    seen[x] = true;
    while (todo.length) for (const y of edges[todo.pop()!]!) if (!seen[y]) todo.push(y), (seen[y] = true);
    return seen;
  });
}

describe('happens-before through tokens', () => {
  it('the vector clocks agree with brute-force reachability on 500 random deadlock-free programs', () => {
    let checked = 0;
    fc.assert(
      fc.property(instrStream(ZU9, 25), (instrs) => {
        const p = programFromInstrs(instrs, ZU9);
        const a = analyzeDependencies(p, { vectorClocks: true });
        if (!a.complete) return;
        checked++;
        const reach = reachability(instrs);
        for (let x = 0; x < p.count; x++)
          for (let y = 0; y < p.count; y++) {
            if (a.graph.engine[x] === CTRL || a.graph.engine[y] === CTRL) continue;
            expect(happensBefore(a, x, y)).toBe(reach[x]![y]!);
          }
      }),
      { numRuns: 500 },
    );
    expect(checked).toBeGreaterThan(30);
  });
});
