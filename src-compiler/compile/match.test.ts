import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { findEmbeddings, uniqueBySet, type DagView, type Pattern } from './match';
import { optimalCover, type Candidate } from './strategy';

interface N {
  op: string;
}

/** A DAG from edges [from, to, slot]. */
function dag(ops: string[], edges: [number, number, number][], outputs: number[] = []): DagView<N> {
  const producers = ops.map(() => [] as number[]);
  const consumers = ops.map(() => [] as number[]);
  for (const [f, t, s] of edges) {
    producers[t]![s] = f;
    if (!consumers[f]!.includes(t)) consumers[f]!.push(t);
  }
  for (const p of producers) for (let i = 0; i < p.length; i++) if (p[i] === undefined) p[i] = -1;
  return { nodes: ops.map((op) => ({ op })), producers, consumers, externalUses: ops.map((_, i) => (outputs.includes(i) ? 1 : 0)) };
}

const is = (op: string) => (n: N) => n.op === op;

describe('subgraph isomorphism', () => {
  // input conv -> relu -> pool, a residual branch: conv2 -> add(slot 1), and add(slot 0) from relu
  //   0 conv, 1 pool, 2 conv, 3 add, 4 conv
  const g = dag(['conv', 'pool', 'conv', 'add', 'conv'], [
    [0, 1, 0],
    [0, 2, 0],
    [2, 3, 1],
    [1, 3, 0],
    [3, 4, 0],
  ]);

  it('finds conv -> pool, and enforces that a fused intermediate has no other consumer', () => {
    const p: Pattern<N> = { name: 'conv-pool', nodes: [{ name: 'conv', test: is('conv'), internal: true }, { name: 'pool', test: is('pool') }], edges: [{ from: 0, to: 1 }] };
    // conv 0 also feeds conv 2, so it cannot stay on chip.
    expect(findEmbeddings(g, p)).toEqual([]);
    const loose: Pattern<N> = { ...p, nodes: [{ name: 'conv', test: is('conv') }, p.nodes[1]!] };
    expect(findEmbeddings(g, loose)).toEqual([[0, 1]]);
  });

  it('matches by input slot when the pattern names one', () => {
    const residual = (slot: number): Pattern<N> => ({ name: 'conv-add', nodes: [{ name: 'conv', test: is('conv'), internal: true }, { name: 'add', test: is('add') }], edges: [{ from: 0, to: 1, slot }] });
    expect(findEmbeddings(g, residual(1))).toEqual([[2, 3]]);
    expect(findEmbeddings(g, residual(0))).toEqual([]);
  });

  it('matches longer chains through producers and consumers', () => {
    const chain: Pattern<N> = {
      name: 'conv-add-conv',
      nodes: [{ name: 'add', test: is('add') }, { name: 'c0', test: is('conv') }, { name: 'c1', test: is('conv') }],
      edges: [{ from: 1, to: 0 }, { from: 0, to: 2 }],
    };
    expect(findEmbeddings(g, chain)).toEqual([[3, 2, 4]]);
  });

  it('finds each embedding of a two-input pattern once per assignment; uniqueBySet folds symmetric ones', () => {
    const two = dag(['conv', 'conv', 'add'], [
      [0, 2, 0],
      [1, 2, 1],
    ]);
    const p: Pattern<N> = { name: 'x', nodes: [{ name: 'add', test: is('add') }, { name: 'a', test: is('conv') }, { name: 'b', test: is('conv') }], edges: [{ from: 1, to: 0 }, { from: 2, to: 0 }] };
    const all = findEmbeddings(two, p);
    expect(all).toEqual([
      [2, 0, 1],
      [2, 1, 0],
    ]);
    expect(uniqueBySet(all)).toEqual([[2, 0, 1]]);
  });

  it('agrees with brute force on random DAGs (chains of two or three ops)', () => {
    const ops = ['conv', 'pool', 'add'];
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 9 }), fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 14 }), fc.array(fc.constantFrom(...ops), { minLength: 9, maxLength: 9 }), (n, raw, labels) => {
        const edges: [number, number, number][] = [];
        const slots = new Array<number>(n).fill(0);
        for (const [a, b] of raw) {
          const f = a % n;
          const t = b % n;
          if (f < t && !edges.some((e) => e[0] === f && e[1] === t)) edges.push([f, t, slots[t]!++]);
        }
        const g2 = dag(labels.slice(0, n), edges);
        const p: Pattern<N> = { name: 'p', nodes: [{ name: 'a', test: is('conv') }, { name: 'b', test: is('pool') }, { name: 'c', test: is('add') }], edges: [{ from: 0, to: 1 }, { from: 1, to: 2 }] };
        const brute: number[][] = [];
        for (let a = 0; a < n; a++)
          for (let b = 0; b < n; b++)
            for (let c = 0; c < n; c++) {
              if (new Set([a, b, c]).size < 3) continue;
              const ok = labels[a] === 'conv' && labels[b] === 'pool' && labels[c] === 'add' && edges.some((e) => e[0] === a && e[1] === b) && edges.some((e) => e[0] === b && e[1] === c);
              if (ok) brute.push([a, b, c]);
            }
        const sortKey = (x: readonly number[]) => x.join(',');
        expect(findEmbeddings(g2, p).map(sortKey).sort()).toEqual(brute.map(sortKey).sort());
      }),
      { numRuns: 500 },
    );
  });
});

