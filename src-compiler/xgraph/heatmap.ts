// The heat map of the XGraph views: a node's colour from its simulated latency, on a log scale between
// the fastest and the slowest layer, and the legend that explains it. Pure functions: the webview
// (its nodes and its legend) and `dnnvm xgraph` (the SVG) draw from the same scale and the same words.

import type { XGraphNode } from './view-model';

/** Heat-map colour of a latency fraction t in [0, 1]: dark blue (cool) through teal and yellow to red (hot). */
const STOPS: readonly (readonly [number, number, number])[] = [
  [49, 54, 149],
  [69, 117, 180],
  [116, 173, 209],
  [171, 217, 233],
  [254, 224, 144],
  [253, 174, 97],
  [244, 109, 67],
  [215, 48, 39],
  [165, 0, 38],
];

export function heatColor(t: number): string {
  const x = Math.max(0, Math.min(1, Number.isFinite(t) ? t : 0)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [STOPS[i]!, STOPS[i + 1]!];
  const c = a.map((v, k) => Math.round(v + (b[k]! - v) * f));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

/** Black or white text, whichever reads better on the heat colour of t. */
export function heatTextColor(t: number): string {
  const m = /rgb\((\d+), (\d+), (\d+)\)/.exec(heatColor(t))!;
  const lum = 0.2126 * Number(m[1]) + 0.7152 * Number(m[2]) + 0.0722 * Number(m[3]);
  return lum > 140 ? '#111' : '#fff';
}

/**
 * Where a node falls on the latency scale: log-scaled between the smallest and the largest layer, since
 * layer latencies span orders of magnitude. Undefined for a node without simulated cycles.
 */
export function latencyScale(nodes: readonly XGraphNode[]): { min: number; max: number; at(cycles: number | undefined): number | undefined } {
  const cs = nodes.map((n) => n.cycles).filter((c): c is number => c !== undefined && c > 0);
  const min = cs.length ? Math.min(...cs) : 0;
  const max = cs.length ? Math.max(...cs) : 0;
  const lo = Math.log(Math.max(1, min));
  const hi = Math.log(Math.max(1, max));
  return {
    min,
    max,
    at: (c) => (c === undefined || c <= 0 ? undefined : hi > lo ? (Math.log(c) - lo) / (hi - lo) : 1),
  };
}

/** Colour stops of the legend's gradient bar (offset in [0, 1]), sampled from heatColor. */
export function heatGradientStops(count = 9): { offset: number; color: string }[] {
  return Array.from({ length: count }, (_, i) => ({ offset: i / (count - 1), color: heatColor(i / (count - 1)) }));
}

/** What the legend says: the scale's title and its ends, or why there is no scale. */
export interface HeatLegend {
  readonly title: string;
  /** The fastest and the slowest layer, formatted; absent when nothing was simulated. */
  readonly min?: string;
  readonly max?: string;
  /** Labels of the swatches for nodes the scale does not colour. */
  readonly cpu: string;
  readonly untimed: string;
}

export function heatLegend(scale: { readonly min: number; readonly max: number }): HeatLegend {
  const swatches = { cpu: 'CPU', untimed: 'no timing' };
  if (!(scale.max > 0)) return { title: 'No timing: the program has not been simulated', ...swatches };
  const int = (x: number) => Math.round(x).toLocaleString('en');
  return { title: 'Latency, cycles (log)', min: int(scale.min), max: int(scale.max), ...swatches };
}
