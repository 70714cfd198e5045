// The engine timeline webview: lanes per engine per core over cycles, layer bands, token stalls
// coloured by the engine whose token came last, DDR contention in red, the debugger's current cycle as
// a cursor. Wheel zooms around the pointer, drag pans; click an instruction to reveal its line,
// double-click to move the debugger there, click the cycle axis to move it to that cycle.
//
// Runs in the webview (bundled to dist/timeline.js). Every message from the extension is checked
// (parseHostMessage) before use; the page loads nothing remote (the panel's CSP allows only this
// script, by nonce).

import {
  AXIS,
  LABEL_WIDTH,
  LANE_HEIGHT,
  LAYER_BAND,
  cycleToX,
  firstVisible,
  hitTest,
  laneCount,
  laneRanges,
  laneTop,
  parseHostMessage,
  xToCycle,
  zoom,
  type Cursor,
  type TimelineData,
  type View,
  type WebviewMessage,
} from '../../src-compiler/debug/timeline-model';

declare function acquireVsCodeApi(): { postMessage(m: WebviewMessage): void };
const vscode = acquireVsCodeApi();

const ENGINE_COLORS = ['#4e79a7', '#59a14f', '#f28e2b', '#b07aa1'];
const DDR_COLOR = '#e15759';

const canvas = document.getElementById('timeline') as HTMLCanvasElement;
const status = document.getElementById('status') as HTMLElement;
const ctx = canvas.getContext('2d')!;

let data: TimelineData | undefined;
let ranges: Int32Array = new Int32Array(0);
let view: View = { x0: 0, x1: 1, width: 800 };
let cursor: Cursor | undefined;
let selected = -1;
let painted = false;
let ended = false;