describe('strategy search', () => {
  it('prefers a fused group when it is cheaper than its parts', () => {
    const cands: Candidate[] = [
      { nodes: [0], cost: 10 },
      { nodes: [1], cost: 10 },
      { nodes: [2], cost: 10 },
      { nodes: [0, 1], cost: 15 },
      { nodes: [1, 2], cost: 12 },
    ];
    const c = optimalCover(3, cands);
    expect(c.cost).toBe(22);
    expect(c.chosen.sort()).toEqual([0, 4]);
  });

  it('covers non-consecutive groups (branches) and equals brute force on random instances', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 9 }).chain((n) =>
          fc.tuple(
            fc.constant(n),
            fc.array(fc.integer({ min: 1, max: 50 }), { minLength: n, maxLength: n }),
            fc.array(fc.tuple(fc.uniqueArray(fc.nat(n - 1), { minLength: 2, maxLength: Math.min(4, n) }), fc.integer({ min: 1, max: 80 })), { maxLength: 10 }),
          ),
        ),
        ([n, single, groups]) => {
          const cands: Candidate[] = [...single.map((cost, i) => ({ nodes: [i], cost })), ...groups.filter(([ns]) => ns.length >= 2).map(([nodes, cost]) => ({ nodes, cost }))];
          const got = optimalCover(n, cands);
          // Brute force: every subset of candidates that is an exact cover.
          let bestCost = Infinity;
          const m = cands.length;
          const rec = (k: number, covered: number, cost: number) => {
            if (cost >= bestCost) return;
            if (covered === (1 << n) - 1) {
              bestCost = cost;
              return;
            }
            if (k === m) return;
            const mask = cands[k]!.nodes.reduce((a, x) => a | (1 << x), 0);
            if (!(mask & covered)) rec(k + 1, covered | mask, cost + cands[k]!.cost);
            rec(k + 1, covered, cost);
          };
          rec(0, 0, 0);
          expect(got.cost).toBe(bestCost);
          const covered = got.chosen.flatMap((i) => cands[i]!.nodes).sort((a, b) => a - b);
          expect(covered).toEqual(Array.from({ length: n }, (_, i) => i));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('reports candidates wider than the window as dropped', () => {
    const c = optimalCover(5, [...[0, 1, 2, 3, 4].map((i) => ({ nodes: [i], cost: 1 })), { nodes: [0, 4], cost: 0.1 }], 3);
    expect(c.dropped).toBe(1);
    expect(c.cost).toBe(5);
  });
});
