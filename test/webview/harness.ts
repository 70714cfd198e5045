// The XGraph webview outside VS Code, for its tests and the layout benchmark: the real bundle
// (dist/webview/xgraph.js) and page (client/src/xgraph/html.ts) served from a fake origin to Chromium,
// under the page's own content security policy, with a stand-in for VS Code's webview API that
// records what the page posts. CSP violations are recorded too: the tests require none.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { FromWebview, ToWebview } from '../../client/src/xgraph/messages';
import { xgraphHtml } from '../../client/src/xgraph/html';
import { nonce } from '../../client/src/debug-timeline-html';

export const ROOT = path.resolve(__dirname, '..', '..');
const ORIGIN = 'https://xgraph-webview.test';
const ASSETS = path.join(ROOT, 'dist', 'webview');

/** What the page exposes to the test (set up by the init script below). */
interface PageProbe {
  __posted: unknown[];
  __violations: string[];
  __state: unknown;
}

export interface WebviewPage {
  readonly page: Page;
  /** Send a message as the extension would (postMessage to the window). */
  send(m: ToWebview | unknown): Promise<void>;
  /** Everything the page posted so far. */
  posted(): Promise<FromWebview[]>;
  /** Wait for a posted message of a type (the n-th one, 1-based, counting from the start). */
  waitPosted<T extends FromWebview['type']>(type: T, n?: number, timeoutMs?: number): Promise<Extract<FromWebview, { type: T }>>;
  violations(): Promise<string[]>;
  close(): Promise<void>;
}

export async function openWebview(browser: Browser, size = { width: 1100, height: 760 }): Promise<WebviewPage> {
  if (!fs.existsSync(path.join(ASSETS, 'xgraph.js'))) throw new Error(`${ASSETS}/xgraph.js is missing: run npm run build`);
  const page = await browser.newPage({ viewport: size });
  const html = xgraphHtml({ cspSource: ORIGIN, scriptUri: `${ORIGIN}/xgraph.js`, styleUri: `${ORIGIN}/xgraph.css`, nonce: nonce() });
  await page.route(`${ORIGIN}/**`, async (route) => {
    const url = new URL(route.request().url());
    if (url.pathname === '/' || url.pathname === '/index.html') return route.fulfill({ status: 200, contentType: 'text/html', body: html });
    const file = path.join(ASSETS, path.basename(url.pathname));
    if (!fs.existsSync(file)) return route.fulfill({ status: 404, body: '' });
    return route.fulfill({ status: 200, contentType: file.endsWith('.js') ? 'text/javascript' : 'text/css', body: fs.readFileSync(file) });
  });
  // Anything else (a remote resource the page must not load) fails and is recorded by the CSP listener.
  // A string, not a function: tsx (esbuild keepNames) would wrap named functions in a helper the page lacks.
  await page.addInitScript(`
    globalThis.__posted = [];
    globalThis.__violations = [];
    globalThis.__state = undefined;
    document.addEventListener('securitypolicyviolation', (e) => globalThis.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
    globalThis.acquireVsCodeApi = () => ({
      postMessage: (m) => { globalThis.__posted.push(JSON.parse(JSON.stringify(m))); },
      setState: (s) => { globalThis.__state = s; },
      getState: () => globalThis.__state,
    });
  `);
  await page.goto(`${ORIGIN}/`);
  const wp: WebviewPage = {
    page,
    send: (m) => page.evaluate((msg) => (globalThis as unknown as { postMessage(m: unknown, o: string): void }).postMessage(msg, '*'), m as object),
    posted: () => page.evaluate(() => (globalThis as unknown as PageProbe).__posted as FromWebview[]),
    async waitPosted(type, n = 1, timeoutMs = 30_000) {
      await page.waitForFunction(([t, k]) => (globalThis as unknown as PageProbe).__posted.filter((m) => (m as { type: string }).type === t).length >= (k as number), [type, n] as const, { timeout: timeoutMs, polling: 20 });
      const all = (await wp.posted()).filter((m) => m.type === type);
      return all[n - 1] as Extract<FromWebview, { type: typeof type }>;
    },
    violations: () => page.evaluate(() => (globalThis as unknown as PageProbe).__violations),
    close: () => page.close(),
  };
  await wp.waitPosted('ready');
  return wp;
}
