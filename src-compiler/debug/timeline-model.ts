// The timeline's data and geometry, shared by the extension (which builds and checks messages) and the
// webview (which draws): no Node and no DOM dependency, so both bundles and the tests can use it.
//
// Lanes: one per engine per core (LOAD, SAVE, CONV, MISC of core 0, then core 1, ...), under a band of
// layers. Bars are instructions from start to end; before a bar, the cycles it waited for a token
// (coloured by the engine that gave the last one); at its end, the cycles DDR contention added.

export const TIMELINE_VERSION = 1;

export interface TimelineData {
  readonly version: number;
  readonly file: string;
  readonly arch: string;
  readonly cores: number;
  readonly cycles: number;
  readonly frequencyHz: number;
  readonly engines: readonly string[];
  /** Per instruction: 1-based source line (0 if unknown) and mnemonic index into `mnemonics`. */
  readonly lines: readonly number[];
  readonly ops: readonly number[];
  readonly mnemonics: readonly string[];
  /** Bars, sorted by lane then start. Lane = core x engines + engine. */
  readonly bars: {
    readonly lane: readonly number[];
    readonly instr: readonly number[];
    readonly start: readonly number[];
    readonly end: readonly number[];
    /** Token stall cycles before the start, and the engine whose token came last (-1: none). */
    readonly wait: readonly number[];
    readonly from: readonly number[];
    /** DDR contention cycles (the last part of the bar). */
    readonly ddr: readonly number[];
  };
  /** Layers: incremental spans on core 0 (they do not overlap), with their marker line. */
  readonly layers: readonly { readonly name: string; readonly start: number; readonly end: number; readonly line: number }[];
  readonly cursor: Cursor;
}

export interface Cursor {
  readonly cycle: number;
  readonly position: number;
  readonly events: number;
}

/** A view: cycles [x0, x1) over `width` pixels. */
export interface View {
  readonly x0: number;
  readonly x1: number;
  readonly width: number;
}

export const LANE_HEIGHT = 18;
export const LAYER_BAND = 22;
export const AXIS = 20;
export const LABEL_WIDTH = 92;

export function laneCount(d: TimelineData): number {
  return d.cores * d.engines.length;
}

export function laneTop(lane: number): number {
  return AXIS + LAYER_BAND + lane * LANE_HEIGHT;
}

export function cycleToX(v: View, cycle: number): number {
  return LABEL_WIDTH + ((cycle - v.x0) / (v.x1 - v.x0)) * (v.width - LABEL_WIDTH);
}

export function xToCycle(v: View, x: number): number {
  return v.x0 + ((x - LABEL_WIDTH) / (v.width - LABEL_WIDTH)) * (v.x1 - v.x0);
}

/** Per lane, the bars' index range [from, to) (bars are sorted by lane then start). */
export function laneRanges(d: TimelineData): Int32Array {
  const n = laneCount(d);
  const out = new Int32Array(2 * n);
  const lane = d.bars.lane;
  let k = 0;
  for (let l = 0; l < n; l++) {
    out[2 * l] = k;
    while (k < lane.length && lane[k] === l) k++;
    out[2 * l + 1] = k;
  }
  return out;
}

/** The first bar of [from, to) whose end is after `cycle` (bars of a lane do not overlap, so ends grow too). */
export function firstVisible(d: TimelineData, from: number, to: number, cycle: number): number {
  const end = d.bars.end;
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (end[mid]! <= cycle) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The bar under pixel (x, y), or -1. Bars narrower than a pixel are hit within 2 pixels. */
export function hitTest(d: TimelineData, ranges: Int32Array, v: View, x: number, y: number): number {
  if (x < LABEL_WIDTH) return -1;
  const lane = Math.floor((y - laneTop(0)) / LANE_HEIGHT);
  if (lane < 0 || lane >= laneCount(d)) return -1;
  const c = xToCycle(v, x);
  const slack = (2 * (v.x1 - v.x0)) / Math.max(1, v.width - LABEL_WIDTH);
  const from = ranges[2 * lane]!;
  const to = ranges[2 * lane + 1]!;
  let best = -1;
  let bestD = Infinity;
  for (let k = firstVisible(d, from, to, c - slack); k < to && d.bars.start[k]! <= c + slack; k++) {
    const s = d.bars.start[k]!;
    const e = d.bars.end[k]!;
    const dist = c < s ? s - c : c > e ? c - e : 0;
    if (dist < bestD) {
      bestD = dist;
      best = k;
    }
  }
  return bestD <= slack ? best : -1;
}

/** Zoom around cycle `at` by `factor` (< 1 zooms in), clamped to the run. */
export function zoom(v: View, at: number, factor: number, cycles: number): View {
  const span = Math.min(Math.max((v.x1 - v.x0) * factor, 4), Math.max(cycles, 4) * 1.05);
  const t = (at - v.x0) / (v.x1 - v.x0);
  let x0 = at - t * span;
  x0 = Math.max(-0.02 * cycles, Math.min(x0, cycles * 1.02 - span));
  return { x0, x1: x0 + span, width: v.width };
}

// ---- Messages ---------------------------------------------------------------------------------------

/** Webview -> extension. */
export type WebviewMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'reveal'; readonly instr: number; readonly core: number }
  | { readonly type: 'gotoInstruction'; readonly instr: number; readonly core: number }
  | { readonly type: 'gotoCycle'; readonly cycle: number }
  | { readonly type: 'exportPerfetto' }
  | { readonly type: 'painted'; readonly ms: number; readonly bars: number };