function css(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

function resize(): void {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.parentElement!.clientWidth;
  const h = data ? laneTop(laneCount(data)) + 8 : 200;
  canvas.style.width = `${w}px`;
  canvas.style.height = `${h}px`;
  canvas.width = Math.floor(w * dpr);
  canvas.height = Math.floor(h * dpr);
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  view = { ...view, width: w };
}

function fit(): void {
  if (!data) return;
  view = { x0: 0, x1: Math.max(1, data.cycles) * 1.01, width: view.width };
}

function fmt(x: number): string {
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (x >= 1e4) return `${(x / 1e3).toFixed(1)}k`;
  return String(Math.round(x));
}

function draw(): void {
  const d = data;
  const W = view.width;
  const H = canvas.height / (window.devicePixelRatio || 1);
  const fg = css('--vscode-editor-foreground', '#ccc');
  ctx.fillStyle = css('--vscode-editor-background', '#1e1e1e');
  ctx.fillRect(0, 0, W, H);
  if (!d) return;
  ctx.font = '11px sans-serif';
  ctx.textBaseline = 'middle';
  const x = (c: number) => cycleToX(view, c);
  // Axis with about 8 ticks.
  const span = view.x1 - view.x0;
  const step = Math.pow(10, Math.floor(Math.log10(span / 8)));
  const tick = [1, 2, 5, 10].map((m) => m * step).find((s) => span / s <= 10) ?? step * 10;
  ctx.fillStyle = fg;
  ctx.strokeStyle = 'rgba(128,128,128,0.25)';
  for (let t = Math.ceil(Math.max(0, view.x0) / tick) * tick; t <= view.x1; t += tick) {
    const px = x(t);
    if (px < LABEL_WIDTH) continue;
    ctx.fillText(fmt(t), px + 2, AXIS / 2);
    ctx.beginPath();
    ctx.moveTo(px + 0.5, AXIS);
    ctx.lineTo(px + 0.5, H);
    ctx.stroke();
  }
  // Layer bands.
  d.layers.forEach((l, k) => {
    const a = Math.max(LABEL_WIDTH, x(l.start));
    const b = Math.min(W, x(l.end));
    if (b <= a) return;
    ctx.fillStyle = k % 2 ? 'rgba(128,128,128,0.18)' : 'rgba(128,128,128,0.32)';
    ctx.fillRect(a, AXIS, b - a, LAYER_BAND - 2);
    if (b - a > 30) {
      ctx.fillStyle = fg;
      ctx.save();
      ctx.beginPath();
      ctx.rect(a, AXIS, b - a, LAYER_BAND);
      ctx.clip();
      ctx.fillText(l.name, a + 3, AXIS + LAYER_BAND / 2 - 1);
      ctx.restore();
    }
  });
  const E = d.engines.length;
  const bars = d.bars;
  for (let lane = 0; lane < laneCount(d); lane++) {
    const top = laneTop(lane);
    const eng = lane % E;
    ctx.fillStyle = fg;
    ctx.fillText(`${d.cores > 1 ? `c${Math.floor(lane / E)} ` : ''}${d.engines[eng]}`, 4, top + LANE_HEIGHT / 2);
    if (eng === 0 && lane > 0) {
      ctx.fillStyle = 'rgba(128,128,128,0.5)';
      ctx.fillRect(0, top - 1, W, 1);
    }
    const from = ranges[2 * lane]!;
    const to = ranges[2 * lane + 1]!;
    // Bars narrower than a pixel merge: draw a run once it leaves its pixel column.
    let runA = -1;
    let runB = -1;
    const flush = () => {
      if (runA < 0) return;
      ctx.fillStyle = ENGINE_COLORS[eng]!;
      ctx.fillRect(runA, top + 3, Math.max(1, runB - runA), LANE_HEIGHT - 6);
      runA = -1;
    };
    for (let k = firstVisible(d, from, to, view.x0 - 0); k < to; k++) {
      const s = bars.start[k]!;
      if (s > view.x1) break;
      const e = bars.end[k]!;
      const a = Math.max(LABEL_WIDTH, x(s));
      const b = Math.min(W, x(e));
      // Token stall: the wait before the start, in the giving engine's colour, faint.
      const w = bars.wait[k]!;
      if (w > 0 && x(s) - x(s - w) >= 1) {
        const f = bars.from[k]!;
        ctx.fillStyle = f >= 0 ? ENGINE_COLORS[f]! : '#888';
        ctx.globalAlpha = 0.28;
        const wa = Math.max(LABEL_WIDTH, x(s - w));
        ctx.fillRect(wa, top + 6, Math.max(0, a - wa), LANE_HEIGHT - 12);
        ctx.globalAlpha = 1;
      }
      if (b - a >= 4) {
        // Wide enough to tell apart: its own rectangle, a pixel short so neighbours show a gap.
        flush();
        ctx.fillStyle = ENGINE_COLORS[eng]!;
        ctx.fillRect(a, top + 3, b - a - 1, LANE_HEIGHT - 6);
      } else if (runA >= 0 && a <= runB + 1) runB = Math.max(runB, b);
      else {
        flush();
        runA = a;
        runB = b;
      }
      const ddr = bars.ddr[k]!;
      if (ddr > 0 && b - a >= 2) {
        flush();
        const da = Math.max(a, x(e - ddr));
        ctx.fillStyle = DDR_COLOR;
        ctx.fillRect(da, top + LANE_HEIGHT / 2, b - da, LANE_HEIGHT / 2 - 3);
      }
    }
    flush();
  }
  if (selected >= 0) {
    const lane = bars.lane[selected]!;
    const a = x(bars.start[selected]!);
    const b = x(bars.end[selected]!);
    ctx.strokeStyle = fg;
    ctx.lineWidth = 2;
    ctx.strokeRect(a - 1, laneTop(lane) + 2, Math.max(2, b - a) + 2, LANE_HEIGHT - 4);
    ctx.lineWidth = 1;
  }
  if (cursor) {
    const px = x(cursor.cycle);
    if (px >= LABEL_WIDTH && px <= W) {
      ctx.strokeStyle = css('--vscode-debugIcon-breakpointCurrentStackframeForeground', '#ffcc00');
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(px, AXIS);
      ctx.lineTo(px, H);
      ctx.stroke();
      ctx.lineWidth = 1;
    }
  }
  showStatus();
}

function barText(k: number): string {
  const d = data!;
  const b = d.bars;
  const i = b.instr[k]!;
  const E = d.engines.length;
  const parts = [
    `${d.mnemonics[d.ops[i]!] ?? '?'} at line ${d.lines[i]}`,
    `core ${Math.floor(b.lane[k]! / E)} ${d.engines[b.lane[k]! % E]}`,
    `cycles ${b.start[k]}..${b.end[k]}`,
  ];
  if (b.wait[k]! > 0) parts.push(`waited ${b.wait[k]} for a token from ${d.engines[b.from[k]!] ?? '?'}`);
  if (b.ddr[k]! > 0) parts.push(`DDR contention ${b.ddr[k]}`);
  return parts.join(' · ');
}

function showStatus(): void {
  if (!data) return;
  const at = cursor ? `cycle ${cursor.cycle} (start ${cursor.position} of ${cursor.events})` : '';
  const sel = selected >= 0 ? ` — ${barText(selected)}` : '';
  status.textContent = `${data.file}: ${data.arch}, ${data.cores} core${data.cores === 1 ? '' : 's'}, ${fmt(data.cycles)} cycles, ${data.bars.lane.length} instructions${ended ? ' (session ended)' : ''} — ${at}${sel}`;
}

let frame = 0;
function redraw(): void {
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    draw();
  });
}

