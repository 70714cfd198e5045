// Subgraph isomorphism on DAGs: every embedding of a small pattern graph in a large target graph.
//
// A VF2-style state-space search specialised for what fusion templates are: connected patterns of a
// few nodes, in DAGs of up to a few thousand. Pattern nodes are matched in an order where each node
// after the first is adjacent (as producer or consumer) to an already-matched one, so a candidate for
// it comes from the neighbour lists of its matched neighbour instead of the whole graph. Feasibility
// is checked per step, as in VF2: the node predicate, injectivity, and every pattern edge between the
// new node and the matched ones must exist in the target (with the same input slot when the pattern
// names one). Pattern nodes whose outputs must stay inside the match (fused intermediates) are
// checked against the target's consumers at the end of each branch.
//
// Cost: for a pattern of k nodes, O(n * d^(k-1)) steps in the worst case (d the largest degree), in
// practice close to n because the first node's predicate (an op type) prunes most roots.

/** The target graph as the matcher sees it: node ids 0..n-1, edges by input slot. */
export interface DagView<N> {
  readonly nodes: readonly N[];
  /** Producers of node i, by input slot (-1 where the input is not produced by a node). */
  readonly producers: readonly (readonly number[])[];
  /** Consumers of node i (each consumer once, in id order). */
  readonly consumers: readonly (readonly number[])[];
  /** How many consumers read node i's output outside the graph's nodes (graph outputs). */
  readonly externalUses: readonly number[];
}

export interface PatternNode<N> {
  readonly name: string;
  readonly test: (n: N) => boolean;
  /** Its output may only be read by nodes of the match (a fused intermediate that never reaches DDR). */
  readonly internal?: boolean;
}

export interface PatternEdge {
  /** Pattern node indices. */
  readonly from: number;
  readonly to: number;
  /** Input slot of `to` that `from` feeds, or undefined for any slot. */
  readonly slot?: number;
}

export interface Pattern<N> {
  readonly name: string;
  readonly nodes: readonly PatternNode<N>[];
  readonly edges: readonly PatternEdge[];
}

/** An embedding: target node id of each pattern node, in pattern order. */
export type Embedding = readonly number[];

/** Every embedding of `p` in `g` (distinct as maps; automorphic copies are all reported). */
export function findEmbeddings<N>(g: DagView<N>, p: Pattern<N>): Embedding[] {
  const k = p.nodes.length;
  if (k === 0) return [];
  const order = matchOrder(p);
  const out: Embedding[] = [];
  const map = new Array<number>(k).fill(-1);
  const used = new Set<number>();

  const feasible = (pi: number, ti: number): boolean => {
    if (used.has(ti) || !p.nodes[pi]!.test(g.nodes[ti]!)) return false;
    for (const e of p.edges) {
      if (e.to === pi && map[e.from]! >= 0) {
        const src = map[e.from]!;
        const prods = g.producers[ti]!;
        if (e.slot !== undefined ? prods[e.slot] !== src : !prods.includes(src)) return false;
      }
      if (e.from === pi && map[e.to]! >= 0) {
        const dst = map[e.to]!;
        const prods = g.producers[dst]!;
        if (e.slot !== undefined ? prods[e.slot] !== ti : !prods.includes(ti)) return false;
      }
    }
    return true;
  };

  const internalOk = (): boolean => {
    for (let pi = 0; pi < k; pi++) {
      if (!p.nodes[pi]!.internal) continue;
      const ti = map[pi]!;
      if (g.externalUses[ti]! > 0) return false;
      for (const c of g.consumers[ti]!) if (!used.has(c)) return false;
    }
    return true;
  };

  const step = (depth: number) => {
    if (depth === k) {
      if (internalOk()) out.push(map.slice());
      return;
    }
    const { node: pi, via } = order[depth]!;
    let candidates: readonly number[];
    if (via === undefined) candidates = g.nodes.map((_, i) => i);
    else {
      const anchor = map[via.node]!;
      candidates = via.asProducer ? g.producers[anchor]!.filter((x) => x >= 0) : g.consumers[anchor]!;
    }
    for (const ti of candidates) {
      if (!feasible(pi, ti)) continue;
      map[pi] = ti;
      used.add(ti);
      step(depth + 1);
      used.delete(ti);
      map[pi] = -1;
    }
  };
  step(0);
  return out;
}

interface OrderStep {
  readonly node: number;
  /** A matched neighbour to draw candidates from: the new node is its producer, or its consumer. */
  readonly via?: { readonly node: number; readonly asProducer: boolean };
}

/** Pattern nodes in an order where each one after the first touches an earlier one. */
function matchOrder<N>(p: Pattern<N>): OrderStep[] {
  const k = p.nodes.length;
  const done = new Set<number>([0]);
  const order: OrderStep[] = [{ node: 0 }];
  while (order.length < k) {
    let next: OrderStep | undefined;
    for (const e of p.edges) {
      if (done.has(e.from) && !done.has(e.to)) next = { node: e.to, via: { node: e.from, asProducer: false } };
      else if (done.has(e.to) && !done.has(e.from)) next = { node: e.from, via: { node: e.to, asProducer: true } };
      if (next) break;
    }
    if (!next) throw new Error(`pattern ${p.name} is not connected`);
    done.add(next.node);
    order.push(next);
  }
  return order;
}

/** Embeddings that differ only by a permutation of interchangeable pattern nodes, reduced to one. */
export function uniqueBySet(embeddings: readonly Embedding[]): Embedding[] {
  const seen = new Set<string>();
  const out: Embedding[] = [];
  for (const e of embeddings) {
    const key = [...e].sort((a, b) => a - b).join(',');
    if (!seen.has(key)) {
      seen.add(key);
      out.push(e);
    }
  }
  return out;
}
