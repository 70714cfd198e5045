// The XGraph webview in Chromium: its real bundle and page under their own CSP (test/webview/harness.ts),
// driven with the messages the extension sends. Needs Chromium like the end-to-end tests (never skipped).

import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFromWebview, type XGraphResult } from '../../client/src/xgraph/messages';
import { chromiumPath } from '../../scripts/code-server';
import { closeBrowser, launchChromium } from '../e2e/harness/workbench';
import { resnetXGraph } from '../support/xgraph-synthetic';
import { openWebview, type WebviewPage } from './harness';
import * as fs from 'node:fs';

const HOSTILE = '<img src=x onerror="globalThis.__pwned=1">';
const SCRIPTY = '</text><script>globalThis.__pwned=2</script>';

function hostileGraph(): XGraphResult {
  return {
    name: 'net<b>bold</b>',
    arch: 'ZU9',
    nodes: [
      { id: 'conv1', op: 'conv', device: 'dpu', shape: [1, 20, 24, 24], group: 'conv+pool#0', cycles: 40_000, ops: 576_000, asmLine: 8, origin: { file: '/w/lenet.prototxt', name: 'conv1', line: 8 } },
      { id: HOSTILE, op: 'pool', device: 'dpu', shape: [1, 20, 12, 12], group: 'conv+pool#0', cycles: 40_000, asmLine: 8, origin: { file: '/w/lenet.prototxt', name: HOSTILE, line: 31 } },
      { id: 'ip1', op: 'conv', device: 'dpu', shape: [1, 500, 1, 1], cycles: 9_000, asmLine: 118, origin: { file: '/w/lenet.prototxt', name: 'ip1' } },
      { id: SCRIPTY, op: 'softmax', device: 'cpu', reason: 'softmax <i>runs</i> on the CPU', shape: [1, 10], origin: { file: '/w/lenet.prototxt', name: SCRIPTY } },
    ],
    edges: [
      { from: 'conv1', to: HOSTILE, tensor: 'conv1' },
      { from: HOSTILE, to: 'ip1', tensor: 'pool1' },
      { from: 'ip1', to: SCRIPTY, tensor: 'ip1' },
    ],
    groups: [{ id: 'conv+pool#0', template: 'conv+pool', nodes: ['conv1', HOSTILE] }],
  };
}

const graphMessage = (graph: XGraphResult) => ({ type: 'graph', graph, file: 'lenet.dnnasm', uri: 'file:///w/lenet.dnnasm' });

