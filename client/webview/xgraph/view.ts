// The XGraph view in the webview: an SVG whose elements exist only for what is on screen (a grid index
// finds the items in the visible rectangle; panning and zooming change one transform and, once per
// animation frame, mount what came into view and unmount what left), heat-map colours, search, hover
// details, selection and highlight, export as a standalone SVG.
//
// Every text from the graph (node names come from model files: untrusted) is set with textContent or
// escaped for XML; nothing is ever parsed as HTML.

import type { XGraphNode, XGraphResult } from '../../src/xgraph/messages';
import { heatColor, heatTextColor, latencyScale } from '../../../src-compiler/xgraph/heatmap';
import { clip, nodeSubtitle, GROUP_LABEL_H, type LaidEdge, type LaidGroup, type LaidNode, type Layout, type Rect } from '../../../src-compiler/xgraph/layout';
import { xgraphSvg } from '../../../src-compiler/xgraph/svg';

const SVG_NS = 'http://www.w3.org/2000/svg';
/** Below this zoom, node boxes are drawn without their labels (they would be unreadable anyway). */
const LABEL_ZOOM = 0.35;
const MIN_ZOOM = 0.02;
const MAX_ZOOM = 4;
const CELL = 512;

type ItemKind = 'node' | 'group' | 'edge';
interface Item {
  readonly kind: ItemKind;
  readonly key: number;
  readonly box: Rect;
}

/** A uniform grid over the layout: which items touch which cells. */
class GridIndex {
  private readonly cells = new Map<number, Item[]>();
  add(item: Item): void {
    const { x0, y0, x1, y1 } = this.span(item.box);
    for (let cy = y0; cy <= y1; cy++) for (let cx = x0; cx <= x1; cx++) {
      const k = cy * 65536 + cx;
      const list = this.cells.get(k);
      if (list) list.push(item);
      else this.cells.set(k, [item]);
    }
  }
  query(r: Rect, out: Set<Item>): void {
    const { x0, y0, x1, y1 } = this.span(r);
    for (let cy = y0; cy <= y1; cy++) for (let cx = x0; cx <= x1; cx++) {
      for (const it of this.cells.get(cy * 65536 + cx) ?? []) if (intersects(it.box, r)) out.add(it);
    }
  }
  private span(r: Rect) {
    const c = (v: number) => Math.max(0, Math.min(65535, Math.floor(v / CELL)));
    return { x0: c(r.x), y0: c(r.y), x1: c(r.x + r.w), y1: c(r.y + r.h) };
  }
}

const intersects = (a: Rect, b: Rect) => a.x <= b.x + b.w && b.x <= a.x + a.w && a.y <= b.y + b.h && b.y <= a.y + a.h;

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en');
}

function si(n: number, unit: string): string {
  const p = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']] as const;
  for (const [v, s] of p) if (Math.abs(n) >= v) return `${(n / v).toFixed(n / v >= 100 ? 0 : 2)} ${s}${unit}`;
  return `${n} ${unit}`;
}

export interface ViewCallbacks {
  reveal(id: string): void;
}

/** Timings of the view's work, read by the benchmark. */
export interface ViewStats {
  /** Milliseconds spent in each animation frame that applied a pan or zoom (transform and culling). */
  readonly frames: number[];
  mounted: number;
}

export class GraphView {
  private graph: XGraphResult | undefined;
  private layout: Layout | undefined;
  private index = new GridIndex();
  private readonly mounted = new Map<Item, SVGGElement | SVGPolylineElement>();
  private items: Item[] = [];
  private k = 1;
  private tx = 0;
  private ty = 0;
  private scheduled = false;
  private labels = true;
  private highlighted = new Set<string>();
  private selected: string | undefined;
  private matches: string[] = [];
  private matchAt = -1;
  private scale = latencyScale([]);
  private totalCycles = 0;
  readonly stats: ViewStats = { frames: [], mounted: 0 };

  private readonly viewport: SVGGElement;
  private readonly layers: Record<ItemKind, SVGGElement>;