window.addEventListener('message', (ev: MessageEvent) => {
  const m = parseHostMessage(ev.data);
  if (!m) return;
  if (m.type === 'data') {
    data = m.data;
    ranges = laneRanges(data);
    cursor = data.cursor;
    selected = -1;
    resize();
    fit();
    draw();
    if (!painted) {
      painted = true;
      // The frame is on screen after the next animation frame.
      requestAnimationFrame(() => vscode.postMessage({ type: 'painted', ms: performance.now(), bars: data!.bars.lane.length }));
    }
  } else if (m.type === 'cursor') {
    cursor = m.cursor;
    ended = false;
    // Keep the cursor in view.
    if (cursor.cycle < view.x0 || cursor.cycle > view.x1) {
      const span = view.x1 - view.x0;
      view = { ...view, x0: cursor.cycle - span / 2, x1: cursor.cycle + span / 2 };
    }
    redraw();
  } else {
    ended = true;
    redraw();
  }
});

let drag: { x: number; x0: number; x1: number; moved: boolean } | undefined;
canvas.addEventListener('mousedown', (e) => {
  drag = { x: e.offsetX, x0: view.x0, x1: view.x1, moved: false };
});
window.addEventListener('mousemove', (e) => {
  if (!drag) return;
  const dx = e.clientX - canvas.getBoundingClientRect().left - drag.x;
  if (Math.abs(dx) > 3) drag.moved = true;
  if (!drag.moved) return;
  const per = (drag.x1 - drag.x0) / Math.max(1, view.width - LABEL_WIDTH);
  view = { ...view, x0: drag.x0 - dx * per, x1: drag.x1 - dx * per };
  redraw();
});
window.addEventListener('mouseup', () => {
  setTimeout(() => (drag = undefined), 0);
});
canvas.addEventListener('click', (e) => {
  if (!data || drag?.moved) return;
  if (e.offsetY < AXIS && e.offsetX >= LABEL_WIDTH) {
    vscode.postMessage({ type: 'gotoCycle', cycle: Math.max(0, xToCycle(view, e.offsetX)) });
    return;
  }
  const k = hitTest(data, ranges, view, e.offsetX, e.offsetY);
  selected = k;
  if (k >= 0) vscode.postMessage({ type: 'reveal', instr: data.bars.instr[k]!, core: Math.floor(data.bars.lane[k]! / data.engines.length) });
  redraw();
});
canvas.addEventListener('dblclick', (e) => {
  if (!data) return;
  const k = hitTest(data, ranges, view, e.offsetX, e.offsetY);
  if (k >= 0) vscode.postMessage({ type: 'gotoInstruction', instr: data.bars.instr[k]!, core: Math.floor(data.bars.lane[k]! / data.engines.length) });
});
canvas.addEventListener(
  'wheel',
  (e) => {
    if (!data) return;
    e.preventDefault();
    view = zoom(view, xToCycle(view, Math.max(LABEL_WIDTH, e.offsetX)), e.deltaY > 0 ? 1.25 : 0.8, data.cycles);
    redraw();
  },
  { passive: false },
);
canvas.addEventListener('mousemove', (e) => {
  if (!data || drag) return;
  const k = hitTest(data, ranges, view, e.offsetX, e.offsetY);
  canvas.title = k >= 0 ? barText(k) : '';
});

const button = (id: string, f: () => void) => document.getElementById(id)!.addEventListener('click', f);
button('fit', () => {
  fit();
  redraw();
});
button('zoomIn', () => {
  if (!data) return;
  view = zoom(view, cursor && cursor.cycle >= view.x0 && cursor.cycle <= view.x1 ? cursor.cycle : (view.x0 + view.x1) / 2, 0.5, data.cycles);
  redraw();
});
button('zoomOut', () => {
  if (!data) return;
  view = zoom(view, (view.x0 + view.x1) / 2, 2, data.cycles);
  redraw();
});
button('perfetto', () => vscode.postMessage({ type: 'exportPerfetto' }));
window.addEventListener('resize', () => {
  resize();
  redraw();
});

resize();
draw();
vscode.postMessage({ type: 'ready' });