/** Extension -> webview. */
export type HostMessage = { readonly type: 'data'; readonly data: TimelineData } | { readonly type: 'cursor'; readonly cursor: Cursor } | { readonly type: 'ended' };

const isInt = (x: unknown, lo: number, hi = Number.MAX_SAFE_INTEGER): x is number => typeof x === 'number' && Number.isInteger(x) && x >= lo && x <= hi;
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** A message from the webview, checked (anything else is dropped): the webview is not trusted. */
export function parseWebviewMessage(m: unknown, limits: { instructions: number; cores: number }): WebviewMessage | undefined {
  if (typeof m !== 'object' || m === null) return undefined;
  const o = m as Record<string, unknown>;
  switch (o['type']) {
    case 'ready':
    case 'exportPerfetto':
      return Object.keys(o).length === 1 ? { type: o['type'] } : undefined;
    case 'reveal':
    case 'gotoInstruction':
      return isInt(o['instr'], 0, limits.instructions - 1) && isInt(o['core'], 0, limits.cores - 1) && Object.keys(o).length === 3 ? { type: o['type'], instr: o['instr'], core: o['core'] } : undefined;
    case 'gotoCycle':
      return isNum(o['cycle']) && o['cycle'] >= 0 && Object.keys(o).length === 2 ? { type: 'gotoCycle', cycle: o['cycle'] } : undefined;
    case 'painted':
      return isNum(o['ms']) && isInt(o['bars'], 0) ? { type: 'painted', ms: o['ms'], bars: o['bars'] } : undefined;
    default:
      return undefined;
  }
}

function isNumArray(x: unknown, n?: number): x is number[] {
  return Array.isArray(x) && (n === undefined || x.length === n) && x.every((v) => typeof v === 'number' && Number.isFinite(v));
}

/** A message from the extension, checked by the webview before drawing. */
export function parseHostMessage(m: unknown): HostMessage | undefined {
  if (typeof m !== 'object' || m === null) return undefined;
  const o = m as Record<string, unknown>;
  if (o['type'] === 'ended') return { type: 'ended' };
  if (o['type'] === 'cursor') return isCursor(o['cursor']) ? { type: 'cursor', cursor: o['cursor'] } : undefined;
  if (o['type'] !== 'data') return undefined;
  const d = o['data'] as Record<string, unknown> | undefined;
  if (!d || d['version'] !== TIMELINE_VERSION) return undefined;
  if (!isInt(d['cores'], 1, 64) || !isNum(d['cycles']) || !Array.isArray(d['engines']) || !(d['engines'] as unknown[]).every((e) => typeof e === 'string')) return undefined;
  const b = d['bars'] as Record<string, unknown> | undefined;
  if (!b || !isNumArray(b['lane'])) return undefined;
  const n = (b['lane'] as number[]).length;
  for (const k of ['instr', 'start', 'end', 'wait', 'from', 'ddr']) if (!isNumArray(b[k], n)) return undefined;
  if (!isNumArray(d['lines']) || !isNumArray(d['ops']) || !Array.isArray(d['mnemonics'])) return undefined;
  if (!Array.isArray(d['layers']) || !(d['layers'] as unknown[]).every((l) => typeof l === 'object' && l !== null && typeof (l as { name: unknown }).name === 'string' && isNum((l as { start: unknown }).start) && isNum((l as { end: unknown }).end)))
    return undefined;
  if (!isCursor(d['cursor'])) return undefined;
  return { type: 'data', data: d as unknown as TimelineData };
}

function isCursor(c: unknown): c is Cursor {
  if (typeof c !== 'object' || c === null) return false;
  const o = c as Record<string, unknown>;
  return isNum(o['cycle']) && isInt(o['position'], 0) && isInt(o['events'], 0);
}
