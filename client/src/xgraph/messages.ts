// Messages between the XGraph panel (extension host) and its webview, and their validation. Both sides
// import this file; each validates what it receives and ignores (and logs) anything that does not match,
// because a webview is a separate page whose messages are untrusted input.
//
// Hand-written checks rather than a schema library: the webview's CSP forbids eval and new Function,
// which schema compilers (ajv) use.

import type { XGraphNode, XGraphResult } from '../../../server/src/protocol';

export type XGraphEdge = XGraphResult['edges'][number];
export type XGraphGroup = XGraphResult['groups'][number];

/** Host -> webview. */
export type ToWebview =
  /**
   * A graph to show. `file` is the assembly's file name (title, exported SVG's name); `uri` the document
   * it belongs to, which the webview keeps in its state so that the panel can be restored after a reload.
   */
  | { readonly type: 'graph'; readonly graph: XGraphResult; readonly file: string; readonly uri: string }
  /** Emphasize the nodes of the layer under the assembly editor's cursor (empty: none). */
  | { readonly type: 'highlight'; readonly ids: readonly string[] }
  /** The graph could not be had (no package, server error). */
  | { readonly type: 'error'; readonly message: string };

/** Webview -> host. */
export type FromWebview =
  | { readonly type: 'ready' }
  /** The user clicked a node: show its instructions in the assembly. */
  | { readonly type: 'reveal'; readonly id: string }
  /** The user asked to export the graph; the host saves the text. */
  | { readonly type: 'exportSvg'; readonly svg: string }
  /** Layout and first render finished (for the status line, tests and benchmarks). */
  | { readonly type: 'rendered'; readonly nodes: number; readonly layoutMs: number; readonly renderMs: number }
  | { readonly type: 'log'; readonly level: 'info' | 'error'; readonly message: string };

/** Caps that keep a malformed or hostile message from costing much. */
export const LIMITS = { nodes: 100_000, edges: 400_000, text: 4096, svgBytes: 64 * 1024 * 1024, shapeRank: 8 } as const;

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown, max: number = LIMITS.text): v is string => typeof v === 'string' && v.length <= max;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const optional = (o: Rec, k: string, check: (v: unknown) => boolean) => o[k] === undefined || check(o[k]);
const keysWithin = (o: Rec, allowed: readonly string[]) => Object.keys(o).every((k) => allowed.includes(k));

/** Why `v` is not a valid XGraph node, or undefined. */
function nodeProblem(v: unknown): string | undefined {
  if (!isRec(v)) return 'not an object';
  if (!isStr(v.id) || v.id === '') return 'id';
  if (!isStr(v.op)) return 'op';
  if (v.device !== 'dpu' && v.device !== 'cpu') return 'device';
  if (!optional(v, 'reason', isStr)) return 'reason';
  if (!Array.isArray(v.shape) || v.shape.length > LIMITS.shapeRank || !v.shape.every(isNum)) return 'shape';
  if (!optional(v, 'group', isStr)) return 'group';
  if (!optional(v, 'cycles', isNum)) return 'cycles';
  if (!optional(v, 'ops', isNum)) return 'ops';
  if (!optional(v, 'asmLine', isInt)) return 'asmLine';
  const o = v.origin;
  if (!isRec(o) || !isStr(o.file) || !isStr(o.name) || !optional(o, 'line', isNum)) return 'origin';
  return undefined;
}

