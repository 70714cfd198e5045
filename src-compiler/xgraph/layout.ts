// The XGraph's layout: ELK's layered algorithm (top to bottom, the data flow), fusion groups as compound
// nodes that hold their members (nested boxes), every coordinate absolute. No DOM and no Node: the
// webview runs it in the browser and `dnnvm xgraph` in Node, each with the ELK it loads (the webview
// bundles elkjs/lib/elk.bundled.js; the CLI loads the same file through Node), hence ElkLike.

import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api';
import type { XGraphNode, XGraphResult } from './view-model';

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface LaidNode extends Rect {
  readonly node: XGraphNode;
  /** Index in the graph's node list. */
  readonly index: number;
}

export interface LaidGroup extends Rect {
  readonly id: string;
  readonly template: string;
  readonly members: readonly string[];
}

export interface LaidEdge {
  readonly from: string;
  readonly to: string;
  readonly tensor: string;
  /** The route: x0, y0, x1, y1, ... (absolute). */
  readonly points: readonly number[];
  /** Bounds of the route, for culling. */
  readonly box: Rect;
}

export interface Layout {
  readonly nodes: readonly LaidNode[];
  readonly groups: readonly LaidGroup[];
  readonly edges: readonly LaidEdge[];
  readonly width: number;
  readonly height: number;
}

/** What the layout needs of ELK (elkjs's ELK class, or a stand-in). */
export interface ElkLike {
  layout(graph: ElkNode): Promise<ElkNode>;
}

export const NODE_H = 40;
const CHAR_W = 7;
export const MAX_LABEL = 28;
export const GROUP_LABEL_H = 18;

/** Text of at most `max` characters (an ellipsis marks the cut). */
export function clip(s: string, max = MAX_LABEL): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** The second line of a node's box: its operator and output shape. */
export function nodeSubtitle(n: XGraphNode): string {
  return `${n.op}${n.shape.length ? ` ${n.shape.join('×')}` : ''}`;
}

export function nodeWidth(n: XGraphNode): number {
  const chars = Math.max(clip(n.id).length, clip(nodeSubtitle(n)).length);
  return Math.max(72, Math.min(240, chars * CHAR_W + 20));
}

const ROOT_OPTIONS: Record<string, string> = {
  'elk.algorithm': 'layered',
  'elk.direction': 'DOWN',
  // Edges between members of different groups are laid out across the hierarchy, in one run.
  'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
  'elk.edgeRouting': 'POLYLINE',
  'elk.spacing.nodeNode': '18',
  'elk.layered.spacing.nodeNodeBetweenLayers': '26',
  'elk.spacing.edgeNode': '10',
  'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
  // Speed over the last few crossings: CNN graphs are chains with skips and branches, where one sweep
  // of crossing minimization finds nearly all there is to find; the defaults (thoroughness 7 and the
  // greedy switch) take three to five times longer on a ResNet-152-sized graph (measured, test/webview/bench.ts).
  'elk.layered.thoroughness': '2',
  'elk.layered.crossingMinimization.greedySwitch.type': 'OFF',
  'elk.separateConnectedComponents': 'false',
  // Absolute coordinates for shapes and edge routes, whatever their container.
  'elk.json.shapeCoords': 'ROOT',
  'elk.json.edgeCoords': 'ROOT',
};

const GROUP_OPTIONS: Record<string, string> = {
  'elk.padding': `[top=${GROUP_LABEL_H + 6},left=8,bottom=8,right=8]`,
};

/** The ELK input graph: a compound node per fusion group, holding its members. */
export function elkGraph(g: XGraphResult): ElkNode {
  const groupOf = new Map<string, string>();
  for (const gr of g.groups) for (const n of gr.nodes) if (!groupOf.has(n)) groupOf.set(n, gr.id);
  const leaf = (n: XGraphNode): ElkNode => ({ id: `n:${n.id}`, width: nodeWidth(n), height: NODE_H });
  const groups = new Map<string, ElkNode>(g.groups.map((gr) => [gr.id, { id: `g:${gr.id}`, layoutOptions: GROUP_OPTIONS, children: [] }]));
  const children: ElkNode[] = [];
  for (const n of g.nodes) {
    const gr = groupOf.get(n.id);
    if (gr) groups.get(gr)!.children!.push(leaf(n));
    else children.push(leaf(n));
  }
  for (const gr of groups.values()) if (gr.children!.length) children.push(gr);
  const edges: ElkExtendedEdge[] = g.edges.map((e, i) => ({ id: `e${i}`, sources: [`n:${e.from}`], targets: [`n:${e.to}`] }));
  return { id: 'root', layoutOptions: ROOT_OPTIONS, children, edges };
}

function boxOf(points: readonly number[]): Rect {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (let i = 0; i < points.length; i += 2) {
    x0 = Math.min(x0, points[i]!);
    x1 = Math.max(x1, points[i]!);
    y0 = Math.min(y0, points[i + 1]!);
    y1 = Math.max(y1, points[i + 1]!);
  }
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

/** Lay the graph out. */
export async function layoutGraph(g: XGraphResult, elk: ElkLike): Promise<Layout> {
  const out = await elk.layout(elkGraph(g));
  const byId = new Map(g.nodes.map((n, i) => [n.id, { n, i }]));
  const members = new Map(g.groups.map((gr) => [gr.id, gr]));
  const nodes: LaidNode[] = [];
  const groups: LaidGroup[] = [];
  const visit = (e: ElkNode) => {
    for (const c of e.children ?? []) {
      const r = { x: c.x ?? 0, y: c.y ?? 0, w: c.width ?? 0, h: c.height ?? 0 };
      if (c.id.startsWith('g:')) {
        const gr = members.get(c.id.slice(2))!;
        groups.push({ ...r, id: gr.id, template: gr.template, members: gr.nodes });
        visit(c);
      } else {
        const hit = byId.get(c.id.slice(2))!;
        nodes.push({ ...r, node: hit.n, index: hit.i });
      }
    }
  };
  visit(out);
  nodes.sort((a, b) => a.index - b.index);
  const edges: LaidEdge[] = [];
  // With INCLUDE_CHILDREN, ELK moves each edge into its lowest common container: collect them all.
  const collect = (e: ElkNode) => {
    for (const ed of (e.edges ?? []) as ElkExtendedEdge[]) {
      const k = Number(ed.id.slice(1));
      const src = g.edges[k]!;
      const points: number[] = [];
      for (const s of ed.sections ?? []) {
        points.push(s.startPoint.x, s.startPoint.y);
        for (const b of s.bendPoints ?? []) points.push(b.x, b.y);
        points.push(s.endPoint.x, s.endPoint.y);
      }
      if (points.length >= 4) edges.push({ from: src.from, to: src.to, tensor: src.tensor, points, box: boxOf(points) });
    }
    for (const c of e.children ?? []) collect(c);
  };
  collect(out);
  return { nodes, groups, edges, width: out.width ?? 0, height: out.height ?? 0 };
}
