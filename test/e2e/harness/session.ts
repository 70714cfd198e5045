// One end-to-end session: the freshly packaged .vsix installed in a code-server of our own, a temp
// workspace with the fixture programs, and Chromium showing the workbench. Used by the vitest suite
// (test/e2e/workbench.test.ts) and by the benchmark (test/e2e/bench.ts).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startCodeServer, type CodeServer } from './code-server';
import { BAD_FILE, writeWorkspace } from './fixtures';
import { packageVsix, ROOT, type Vsix } from './vsix';
import { closeBrowser, launchChromium, Workbench } from './workbench';

export { BAD_FILE, GOOD_FILE, PLANTED, badProgram, goodProgram } from './fixtures';

export const RESULTS_DIR = path.join(ROOT, 'test-results', 'e2e');

export interface Session {
  vsix: Vsix;
  /** The workspace folder; its parent folder is the session's own (removed by close()). */
  workspace: string;
  server: CodeServer;
  browser: Browser;
  page: Page;
  wb: Workbench;
  close(): Promise<void>;
}

export async function startSession(resultsDir = RESULTS_DIR): Promise<Session> {
  // Screenshots and logs of an earlier run must not be mistaken for this one's.
  fs.rmSync(resultsDir, { recursive: true, force: true });
  fs.mkdirSync(resultsDir, { recursive: true });
  const vsix = packageVsix(path.join(resultsDir, 'vsix'));
  // A readable folder name: it is the explorer's title in the screenshots.
  const workspaceParent = fs.mkdtempSync(path.join(os.tmpdir(), 'dnnvm-e2e-ws-'));
  const workspace = path.join(workspaceParent, 'dnnvm-demo');
  writeWorkspace(workspace);

  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  const close = async () => {
    // Each part is stopped even if another one fails to stop.
    await closeBrowser(browser);
    await server?.stop().catch((e) => console.error(`stopping code-server: ${(e as Error).message}`));
    fs.rmSync(workspaceParent, { recursive: true, force: true });
  };
  try {
    server = await startCodeServer({ vsix: vsix.file, workspace, logFile: path.join(resultsDir, 'code-server.log') });
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const wb = await Workbench.open(page, server.url, workspace, resultsDir, BAD_FILE);
    return { vsix, workspace, server, browser, page, wb, close };
  } catch (e) {
    await close();
    throw e;
  }
}

interface OpenTiming {
  clicked: number;
  squiggle: number;
  /** Wall clock at the click (ms since 1970), to line up with the extension host's log. */
  clickedAt: number;
}

/** The few browser APIs used in page.evaluate below; the project compiles without the DOM library. */
interface PageGlobals {
  document: { body: unknown; querySelector(selector: string): unknown; addEventListener(type: string, f: () => void, options: object): void };
  MutationObserver: new (callback: () => void) => { observe(target: unknown, options: object): void; disconnect(): void };
  performance: { now(): number };
  Date: { now(): number };
  __dnnvmOpen?: OpenTiming;
}

export interface OpenTimes {
  /** From the click in the explorer to the first error squiggle, both taken in the page (performance.now()). */
  ms: number;
  /** Wall clock at the click, ms since 1970. */
  clickedAt: number;
}

/**
 * Open `file` (which must have an error) by double-clicking it in the explorer and time it until the
 * first error squiggle shows in its editor: extension activation, language server start, first
 * analysis and rendering. The extension must not be active yet for this to include activation.
 */
export async function openAndTimeFirstDiagnostics(wb: Workbench, file: string, timeoutMs = 60_000): Promise<OpenTimes> {
  await wb.openFile(file, () =>
    wb.page.evaluate(() => {
      const g = globalThis as unknown as PageGlobals;
      const state: OpenTiming = { clicked: 0, squiggle: 0, clickedAt: 0 };
      g.__dnnvmOpen = state;
      g.document.addEventListener(
        'mousedown',
        () => {
          state.clicked = g.performance.now();
          state.clickedAt = g.Date.now();
        },
        { capture: true, once: true },
      );
      // No named functions in here: tsx (esbuild keepNames) would wrap them in a helper the page lacks.
      const obs = new g.MutationObserver(() => {
        if (state.clicked && !state.squiggle && g.document.querySelector('.editor-group-container.active .monaco-editor .view-overlays .squiggly-error')) {
          state.squiggle = g.performance.now();
          obs.disconnect();
        }
      });
      obs.observe(g.document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['class'] });
    }),
  );
  await wb.step(`first error squiggle in ${file}`, () => wb.page.waitForFunction(() => ((globalThis as unknown as PageGlobals).__dnnvmOpen?.squiggle ?? 0) > 0, undefined, { timeout: timeoutMs, polling: 50 }));
  const t = await wb.page.evaluate(() => (globalThis as unknown as PageGlobals).__dnnvmOpen!);
  return { ms: t.squiggle - t.clicked, clickedAt: t.clickedAt };
}