/** Why `v` is not a valid XGraphResult, or undefined. Also checks that edges and groups name real nodes. */
export function graphProblem(v: unknown): string | undefined {
  if (!isRec(v)) return 'graph is not an object';
  if (!isStr(v.name)) return 'graph.name';
  if (!isStr(v.arch)) return 'graph.arch';
  if (!Array.isArray(v.nodes) || v.nodes.length > LIMITS.nodes) return 'graph.nodes';
  if (!Array.isArray(v.edges) || v.edges.length > LIMITS.edges) return 'graph.edges';
  if (!Array.isArray(v.groups) || v.groups.length > LIMITS.nodes) return 'graph.groups';
  const ids = new Set<string>();
  for (let i = 0; i < v.nodes.length; i++) {
    const p = nodeProblem(v.nodes[i]);
    if (p) return `graph.nodes[${i}].${p}`;
    const id = (v.nodes[i] as XGraphNode).id;
    if (ids.has(id)) return `graph.nodes[${i}].id is a duplicate (${id})`;
    ids.add(id);
  }
  for (let i = 0; i < v.edges.length; i++) {
    const e = v.edges[i] as Rec;
    if (!isRec(e) || !isStr(e.from) || !isStr(e.to) || !isStr(e.tensor)) return `graph.edges[${i}]`;
    if (!ids.has(e.from) || !ids.has(e.to)) return `graph.edges[${i}] names a node the graph does not have`;
  }
  const groupIds = new Set<string>();
  for (let i = 0; i < v.groups.length; i++) {
    const g = v.groups[i] as Rec;
    if (!isRec(g) || !isStr(g.id) || !isStr(g.template) || !Array.isArray(g.nodes) || !g.nodes.every((n) => isStr(n) && ids.has(n))) return `graph.groups[${i}]`;
    if (groupIds.has(g.id)) return `graph.groups[${i}].id is a duplicate`;
    groupIds.add(g.id);
  }
  return undefined;
}

/** The message, if it is a valid host -> webview message; otherwise undefined and `why` says what is wrong. */
export function parseToWebview(v: unknown, why: (problem: string) => void = () => undefined): ToWebview | undefined {
  const bad = (p: string) => (why(p), undefined);
  if (!isRec(v) || !isStr(v.type)) return bad('not a message object with a type');
  switch (v.type) {
    case 'graph': {
      if (!keysWithin(v, ['type', 'graph', 'file', 'uri'])) return bad('graph: unexpected fields');
      if (!isStr(v.file)) return bad('graph: file');
      if (!isStr(v.uri)) return bad('graph: uri');
      const p = graphProblem(v.graph);
      return p ? bad(`graph: ${p}`) : (v as ToWebview);
    }
    case 'highlight':
      if (!keysWithin(v, ['type', 'ids']) || !Array.isArray(v.ids) || v.ids.length > LIMITS.nodes || !v.ids.every((x) => isStr(x))) return bad('highlight: ids');
      return v as ToWebview;
    case 'error':
      if (!keysWithin(v, ['type', 'message']) || !isStr(v.message, 64 * 1024)) return bad('error: message');
      return v as ToWebview;
    default:
      return bad(`unknown type ${JSON.stringify(String(v.type).slice(0, 40))}`);
  }
}

/** The message, if it is a valid webview -> host message; otherwise undefined and `why` says what is wrong. */
export function parseFromWebview(v: unknown, why: (problem: string) => void = () => undefined): FromWebview | undefined {
  const bad = (p: string) => (why(p), undefined);
  if (!isRec(v) || !isStr(v.type)) return bad('not a message object with a type');
  switch (v.type) {
    case 'ready':
      return keysWithin(v, ['type']) ? (v as FromWebview) : bad('ready: unexpected fields');
    case 'reveal':
      return keysWithin(v, ['type', 'id']) && isStr(v.id) && v.id !== '' ? (v as FromWebview) : bad('reveal: id');
    case 'exportSvg':
      return keysWithin(v, ['type', 'svg']) && isStr(v.svg, LIMITS.svgBytes) && /^<svg[\s>]/.test(v.svg) ? (v as FromWebview) : bad('exportSvg: svg');
    case 'rendered':
      return keysWithin(v, ['type', 'nodes', 'layoutMs', 'renderMs']) && isInt(v.nodes) && isNum(v.layoutMs) && isNum(v.renderMs) ? (v as FromWebview) : bad('rendered: fields');
    case 'log':
      return keysWithin(v, ['type', 'level', 'message']) && (v.level === 'info' || v.level === 'error') && isStr(v.message) ? (v as FromWebview) : bad('log: fields');
    default:
      return bad(`unknown type ${JSON.stringify(String(v.type).slice(0, 40))}`);
  }
}

/** The webview's saved state (vscode.setState): what the panel shows, to restore it after a reload. */
export interface WebviewState {
  readonly uri: string;
}

export function parseWebviewState(v: unknown): WebviewState | undefined {
  return isRec(v) && isStr(v.uri) && /^[a-z][a-z0-9+.-]*:/i.test(v.uri) ? { uri: v.uri } : undefined;
}

export type { XGraphNode, XGraphResult };
