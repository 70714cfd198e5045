// The XGraph webview's entry point: receives graphs from the extension (validated; anything else is
// ignored and logged back), lays them out with ELK, shows them, and reports clicks and exports.
// Bundled by esbuild into dist/webview/xgraph.js and loaded with a nonce under a strict CSP.

import ELK from 'elkjs/lib/elk.bundled.js';
import { parseToWebview, type FromWebview, type XGraphResult } from '../../src/xgraph/messages';
import { heatGradientStops, heatLegend } from '../../../src-compiler/xgraph/heatmap';
import { layoutGraph } from '../../../src-compiler/xgraph/layout';
import { warmupGraph } from './warmup';
import { GraphView, type ViewStats } from './view';

interface VsCodeApi {
  postMessage(message: FromWebview): void;
  setState(state: unknown): void;
  getState(): unknown;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const post = (m: FromWebview) => vscode.postMessage(m);
const log = (level: 'info' | 'error', message: string) => post({ type: 'log', level, message });

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const svg = document.getElementById('graph') as unknown as SVGSVGElement;
const status = $('status');
const title = $('title');
const searchBox = $<HTMLInputElement>('search');
const matches = $('matches');

const view = new GraphView(svg, $('tooltip'), { reveal: (id) => post({ type: 'reveal', id }) });
// For the benchmark and the tests (read through the page, never written by it).
(globalThis as unknown as { xgraphStats: ViewStats }).xgraphStats = view.stats;

const elk = new ELK();
// Warm ELK up while the extension fetches the graph (see warmupGraph); a real layout waits for it.
let warm: Promise<unknown> = layoutGraph(warmupGraph(), elk).catch((e) => log('error', `warm-up layout failed: ${(e as Error).message}`));
let structure = '';
let pending = 0;

function setStatus(text: string, error = false): void {
  status.textContent = text;
  status.classList.toggle('error', error);
  status.hidden = text === '';
}

/** The graph's shape (what the layout depends on), to skip a new layout when only timings changed. */
function structureKey(g: XGraphResult): string {
  return JSON.stringify([g.nodes.map((n) => [n.id, n.op, n.shape]), g.edges.map((e) => [e.from, e.to]), g.groups.map((x) => [x.id, x.nodes])]);
}

let laid: Awaited<ReturnType<typeof layoutGraph>> | undefined;

async function showGraph(g: XGraphResult, file: string, uri: string): Promise<void> {
  vscode.setState({ uri });
  title.textContent = `${file} · ${g.name} · ${g.arch}`;
  const key = structureKey(g);
  const ticket = ++pending;
  const t0 = performance.now();
  let layoutMs = 0;
  if (key !== structure || !laid) {
    setStatus(`Laying out ${g.nodes.length} nodes…`);
    try {
      await warm;
      warm = Promise.resolve();
      laid = await layoutGraph(g, elk);
    } catch (e) {
      setStatus(`Layout failed: ${(e as Error).message}`, true);
      log('error', `layout failed: ${(e as Error).stack ?? String(e)}`);
      return;
    }
    if (ticket !== pending) return; // a newer graph arrived meanwhile
    layoutMs = performance.now() - t0;
    const keep = structure !== '' && key === structure;
    structure = key;
    view.show(g, { ...laid, nodes: laid.nodes.map((n) => ({ ...n, node: g.nodes[n.index]! })) }, keep);
  } else {
    // Same shape: new timings and lines on the same layout, same view.
    view.show(g, { ...laid, nodes: laid.nodes.map((n) => ({ ...n, node: g.nodes[n.index]! })) }, true);
  }
  const renderMs = performance.now() - t0 - layoutMs;
  drawLegend();
  setStatus('');
  post({ type: 'rendered', nodes: g.nodes.length, layoutMs, renderMs });
}

function drawLegend(): void {
  const legend = $('legend');
  legend.replaceChildren();
  const NS = 'http://www.w3.org/2000/svg';
  const bar = document.createElementNS(NS, 'svg');
  bar.setAttribute('width', '160');
  bar.setAttribute('height', '12');
  bar.setAttribute('class', 'legend-bar');
  const defs = document.createElementNS(NS, 'defs');
  const grad = document.createElementNS(NS, 'linearGradient');
  grad.setAttribute('id', 'heat');
  for (const s of heatGradientStops()) {
    const stop = document.createElementNS(NS, 'stop');
    stop.setAttribute('offset', `${s.offset * 100}%`);
    stop.setAttribute('stop-color', s.color);
    grad.append(stop);
  }
  defs.append(grad);
  const rect = document.createElementNS(NS, 'rect');
  rect.setAttribute('width', '160');
  rect.setAttribute('height', '12');
  rect.setAttribute('fill', 'url(#heat)');
  bar.append(defs, rect);
  const label = (text: string, cls = '') => {
    const span = document.createElement('span');
    span.textContent = text;
    if (cls) span.className = cls;
    return span;
  };
  const words = heatLegend(view.latency);
  legend.append(label(words.title, 'legend-title'));
  if (words.min !== undefined && words.max !== undefined) legend.append(label(words.min), bar, label(words.max));
  legend.append(label(words.cpu, 'swatch cpu'), label(words.untimed, 'swatch untimed'));
}

window.addEventListener('message', (e: MessageEvent) => {
  const m = parseToWebview(e.data, (why) => {
    console.warn(`xgraph webview: ignored a message that does not match its schema: ${why}`);
    log('error', `ignored a message from the extension that does not match its schema: ${why}`);
  });
  if (!m) return;
  switch (m.type) {
    case 'graph':
      void showGraph(m.graph, m.file, m.uri);
      break;
    case 'highlight':
      view.highlight(m.ids);
      break;
    case 'error':
      setStatus(m.message, true);
      break;
  }
});

let matchCount = 0;
searchBox.addEventListener('input', () => {
  matchCount = view.search(searchBox.value);
  matches.textContent = searchBox.value.trim() ? `${matchCount} match${matchCount === 1 ? '' : 'es'}` : '';
});
searchBox.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') {
    searchBox.value = '';
    matchCount = view.search('');
    matches.textContent = '';
    return;
  }
  if (e.key !== 'Enter') return;
  // Enter: the next match, Shift+Enter: the previous one.
  const at = view.nextMatch(e.shiftKey ? -1 : 1);
  if (at) matches.textContent = `${at} of ${matchCount}`;
});
$('fit').addEventListener('click', () => view.fit());
$('zoom-in').addEventListener('click', () => view.zoomBy(1.25));
$('zoom-out').addEventListener('click', () => view.zoomBy(0.8));
$('export').addEventListener('click', () => post({ type: 'exportSvg', svg: view.exportSvg() }));

post({ type: 'ready' });
