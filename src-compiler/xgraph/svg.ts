// The XGraph as a standalone SVG document: a title (model, target, latency), the heat-map legend,
// fusion groups as boxes around their members, edges, and one box per node coloured by its simulated
// latency (CPU nodes hatched). Text in, text out: `dnnvm xgraph` writes it to a file, the webview's
// Export button hands it to the extension in the editor theme's colours.
//
// Every text from the graph (node names come from model files: untrusted) goes through xmlEscape.
// Node and group boxes carry class and data-* attributes so that tests and scripts can find them;
// only node boxes sit inside a <g> (the legend and the group boxes are direct children of the <svg>).

import { heatColor, heatGradientStops, heatLegend, heatTextColor, latencyScale } from './heatmap';
import { clip, GROUP_LABEL_H, NODE_H, nodeSubtitle, type Layout } from './layout';
import type { XGraphResult } from './view-model';

export function xmlEscape(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface SvgColors {
  readonly background: string;
  readonly foreground: string;
  /** Node outlines and group boxes. */
  readonly border: string;
  /** Edges, group labels, the legend's words. */
  readonly muted: string;
  /** Fill of nodes without timing (DPU nodes of a program that was not simulated). */
  readonly untimed: string;
  /** Hatching of CPU nodes. */
  readonly cpuHatch: string;
}

/** A light page: what a file opened in a browser gets. */
export const LIGHT_COLORS: SvgColors = { background: '#ffffff', foreground: '#1e1e1e', border: '#888888', muted: '#6b6b6b', untimed: '#f0f0f0', cpuHatch: '#c8c8c8' };

export interface XGraphSvgOptions {
  readonly colors?: Partial<SvgColors>;
  /**
   * The program's latency per image as the title states it (e.g. "50,641 cycles = 153 µs per image, steady
   * state"): the simulator's total, formatted by the caller, which knows the mode it simulated in. The node
   * latencies are their layers' spans, which overlap, so they do not add up to it.
   */
  readonly latency?: string;
}

const PAD = 16;
/** Height of the title, the latency line and the legend above the graph. */
const HEADER_H = 84;
const LEGEND_BAR_W = 160;
/** Approximate advance of a character of 11-12 px sans-serif, to place the legend's parts one after another. */
const CHAR_W = 6.4;

const int = (x: number) => Math.round(x).toLocaleString('en');
const num = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(1));

