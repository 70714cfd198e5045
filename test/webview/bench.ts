// XGraph webview benchmark rows (issue 7's budget: layout of a ResNet-152-sized graph at most 1 s in
// Chromium), measured on the shipped bundle under its CSP (test/webview/harness.ts):
//
//   benchXGraphWebview(quick) -> BenchRow[]      (benchExtension includes them)
//   tsx test/webview/bench.ts [--quick]          (prints the rows as JSON)
//
// Each run opens a fresh page, so every layout is a first layout (ELK not yet compiled by V8): what a
// user gets when opening the panel. Pan and zoom: the work of each animation frame that applies a
// wheel zoom or a drag (transform, culling, mounting), against a 60 Hz frame.

import type { BenchRow } from '../../src-compiler/bench/types';
import { closeBrowser, launchChromium } from '../e2e/harness/workbench';
import { resnetXGraph } from '../support/xgraph-synthetic';
import { openWebview } from './harness';

export const LAYOUT_BUDGET_MS = 1000;
export const FRAME_BUDGET_MS = 1000 / 60;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

export async function benchXGraphWebview(quick = false): Promise<BenchRow[]> {
  const runs = quick ? 1 : 5;
  const browser = await launchChromium();
  try {
    const rows: BenchRow[] = [];
    for (const form of ['canonical', 'raw'] as const) {
      const g = resnetXGraph({ form });
      const layout: number[] = [];
      const render: number[] = [];
      const frames: number[] = [];
      let mounted = 0;
      for (let i = 0; i < runs; i++) {
        const w = await openWebview(browser, { width: 1280, height: 800 });
        try {
          await w.send({ type: 'graph', graph: g, file: 'resnet152.dnnasm', uri: 'file:///bench/resnet152.dnnasm' });
          const r = await w.waitPosted('rendered', 1, 60_000);
          layout.push(r.layoutMs);
          render.push(r.renderMs);
          if (form !== 'canonical') continue;
          // Pan and zoom like a user: wheel zooms out and in around the pointer, then a long drag.
          const { page } = w;
          const box = (await page.locator('#graph').boundingBox())!;
          await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
          for (let k = 0; k < 30; k++) {
            await page.mouse.wheel(0, 120);
            await page.waitForTimeout(16);
          }
          for (let k = 0; k < 30; k++) {
            await page.mouse.wheel(0, -120);
            await page.waitForTimeout(16);
          }
          await page.mouse.down();
          for (let k = 0; k < 40; k++) {
            await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2 - k * 40);
            await page.waitForTimeout(16);
          }
          await page.mouse.up();
          const stats = await page.evaluate(() => (globalThis as unknown as { xgraphStats: { frames: number[]; mounted: number } }).xgraphStats);
          frames.push(...stats.frames);
          mounted = Math.max(mounted, stats.mounted);
        } finally {
          await w.close();
        }
      }
      const what = form === 'canonical' ? `ResNet-152-sized XGraph as the compiler gives it (${g.nodes.length} nodes, ${g.edges.length} edges, ${g.groups.length} fusion groups)` : `ResNet-152 with every Caffe layer a node (${g.nodes.length} nodes, ${g.edges.length} edges, ${g.groups.length} groups; stress)`;
      rows.push({
        group: 'Extension',
        name: `XGraph layout (ELK layered, groups nested) of a ${what}, first layout in a fresh webview page (Chromium)`,
        value: median(layout),
        unit: 'ms',
        min: Math.min(...layout),
        max: Math.max(...layout),
        runs,
        // The budget is for the graph the extension shows; the every-layer graph is a stress figure.
        ...(form === 'canonical' ? { budget: `<= ${LAYOUT_BUDGET_MS} ms`, met: median(layout) <= LAYOUT_BUDGET_MS } : {}),
        detail: `then the first render (culled SVG) in ${median(render).toFixed(1)} ms (median); ELK warms up when the page loads, and a graph that arrives earlier waits for it (counted here)`,
      });
      if (form === 'canonical' && frames.length) {
        rows.push({
          group: 'Extension',
          name: `XGraph pan and zoom on the ResNet-152-sized graph: work per animation frame (transform, culling, mounting), 95th percentile of ${frames.length} frames`,
          value: quantile(frames, 0.95),
          unit: 'ms',
          min: Math.min(...frames),
          max: Math.max(...frames),
          runs,
          budget: `<= ${FRAME_BUDGET_MS.toFixed(1)} ms (one 60 Hz frame)`,
          met: quantile(frames, 0.95) <= FRAME_BUDGET_MS,
          detail: `median ${median(frames).toFixed(2)} ms; at most ${mounted} SVG elements mounted of ${g.nodes.length + g.edges.length + g.groups.length} items`,
        });
      }
    }
    return rows;
  } finally {
    await closeBrowser(browser);
  }
}

if (require.main === module) {
  benchXGraphWebview(process.argv.includes('--quick')).then(
    (rows) => console.log(JSON.stringify(rows, null, 2)),
    (e) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    },
  );
}