  constructor(
    private readonly svg: SVGSVGElement,
    private readonly tooltip: HTMLElement,
    private readonly cb: ViewCallbacks,
  ) {
    const defs = el('defs');
    const marker = el('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
    marker.append(el('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrowhead' }));
    defs.append(marker);
    this.viewport = el('g', { id: 'viewport' });
    this.layers = { group: el('g', { class: 'groups' }), edge: el('g', { class: 'edges' }), node: el('g', { class: 'nodes' }) };
    this.viewport.append(this.layers.group, this.layers.edge, this.layers.node);
    svg.append(defs, this.viewport);
    this.bindInput();
  }

  get nodeCount(): number {
    return this.graph?.nodes.length ?? 0;
  }

  get latency() {
    return this.scale;
  }

  /** Show a laid-out graph; keeps the current view when `keepView` and the layout is the same. */
  show(graph: XGraphResult, layout: Layout, keepView: boolean): void {
    this.graph = graph;
    this.layout = layout;
    this.scale = latencyScale(graph.nodes);
    // A fused group's nodes share their layer's cycles: count each layer (assembly line) once.
    const layers = new Map<number, number>();
    for (const n of graph.nodes) if (n.asmLine !== undefined && n.cycles !== undefined) layers.set(n.asmLine, n.cycles);
    this.totalCycles = [...layers.values()].reduce((a, b) => a + b, 0);
    for (const e of this.mounted.values()) e.remove();
    this.mounted.clear();
    this.index = new GridIndex();
    this.items = [
      ...layout.groups.map((g, key) => ({ kind: 'group' as const, key, box: g })),
      ...layout.edges.map((e, key) => ({ kind: 'edge' as const, key, box: { x: e.box.x - 4, y: e.box.y - 4, w: e.box.w + 8, h: e.box.h + 8 } })),
      ...layout.nodes.map((n, key) => ({ kind: 'node' as const, key, box: n })),
    ];
    for (const it of this.items) this.index.add(it);
    this.svg.dataset.nodes = String(graph.nodes.length);
    this.svg.dataset.edges = String(graph.edges.length);
    this.svg.dataset.groups = String(layout.groups.length);
    this.svg.setAttribute('aria-label', `XGraph of ${graph.name}: ${graph.nodes.length} nodes, ${layout.groups.length} fusion groups`);
    if (this.matches.length) this.search(this.lastQuery);
    if (!keepView) this.initialView();
    this.update(true);
  }

  /** The first view: the whole graph if it is readable that way, else its top at the width of the window. */
  private initialView(): void {
    const l = this.layout!;
    const { width: W, height: H } = this.svg.getBoundingClientRect();
    const pad = 16;
    const whole = Math.min(1, (W - 2 * pad) / Math.max(1, l.width), (H - 2 * pad) / Math.max(1, l.height));
    if (whole >= 0.3) {
      this.k = whole;
      this.tx = (W - l.width * whole) / 2;
      this.ty = (H - l.height * whole) / 2;
    } else {
      this.k = Math.max(0.3, Math.min(1, (W - 2 * pad) / Math.max(1, l.width)));
      this.tx = (W - l.width * this.k) / 2;
      this.ty = pad;
    }
  }

  fit(): void {
    if (!this.layout) return;
    const { width: W, height: H } = this.svg.getBoundingClientRect();
    const l = this.layout;
    this.k = Math.max(MIN_ZOOM, Math.min(1, (W - 32) / Math.max(1, l.width), (H - 32) / Math.max(1, l.height)));
    this.tx = (W - l.width * this.k) / 2;
    this.ty = (H - l.height * this.k) / 2;
    this.requestUpdate();
  }

  zoomBy(f: number, cx?: number, cy?: number): void {
    const r = this.svg.getBoundingClientRect();
    const x = cx ?? r.width / 2;
    const y = cy ?? r.height / 2;
    const k = Math.max(MIN_ZOOM, Math.min(MAX_ZOOM, this.k * f));
    // Keep the graph point under (x, y) where it is.
    this.tx = x - ((x - this.tx) * k) / this.k;
    this.ty = y - ((y - this.ty) * k) / this.k;
    this.k = k;
    this.requestUpdate();
  }