/** The whole graph, laid out by layoutGraph, as one SVG document. */
export function xgraphSvg(g: XGraphResult, l: Layout, options: XGraphSvgOptions = {}): string {
  const c: SvgColors = { ...LIGHT_COLORS, ...options.colors };
  const e = xmlEscape;
  const scale = latencyScale(g.nodes);
  const legend = heatLegend(scale);
  const title = `XGraph of ${g.name} on ${g.arch}`;
  const lat = options.latency;
  // Without a total (the webview's export), the line says only what is sure: that nothing was simulated.
  const latencyLine = lat !== undefined ? `latency: ${lat}` : scale.max > 0 ? '' : 'latency: not simulated';
  const counts = `${g.nodes.length} nodes, ${g.edges.length} edges, ${g.groups.length} fusion groups`;

  // The legend, left to right: its title, the bar between the fastest and the slowest layer, the swatches.
  const legendY = 58;
  const parts: string[] = [];
  let x = 0;
  parts.push(`<text class="legend-title" x="${x}" y="${legendY + 10}" font-size="11" fill="${e(c.muted)}">${e(legend.title)}</text>`);
  x += legend.title.length * CHAR_W + 10;
  if (legend.min !== undefined && legend.max !== undefined) {
    parts.push(`<text class="legend-min" x="${num(x)}" y="${legendY + 10}" font-size="11" fill="${e(c.foreground)}">${e(legend.min)}</text>`);
    x += legend.min.length * CHAR_W + 6;
    parts.push(`<rect class="legend-bar" x="${num(x)}" y="${legendY}" width="${LEGEND_BAR_W}" height="12" fill="url(#heat)" stroke="${e(c.border)}" stroke-width="0.5"/>`);
    x += LEGEND_BAR_W + 6;
    parts.push(`<text class="legend-max" x="${num(x)}" y="${legendY + 10}" font-size="11" fill="${e(c.foreground)}">${e(legend.max)}</text>`);
    x += legend.max.length * CHAR_W + 16;
  }
  for (const [label, fill, dash] of [
    [legend.cpu, 'url(#cpu-hatch)', ' stroke-dasharray="3 2"'],
    [legend.untimed, c.untimed, ''],
  ] as const) {
    parts.push(`<rect class="legend-swatch" x="${num(x)}" y="${legendY}" width="12" height="12" fill="${e(fill)}" stroke="${e(c.border)}"${dash}/>`);
    parts.push(`<text x="${num(x + 16)}" y="${legendY + 10}" font-size="11" fill="${e(c.muted)}">${e(label)}</text>`);
    x += 16 + label.length * CHAR_W + 14;
  }
  const headerW = Math.max(x, title.length * 9, latencyLine.length * CHAR_W, counts.length * CHAR_W);

  const width = Math.ceil(Math.max(l.width, headerW) + 2 * PAD);
  const height = Math.ceil(l.height + HEADER_H + 2 * PAD);
  const oy = HEADER_H; // the graph starts below the header
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="${-PAD} ${-PAD} ${width} ${height}" font-family="sans-serif" data-nodes="${g.nodes.length}" data-edges="${g.edges.length}" data-groups="${g.groups.length}">`,
    `<title>${e(latencyLine ? `${title}: ${latencyLine}` : title)}</title>`,
    '<defs>',
    `<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="${e(c.muted)}"/></marker>`,
    `<linearGradient id="heat">${heatGradientStops()
      .map((s) => `<stop offset="${num(s.offset * 100)}%" stop-color="${e(s.color)}"/>`)
      .join('')}</linearGradient>`,
    `<pattern id="cpu-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="${e(c.background)}"/><line x1="0" y1="0" x2="0" y2="6" stroke="${e(c.cpuHatch)}" stroke-width="3"/></pattern>`,
    '</defs>',
    `<rect x="${-PAD}" y="${-PAD}" width="${width}" height="${height}" fill="${e(c.background)}"/>`,
    `<text class="title" x="0" y="14" font-size="16" font-weight="600" fill="${e(c.foreground)}">${e(title)}</text>`,
    ...(latencyLine ? [`<text class="latency" x="0" y="34" font-size="12" fill="${e(c.foreground)}">${e(latencyLine)}</text>`] : []),
    `<text class="counts" x="0" y="50" font-size="11" fill="${e(c.muted)}">${e(counts)}</text>`,
    ...parts,
  );
  for (const gr of l.groups) {
    out.push(`<rect class="group" data-group="${e(gr.id)}" x="${num(gr.x)}" y="${num(gr.y + oy)}" width="${num(gr.w)}" height="${num(gr.h)}" rx="6" fill="none" stroke="${e(c.border)}" stroke-dasharray="4 3"/>`);
    out.push(`<text class="group-label" x="${num(gr.x + 8)}" y="${num(gr.y + oy + GROUP_LABEL_H - 4)}" font-size="11" fill="${e(c.muted)}">${e(clip(`${gr.template} · ${gr.id}`, Math.max(4, Math.floor((gr.w - 12) / 6.5))))}</text>`);
  }
  for (const ed of l.edges) {
    const pts: string[] = [];
    for (let i = 0; i < ed.points.length; i += 2) pts.push(`${ed.points[i]!.toFixed(1)},${(ed.points[i + 1]! + oy).toFixed(1)}`);
    out.push(`<polyline class="edge" points="${pts.join(' ')}" fill="none" stroke="${e(c.muted)}" marker-end="url(#arrow)"/>`);
  }
  for (const n of l.nodes) {
    const t = scale.at(n.node.cycles);
    const cpu = n.node.device === 'cpu';
    const fill = cpu ? 'url(#cpu-hatch)' : t === undefined ? c.untimed : heatColor(t);
    const text = cpu || t === undefined ? c.foreground : heatTextColor(t);
    const tip = `${n.node.id} (${n.node.op})${cpu ? ` on the CPU${n.node.reason ? `: ${n.node.reason}` : ''}` : ''}${n.node.cycles !== undefined ? `: ${int(n.node.cycles)} cycles` : ''}`;
    out.push(`<g class="node${cpu ? ' cpu' : ''}" data-id="${e(n.node.id)}" transform="translate(${num(n.x)},${num(n.y + oy)})"><title>${e(tip)}</title>`);
    out.push(`<rect width="${num(n.w)}" height="${NODE_H}" rx="4" fill="${e(fill)}" stroke="${e(c.border)}"${cpu ? ' stroke-dasharray="3 2"' : ''}/>`);
    out.push(`<text class="name" x="8" y="16" font-size="12" font-weight="600" fill="${e(text)}">${e(clip(n.node.id))}</text>`);
    out.push(`<text class="sub" x="8" y="32" font-size="11" fill="${e(text)}">${e(clip(nodeSubtitle(n.node)))}</text></g>`);
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