describe('XGraph webview in Chromium (bundle, page and CSP as shipped)', () => {
  let browser: Browser | undefined;
  let w: WebviewPage | undefined;
  const wv = () => w ?? (() => { throw new Error('the webview page did not open (see beforeAll)'); })();

  beforeAll(async () => {
    if (!fs.existsSync(chromiumPath())) throw new Error(`these tests need Chromium (${chromiumPath()}): apt-get install -y chromium`);
    browser = await launchChromium();
    w = await openWebview(browser);
  }, 60_000);

  afterAll(async () => {
    await w?.close().catch(() => undefined);
    await closeBrowser(browser);
  });

  it('draws every node of a graph, with names from the model as text, never as markup', async () => {
    const { page } = wv();
    await wv().send(graphMessage(hostileGraph()));
    const r = await wv().waitPosted('rendered');
    expect(r.nodes).toBe(4);
    expect(await page.locator('#graph').getAttribute('data-nodes')).toBe('4');
    expect(await page.locator('#graph g.node').count()).toBe(4);
    expect(await page.locator('#graph g.group').count()).toBe(1);
    expect(await page.locator('#graph polyline.edge').count()).toBe(3);
    const names = await page.locator('#graph g.node text.name').allTextContents();
    expect(names).toContain('conv1');
    // Clipped to the label length, but character for character what the model said.
    expect(names.some((n) => HOSTILE.startsWith(n.replace(/…$/, '')))).toBe(true);
    expect(await page.locator(`#graph g.node[data-id="${HOSTILE.replace(/"/g, '\\"')}"]`).count()).toBe(1);
    expect(await page.locator('img, script:not([src])').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('#title').textContent()).toBe('lenet.dnnasm · net<b>bold</b> · ZU9');
  });

  it('colours nodes by latency with a legend, and marks CPU nodes', async () => {
    const { page } = wv();
    const fill = (id: string) => page.locator(`#graph g.node[data-id="${id}"] rect.box`).getAttribute('fill');
    // conv1 is the slowest layer (hot end of the scale), ip1 the fastest (cool end).
    expect(await fill('conv1')).toBe('rgb(165, 0, 38)');
    expect(await fill('ip1')).toBe('rgb(49, 54, 149)');
    expect(await page.locator('#graph g.node.cpu').count()).toBe(1);
    const legend = await page.locator('#legend').textContent();
    expect(legend).toContain('Latency, cycles (log)');
    expect(legend).toContain('9,000');
    expect(legend).toContain('40,000');
  });

  it('shows node details on hover, as text', async () => {
    const { page } = wv();
    await page.locator('#graph g.node[data-id="conv1"]').hover();
    const tip = page.locator('#tooltip');
    await tip.waitFor({ state: 'visible' });
    const text = await tip.textContent();
    expect(text).toContain('conv1');
    expect(text).toContain('40,000 cycles');
    expect(text).toContain('conv+pool#0 (conv+pool, 2 nodes)');
    expect(text).toContain('line 9');
    await page.locator(`#graph g.node.cpu`).hover();
    await expect.poll(() => tip.textContent()).toContain('softmax <i>runs</i> on the CPU');
    expect(await tip.locator('i').count()).toBe(0);
  });

  it('posts a reveal for a clicked node, and highlights the nodes the extension names', async () => {
    const { page } = wv();
    await page.locator('#graph g.node[data-id="ip1"]').click();
    expect(await wv().waitPosted('reveal')).toEqual({ type: 'reveal', id: 'ip1' });
    await wv().send({ type: 'highlight', ids: ['conv1', HOSTILE] });
    await expect.poll(() => page.locator('#graph g.node.current').count()).toBe(2);
    await wv().send({ type: 'highlight', ids: [] });
    await expect.poll(() => page.locator('#graph g.node.current').count()).toBe(0);
  });

  it('searches nodes by name or operator', async () => {
    const { page } = wv();
    await page.locator('#search').fill('conv');
    await expect.poll(() => page.locator('#matches').textContent()).toBe('2 matches');
    expect(await page.locator('#graph g.node.match').count()).toBe(2);
    expect(await page.locator('#graph g.node.dim').count()).toBe(2);
    await page.locator('#search').press('Enter');
    await expect.poll(() => page.locator('#matches').textContent()).toBe('1 of 2');
    await page.locator('#search').press('Escape');
    expect(await page.locator('#graph g.node.dim').count()).toBe(0);
  });

  it('ignores and reports messages that do not match their schema', async () => {
    const { page } = wv();
    const before = (await wv().posted()).filter((m) => m.type === 'log').length;
    await wv().send({ type: 'graph', graph: { ...hostileGraph(), edges: [{ from: 'conv1', to: 'nowhere', tensor: 't' }] }, file: 'x', uri: 'file:///x' });
    await wv().send({ type: 'run', code: 'globalThis.__pwned = 3' });
    await wv().send('highlight');
    await expect.poll(async () => (await wv().posted()).filter((m) => m.type === 'log').length).toBe(before + 3);
    const logs = (await wv().posted()).filter((m) => m.type === 'log').slice(before);
    expect(logs.every((l) => l.type === 'log' && l.level === 'error' && l.message.includes('does not match its schema'))).toBe(true);
    // The graph shown is still the valid one.
    expect(await page.locator('#graph').getAttribute('data-nodes')).toBe('4');
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
  });

  it('shows a model whose names are HTML and script as text everywhere: no element injected, no script run, no dialog', async () => {
    const { page } = wv();
    // The names of issue 10: markup that would run if any of the page's text were parsed as HTML.
    const IMG = '<img src=x onerror=alert(1)>';
    const SCRIPT = '<script>alert(2)</script>';
    const dialogs: string[] = [];
    const onDialog = (d: { message(): string; dismiss(): Promise<void> }) => {
      dialogs.push(d.message());
      void d.dismiss();
    };
    page.on('dialog', onDialog);
    try {
      const origin = { file: '/w/evil.onnx' };
      const g: XGraphResult = {
        name: SCRIPT,
        arch: 'ZU9',
        nodes: [
          { id: IMG, op: 'conv', device: 'dpu', shape: [1, 8, 4, 4], group: IMG, cycles: 100, asmLine: 3, origin: { ...origin, name: IMG } },
          { id: SCRIPT, op: 'softmax', device: 'cpu', reason: `${IMG} ${SCRIPT}`, shape: [1, 8], origin: { ...origin, name: SCRIPT } },
        ],
        edges: [{ from: IMG, to: SCRIPT, tensor: SCRIPT }],
        groups: [{ id: IMG, template: SCRIPT, nodes: [IMG] }],
      };
      const n = (await wv().posted()).filter((m) => m.type === 'rendered').length;
      await wv().send({ type: 'graph', graph: g, file: IMG, uri: 'file:///w/evil.dnnasm' });
      expect((await wv().waitPosted('rendered', n + 1)).nodes).toBe(2);
      await page.locator('#fit').click();
      // Both nodes, found by their names as attribute values, their labels the names' own characters.
      for (const id of [IMG, SCRIPT]) expect(await page.locator(`#graph g.node[data-id="${id.replace(/"/g, '\\"')}"]`).count(), id).toBe(1);
      const labels = await page.locator('#graph g.node text.name').allTextContents();
      expect(labels).toHaveLength(2);
      for (const l of labels) expect([IMG, SCRIPT].some((name) => name.startsWith(l.replace(/…$/, ''))), l).toBe(true);
      expect(await page.locator('#title').textContent()).toBe(`${IMG} · ${SCRIPT} · ZU9`);
      // The tooltip of the CPU node: its name and reason as text.
      await page.locator(`#graph g.node.cpu`).hover();
      const tip = page.locator('#tooltip');
      await expect.poll(() => tip.textContent()).toContain(`${IMG} ${SCRIPT}`);
      // Search by the markup itself.
      await page.locator('#search').fill('<img');
      await expect.poll(() => page.locator('#matches').textContent()).toBe('1 match');
      await page.locator('#search').press('Escape');
      // An error from the extension that quotes such a name is text too.
      await wv().send({ type: 'error', message: `no package for ${IMG}${SCRIPT}` });
      await expect.poll(() => page.locator('#status').textContent()).toBe(`no package for ${IMG}${SCRIPT}`);
      // Nowhere in the document: no image, no inline script, nothing from the names ran.
      expect(await page.locator('img').count()).toBe(0);
      expect(await page.locator('script:not([src])').count()).toBe(0);
      expect(await page.locator('[onerror]').count()).toBe(0);
      expect(dialogs).toEqual([]);
      expect(await wv().violations()).toEqual([]);
      // And what the page posted back is what the extension accepts (it ignores anything else: client/src/xgraph/messages.test.ts).
      for (const m of await wv().posted()) expect(parseFromWebview(m), JSON.stringify(m).slice(0, 200)).toEqual(m);
    } finally {
      page.off('dialog', onDialog);
      // The next tests start from the usual graph.
      const n = (await wv().posted()).filter((m) => m.type === 'rendered').length;
      await wv().send(graphMessage(hostileGraph()));
      await wv().waitPosted('rendered', n + 1);
    }
  });

  it('exports the whole graph as a standalone, well-formed SVG with names escaped', async () => {
    const { page } = wv();
    await page.locator('#export').click();
    const m = await wv().waitPosted('exportSvg');
    expect(m.svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(m.svg).not.toContain('<img');
    expect(m.svg).not.toContain('<script');
    expect(m.svg).toContain('&lt;img src=x');
    const parsed = await page.evaluate((svg) => {
      // The project compiles without the DOM library: the few browser APIs used here, typed by hand.
      type El = { textContent: string | null };
      type Doc = { getElementsByTagName(t: string): { length: number }; querySelectorAll(s: string): ArrayLike<El> & Iterable<El> };
      const Parser = (globalThis as unknown as { DOMParser: new () => { parseFromString(s: string, t: string): Doc } }).DOMParser;
      const d = new Parser().parseFromString(svg, 'image/svg+xml');
      return { error: d.getElementsByTagName('parsererror').length, nodes: d.querySelectorAll('g > rect').length, texts: [...d.querySelectorAll('text')].map((t) => t.textContent) };
    }, m.svg);
    expect(parsed.error).toBe(0);
    expect(parsed.nodes).toBe(4);
    expect(parsed.texts).toContain('conv1');
  });

  it('keeps the view when only timings change, and lays out again when the graph changes', async () => {
    const { page } = wv();
    const g = hostileGraph();
    const n = (await wv().posted()).filter((m) => m.type === 'rendered').length;
    await wv().send(graphMessage({ ...g, nodes: g.nodes.map((x) => (x.id === 'ip1' ? { ...x, cycles: 80_000 } : x)) }));
    const r = await wv().waitPosted('rendered', n + 1);
    expect(r.layoutMs).toBe(0);
    expect(await page.locator('#graph g.node[data-id="ip1"] rect.box').getAttribute('fill')).toBe('rgb(165, 0, 38)');
    await wv().send(graphMessage({ ...g, nodes: g.nodes.slice(0, 3), edges: g.edges.slice(0, 2) }));
    const r2 = await wv().waitPosted('rendered', n + 2);
    expect(r2.layoutMs).toBeGreaterThan(0);
    expect(await page.locator('#graph g.node').count()).toBe(3);
  });

  it('mounts only what is in view on a ResNet-152-sized graph, and follows pan and zoom', async () => {
    const { page } = wv();
    const g = resnetXGraph();
    const n = (await wv().posted()).filter((m) => m.type === 'rendered').length;
    await wv().send(graphMessage(g));
    const r = await wv().waitPosted('rendered', n + 1, 60_000);
    expect(r.nodes).toBe(g.nodes.length);
    expect(await page.locator('#graph').getAttribute('data-nodes')).toBe(String(g.nodes.length));
    const mounted = () => page.locator('#graph g.node').count();
    const first = await mounted();
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(g.nodes.length / 2);
    const firstIds = await page.locator('#graph g.node').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')));
    // Pan down a long way: other nodes come into view, the first ones leave.
    const box = (await page.locator('#graph').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height - 20);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2, box.y + 20, { steps: 10 });
    await page.mouse.up();
    await page.keyboard.press('Escape');
    await expect.poll(async () => (await page.locator('#graph g.node').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')))).some((id) => !firstIds.includes(id))).toBe(true);
    // Zoomed all the way out, everything is in view but drawn without labels.
    await page.locator('#fit').click();
    await expect.poll(mounted).toBe(g.nodes.length);
    expect(await page.locator('#graph g.node text').count()).toBe(0);
    expect(await wv().violations()).toEqual([]);
  });

  it('breaks no rule of its content security policy', async () => {
    expect(await wv().violations()).toEqual([]);
  });
});