  panBy(dx: number, dy: number): void {
    this.tx += dx;
    this.ty += dy;
    this.requestUpdate();
  }

  /** Centre the view on a node (zooming in to a readable scale if needed). */
  centerOn(id: string, minZoom = 0.8): void {
    const n = this.layout?.nodes.find((x) => x.node.id === id);
    if (!n) return;
    const r = this.svg.getBoundingClientRect();
    this.k = Math.max(this.k, minZoom);
    this.tx = r.width / 2 - (n.x + n.w / 2) * this.k;
    this.ty = r.height / 2 - (n.y + n.h / 2) * this.k;
    this.requestUpdate();
  }

  /** The visible rectangle in graph coordinates, grown by `margin` viewports on each side. */
  private visibleRect(margin = 1): Rect {
    const r = this.svg.getBoundingClientRect();
    const w = r.width / this.k;
    const h = r.height / this.k;
    return { x: -this.tx / this.k - w * margin, y: -this.ty / this.k - h * margin, w: w * (1 + 2 * margin), h: h * (1 + 2 * margin) };
  }

  private isVisible(id: string): boolean {
    const n = this.layout?.nodes.find((x) => x.node.id === id);
    return !!n && intersects(n, this.visibleRect(0));
  }

  requestUpdate(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      this.update(false);
    });
  }

  /** Apply the transform and mount exactly the items in (a margin around) the visible rectangle. */
  private update(remountAll: boolean): void {
    const t0 = performance.now();
    this.viewport.setAttribute('transform', `translate(${this.tx.toFixed(2)},${this.ty.toFixed(2)}) scale(${this.k.toFixed(5)})`);
    const labels = this.k >= LABEL_ZOOM;
    if (labels !== this.labels || remountAll) {
      this.labels = labels;
      for (const e of this.mounted.values()) e.remove();
      this.mounted.clear();
    }
    const want = new Set<Item>();
    this.index.query(this.visibleRect(), want);
    for (const [it, e] of this.mounted) {
      if (!want.has(it)) {
        e.remove();
        this.mounted.delete(it);
      }
    }
    for (const it of want) if (!this.mounted.has(it)) this.mount(it);
    this.stats.mounted = this.mounted.size;
    if (!remountAll) this.stats.frames.push(performance.now() - t0);
  }

  private mount(it: Item): void {
    const l = this.layout!;
    let e: SVGGElement | SVGPolylineElement;
    if (it.kind === 'node') e = this.nodeElement(l.nodes[it.key]!);
    else if (it.kind === 'group') e = this.groupElement(l.groups[it.key]!);
    else e = this.edgeElement(l.edges[it.key]!);
    this.layers[it.kind].append(e);
    this.mounted.set(it, e);
  }

  private nodeElement(n: LaidNode): SVGGElement {
    const g = el('g', { class: this.nodeClass(n.node.id, n.node), transform: `translate(${n.x},${n.y})`, 'data-id': n.node.id, role: 'button', 'aria-label': `${n.node.id} (${n.node.op})` });
    const t = this.scale.at(n.node.cycles);
    const cpu = n.node.device === 'cpu';
    const fill = cpu || t === undefined ? undefined : heatColor(t);
    g.append(el('rect', { class: 'box', width: n.w, height: n.h, rx: 4, ry: 4, ...(fill ? { fill } : {}) }));
    if (this.labels) {
      const color: Record<string, string> = fill ? { fill: heatTextColor(t!) } : {};
      g.append(el('text', { class: 'name', x: 8, y: 16, ...color }, clip(n.node.id)));
      g.append(el('text', { class: 'sub', x: 8, y: 32, ...color }, clip(nodeSubtitle(n.node))));
    }
    return g;
  }

  private nodeClass(id: string, n: XGraphNode): string {
    const c = ['node'];
    if (n.device === 'cpu') c.push('cpu');
    else if (n.cycles === undefined) c.push('untimed');
    if (this.highlighted.has(id)) c.push('current');
    if (this.selected === id) c.push('selected');
    if (this.matches.length) c.push(this.matchSet.has(id) ? 'match' : 'dim');
    return c.join(' ');
  }

  private groupElement(gr: LaidGroup): SVGGElement {
    const g = el('g', { class: 'group', 'data-group': gr.id });
    g.append(el('rect', { class: 'group-box', x: gr.x, y: gr.y, width: gr.w, height: gr.h, rx: 6, ry: 6 }));
    if (this.labels) g.append(el('text', { class: 'group-label', x: gr.x + 8, y: gr.y + GROUP_LABEL_H - 4 }, clip(`${gr.template} · ${gr.id}`, Math.max(4, Math.floor((gr.w - 12) / 6.5)))));
    return g;
  }

  private edgeElement(e: LaidEdge): SVGPolylineElement {
    const pts: string[] = [];
    for (let i = 0; i < e.points.length; i += 2) pts.push(`${e.points[i]!.toFixed(1)},${e.points[i + 1]!.toFixed(1)}`);
    return el('polyline', { class: 'edge', points: pts.join(' '), 'marker-end': 'url(#arrow)' });
  }

  /** Re-apply node classes to what is mounted (after a highlight, selection or search change). */
  private restyle(): void {
    const byId = new Map(this.graph?.nodes.map((n) => [n.id, n]) ?? []);
    for (const [it, e] of this.mounted) {
      if (it.kind !== 'node') continue;
      const id = e.getAttribute('data-id')!;
      e.setAttribute('class', this.nodeClass(id, byId.get(id)!));
    }
  }

  highlight(ids: readonly string[]): void {
    this.highlighted = new Set(ids);
    this.restyle();
    const first = ids.find((id) => this.layout?.nodes.some((n) => n.node.id === id));
    if (first && !this.isVisible(first)) this.centerOn(first, this.k);
  }

  private lastQuery = '';
  private matchSet = new Set<string>();

  /** Mark the nodes whose name or operator contains `q`; returns how many. */
  search(q: string): number {
    this.lastQuery = q;
    const s = q.trim().toLowerCase();
    this.matches = s ? (this.graph?.nodes ?? []).filter((n) => n.id.toLowerCase().includes(s) || n.op.toLowerCase().includes(s)).map((n) => n.id) : [];
    this.matchSet = new Set(this.matches);
    this.matchAt = -1;
    this.svg.classList.toggle('searching', s !== '');
    this.restyle();
    return this.matches.length;
  }

  /** Centre on the next (or previous) match; returns its position (1-based) or 0. */
  nextMatch(step = 1): number {
    if (!this.matches.length) return 0;
    this.matchAt = (this.matchAt + step + this.matches.length) % this.matches.length;
    this.centerOn(this.matches[this.matchAt]!);
    return this.matchAt + 1;
  }

  private nodeAt(target: EventTarget | null): XGraphNode | undefined {
    const g = (target as Element | null)?.closest?.('g.node');
    const id = g?.getAttribute('data-id');
    return id ? this.graph?.nodes.find((n) => n.id === id) : undefined;
  }

  private showTooltip(n: XGraphNode, x: number, y: number): void {
    const tip = this.tooltip;
    tip.replaceChildren();
    const row = (label: string, value: string) => {
      const d = document.createElement('div');
      const b = document.createElement('span');
      b.className = 'k';
      b.textContent = label;
      const v = document.createElement('span');
      v.textContent = value;
      d.append(b, v);
      tip.append(d);
    };
    const title = document.createElement('div');
    title.className = 'title';
    title.textContent = n.id;
    tip.append(title);
    row('op', n.op);
    row('device', n.device === 'cpu' ? `CPU${n.reason ? ` (${n.reason})` : ''}` : 'DPU');
    if (n.shape.length) row('output', n.shape.join(' × '));
    const group = this.graph?.groups.find((g) => g.nodes.includes(n.id));
    if (group) row('fusion group', `${group.id} (${group.template}, ${group.nodes.length} nodes)`);
    if (n.cycles !== undefined) {
      const total = this.totalCycles;
      row('latency', `${fmt(n.cycles)} cycles${total > 0 ? ` (${((100 * n.cycles) / total).toFixed(1)}% of the program)` : ''}${group ? ', whole group' : ''}`);
    }
    if (n.ops !== undefined) row('work', si(n.ops, 'OP'));
    if (n.asmLine !== undefined) row('assembly', `line ${n.asmLine + 1} (click to reveal)`);
    row('source', `${n.origin.name} in ${n.origin.file.split(/[\\/]/).pop()}${n.origin.line ? `:${n.origin.line}` : ''}`);
    tip.hidden = false;
    const host = tip.parentElement!.getBoundingClientRect();
    const w = tip.offsetWidth;
    const h = tip.offsetHeight;
    tip.style.left = `${Math.min(x + 14, host.width - w - 4)}px`;
    tip.style.top = `${y + 14 + h > host.height ? Math.max(4, y - h - 8) : y + 14}px`;
  }

  private bindInput(): void {
    const svg = this.svg;
    // The node under the pointer is taken at pointerdown: with the pointer captured, later events target the svg.
    let drag: { x: number; y: number; moved: boolean; node: XGraphNode | undefined } | undefined;
    svg.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      drag = { x: e.clientX, y: e.clientY, moved: false, node: this.nodeAt(e.target) };
      svg.setPointerCapture(e.pointerId);
    });
    svg.addEventListener('pointermove', (e) => {
      if (drag) {
        const dx = e.clientX - drag.x;
        const dy = e.clientY - drag.y;
        if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
        if (drag.moved) {
          this.tooltip.hidden = true;
          drag.x = e.clientX;
          drag.y = e.clientY;
          this.panBy(dx, dy);
        }
        return;
      }
      const n = this.nodeAt(e.target);
      const r = svg.getBoundingClientRect();
      if (n) this.showTooltip(n, e.clientX - r.left, e.clientY - r.top);
      else this.tooltip.hidden = true;
    });
    svg.addEventListener('pointerup', () => {
      const d = drag;
      drag = undefined;
      if (!d || d.moved) return;
      const n = d.node;
      if (!n) return;
      this.selected = n.id;
      this.restyle();
      this.cb.reveal(n.id);
    });
    svg.addEventListener('pointerleave', () => (this.tooltip.hidden = true));
    svg.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        const r = svg.getBoundingClientRect();
        if (e.ctrlKey || e.metaKey || !e.shiftKey) this.zoomBy(Math.exp(-e.deltaY * 0.0015), e.clientX - r.left, e.clientY - r.top);
        else this.panBy(-e.deltaX, -e.deltaY);
      },
      { passive: false },
    );
    svg.addEventListener('keydown', (e) => {
      const step = 60;
      const keys: Record<string, () => void> = {
        ArrowLeft: () => this.panBy(step, 0),
        ArrowRight: () => this.panBy(-step, 0),
        ArrowUp: () => this.panBy(0, step),
        ArrowDown: () => this.panBy(0, -step),
        '+': () => this.zoomBy(1.25),
        '=': () => this.zoomBy(1.25),
        '-': () => this.zoomBy(0.8),
        '0': () => this.fit(),
      };
      const f = keys[e.key];
      if (f) {
        e.preventDefault();
        f();
      }
    });
    new ResizeObserver(() => this.requestUpdate()).observe(svg);
  }

  /** The whole graph as a standalone SVG document (the one `dnnvm xgraph` writes), in the current theme's colours. */
  exportSvg(): string {
    const l = this.layout;
    const g = this.graph;
    if (!l || !g) return '<svg xmlns="http://www.w3.org/2000/svg"/>';
    const css = getComputedStyle(document.body);
    const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
    return xgraphSvg(g, l, {
      colors: {
        background: v('--vscode-editor-background', '#ffffff'),
        foreground: v('--vscode-editor-foreground', '#1e1e1e'),
        border: v('--vscode-panel-border', '#888888'),
        muted: v('--vscode-descriptionForeground', '#717171'),
        untimed: v('--vscode-editorWidget-background', '#f0f0f0'),
      },
    });
  }
}
