// Strategy search: choose fusion groups that cover every node exactly once with the least total cost.
//
// DNNVM frames this as a shortest path over the layers in topological order. With branches
// (Inception, ResNet) a group's nodes need not be consecutive in that order, so the search here is a
// dynamic program over the topological order whose state also remembers which of the next W nodes are
// already covered by groups chosen earlier:
//
//   state (i, M): nodes before i are decided; bit j of M says node i+j is already covered.
//   From (i, M) with node i uncovered, choose a candidate group whose first node (in the order) is i,
//   whose nodes lie in [i, i+W) and miss M; its cost is added and its nodes set in M.
//
// Every node also has a singleton candidate, so a cover always exists. The result is optimal among
// covers made of candidates whose span in the order is at most W (the window). A candidate wider than
// W is dropped, and that is the one place the search is heuristic; `dropped` reports how many. With
// n nodes, c candidates per node and S reachable masks per position, the work is O(n * S * c); S
// stays small because groups are local (a few nodes, spans of a few positions) and unreachable masks
// are never built (memoized on demand).

export interface Candidate {
  /** Node positions in the topological order, any order. */
  readonly nodes: readonly number[];
  readonly cost: number;
}

export interface Cover {
  /** Chosen candidates (indices into the input list). */
  readonly chosen: number[];
  readonly cost: number;
  /** Candidates ignored because they span more than the window. */
  readonly dropped: number;
  readonly window: number;
}

export function optimalCover(n: number, candidates: readonly Candidate[], window = 24): Cover {
  if (window > 30) throw new Error('strategy window above 30 nodes is not supported (bit masks)');
  const byFirst: { idx: number; rel: number }[][] = Array.from({ length: n }, () => []);
  let dropped = 0;
  const singleton = new Array<number>(n).fill(-1);
  candidates.forEach((c, idx) => {
    const first = Math.min(...c.nodes);
    const last = Math.max(...c.nodes);
    if (c.nodes.length === 0 || first < 0 || last >= n) throw new Error(`candidate ${idx} has nodes outside 0..${n - 1}`);
    if (last - first >= window) {
      dropped++;
      return;
    }
    let rel = 0;
    for (const x of c.nodes) {
      const bit = 1 << (x - first);
      if (rel & bit) throw new Error(`candidate ${idx} lists node ${x} twice`);
      rel |= bit;
    }
    byFirst[first]!.push({ idx, rel });
    if (c.nodes.length === 1 && (singleton[first]! < 0 || c.cost < candidates[singleton[first]!]!.cost)) singleton[first] = idx;
  });
  for (let i = 0; i < n; i++) if (singleton[i]! < 0) throw new Error(`node ${i} has no single-node candidate, so no cover may exist`);

  // memo: key = i * 2^window + mask -> best cost from (i, mask); choice remembered for reconstruction.
  const best = new Map<number, { cost: number; pick: number }>();
  const solve = (i0: number, m0: number): number => {
    // Iterative over covered prefixes to keep recursion shallow.
    let i = i0;
    let m = m0;
    while (i < n && m & 1) {
      i++;
      m >>>= 1;
    }
    if (i >= n) return 0;
    const key = i * 2 ** window + m;
    const hit = best.get(key);
    if (hit) return hit.cost;
    let bestCost = Infinity;
    let pick = -1;
    for (const { idx, rel } of byFirst[i]!) {
      if (rel & m) continue;
      const c = candidates[idx]!.cost + solve(i, m | rel);
      if (c < bestCost) {
        bestCost = c;
        pick = idx;
      }
    }
    best.set(key, { cost: bestCost, pick });
    return bestCost;
  };
  const total = solve(0, 0);
  const chosen: number[] = [];
  let i = 0;
  let m = 0;
  while (i < n) {
    if (m & 1) {
      i++;
      m >>>= 1;
      continue;
    }
    const { pick } = best.get(i * 2 ** window + m)!;
    chosen.push(pick);
    const c = candidates[pick]!;
    const first = Math.min(...c.nodes);
    for (const x of c.nodes) m |= 1 << (x - first);
  }
  return { chosen, cost: total, dropped, window };
}
