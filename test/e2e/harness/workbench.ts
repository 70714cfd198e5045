// Driving the VS Code workbench in Chromium through playwright-core: what a user does (quick open, the
// command palette, hovering), each step waiting for a condition in the page and failing with a message
// that says which step and what was on screen.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Frame, type Locator, type Page } from 'playwright-core';
import { chromiumPath } from '../../../scripts/code-server';

/** Chromium flags for a headless run as root in a container (ENVIRONMENT.md). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage', // /dev/shm is small in containers; the workbench is memory hungry
];

const configDirs = new WeakMap<Browser, string>();

export async function launchChromium(): Promise<Browser> {
  // Chromium keeps a crash database in $XDG_CONFIG_HOME/chromium even with a temp profile: give it a
  // temp folder too, so a test run leaves nothing in the user's home.
  const config = fs.mkdtempSync(path.join(os.tmpdir(), 'dnnvm-chromium-'));
  try {
    const browser = await chromium.launch({
      executablePath: chromiumPath(),
      args: CHROMIUM_ARGS,
      headless: true,
      timeout: 60_000,
      env: { ...process.env, XDG_CONFIG_HOME: config, XDG_CACHE_HOME: config },
    });
    configDirs.set(browser, config);
    return browser;
  } catch (e) {
    fs.rmSync(config, { recursive: true, force: true });
    throw e;
  }
}

/** Close the browser, but never wait on it forever: a hung close must not hang the test run. */
export async function closeBrowser(browser: Browser | undefined): Promise<void> {
  if (!browser) return;
  await Promise.race([browser.close().catch(() => undefined), new Promise((r) => setTimeout(r, 15_000).unref())]);
  const config = configDirs.get(browser);
  if (config) fs.rmSync(config, { recursive: true, force: true });
}

export class Workbench {
  constructor(
    readonly page: Page,
    readonly screenshotDir: string,
  ) {}

  /** Load the workbench on `folder` and wait until the explorer shows that folder's files. */
  static async open(page: Page, url: string, folder: string, screenshotDir: string, expectFile: string): Promise<Workbench> {
    const wb = new Workbench(page, screenshotDir);
    page.setDefaultTimeout(30_000);
    await page.goto(`${url}/?folder=${encodeURIComponent(folder)}`, { waitUntil: 'domcontentloaded', timeout: 60_000 });
    await wb.step('workbench loads', () => page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 }));
    await wb.step(`explorer lists ${expectFile}`, () =>
      page.locator(`.explorer-folders-view .monaco-list-row[aria-label="${expectFile}"]`).first().waitFor({ state: 'visible', timeout: 60_000 }),
    );
    return wb;
  }

  /** Run `fn`; on failure, save a screenshot named after the step and say which step failed. */
  async step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      const shot = await this.screenshot(`failed-${name.replace(/[^\w.-]+/g, '-').slice(0, 60)}`).catch(() => '(no screenshot)');
      const err = new Error(`e2e step "${name}" failed: ${(e as Error).message.split('\n')[0]}\n  screenshot: ${shot}`);
      (err as Error & { cause?: unknown }).cause = e;
      throw err;
    }
  }

  async screenshot(name: string): Promise<string> {
    fs.mkdirSync(this.screenshotDir, { recursive: true });
    const file = path.join(this.screenshotDir, `${name}.png`);
    // animations: 'disabled' finishes fade-ins (hovers, notifications) so the picture shows them whole.
    await this.page.screenshot({ path: file, timeout: 15_000, animations: 'disabled' });
    return file;
  }

  /**
   * Open a workspace file by double-clicking it in the explorer (as a user does; Quick Open would depend
   * on the file search warming up) and wait for its editor tab to be active. A double click opens a
   * pinned editor: a preview editor would be replaced (closed) by the next file opened. `beforeClick` runs just before the
   * click (to start a timer in the page).
   */
  async openFile(name: string, beforeClick?: () => Promise<void>): Promise<void> {
    const page = this.page;
    await this.step(`open ${name} from the explorer`, async () => {
      const row = page.locator(`.explorer-folders-view .monaco-list-row[aria-label="${name}"]`).first();
      await row.waitFor({ state: 'visible' });
      await beforeClick?.();
      await row.dblclick();
      // With several editor groups the label ends with ", Editor Group N".
      await page.locator(`.tabs-container .tab.active[aria-label="${name}"], .tabs-container .tab.active[aria-label^="${name}, Editor Group"]`).first().waitFor({ state: 'visible' });
    });
  }

  /** Run a command by its title in the command palette (F1). */
  async runCommand(title: string): Promise<void> {
    const page = this.page;
    await this.step(`command "${title}"`, async () => {
      await page.keyboard.press('F1');
      const input = page.locator('.quick-input-widget input.input');
      await input.waitFor({ state: 'visible' });
      await input.fill(`>${title}`);
      await page.locator(`.quick-input-widget .monaco-list-row[aria-label*="${title}"]`).first().waitFor({ state: 'visible' });
      await page.keyboard.press('Enter');
      await input.waitFor({ state: 'hidden' });
    });
  }

  /** The active editor (the visible one in the active editor group). */
  activeEditor(): Locator {
    return this.page.locator('.editor-group-container.active .editor-instance .monaco-editor').first();
  }

  /** Text of the rendered lines of the active editor (Monaco renders only the visible ones). */
  async visibleText(): Promise<string> {
    const lines = this.activeEditor().locator('.view-lines .view-line');
    // Monaco positions lines absolutely: sort them by their top offset to get the document order.
    const rows = await lines.evaluateAll((els) => els.map((e) => ({ top: parseFloat((e as unknown as { style: { top: string } }).style.top) || 0, text: e.textContent ?? '' })));
    return rows
      .sort((a, b) => a.top - b.top)
      .map((r) => r.text.replace(/\u00a0/g, ' '))
      .join('\n');
  }

  /** The language mode in the status bar (e.g. "DNNVM Assembly"). */
  async languageMode(): Promise<string> {
    const item = this.page.locator('#status\\.editor\\.mode');
    await item.waitFor({ state: 'visible' });
    return ((await item.textContent()) ?? '').trim();
  }

  /**
   * Hover the first rendered token of the active editor whose text is exactly `token` on the line
   * containing `lineText`, and return the hover widget's text once it contains `expect`.
   */
  async hoverToken(lineText: string, token: string, expect: string): Promise<string> {
    const page = this.page;
    return this.step(`hover ${token}`, async () => {
      const line = this.activeEditor().locator('.view-lines .view-line', { hasText: lineText }).first();
      await line.waitFor({ state: 'visible' });
      // Tokens are spans inside the line's span; the grammar makes mnemonics and field names separate tokens.
      const span = line.locator('span > span').filter({ hasText: new RegExp(`^${token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }).first();
      await span.waitFor({ state: 'visible' });
      const box = await span.boundingBox();
      if (!box) throw new Error(`token ${token} has no box on screen`);
      const hover = page.locator('.monaco-hover:not(.hidden) .monaco-hover-content', { hasText: expect }).first();
      // Hover again until the content is there: a hover asked before the server has analysed a freshly
      // opened file answers nothing, and the editor does not ask again while the mouse stays put.
      const deadline = Date.now() + 20_000;
      for (;;) {
        // Move away first so that a hover already showing for another token is dismissed.
        await page.mouse.move(5, 5);
        await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 4 });
        if (await hover.waitFor({ state: 'visible', timeout: 4_000 }).then(() => true, () => false)) break;
        if (Date.now() > deadline) {
          const shown = await page.locator('.monaco-hover:not(.hidden) .monaco-hover-content').allTextContents();
          throw new Error(`no hover containing ${JSON.stringify(expect)} over ${token}; hovers shown: ${JSON.stringify(shown)}`);
        }
      }
      return ((await hover.textContent()) ?? '').replace(/\u00a0/g, ' ');
    });
  }

  /** Run a command from a file's context menu in the explorer (right click, then the menu item). */
  async explorerContextCommand(file: string, title: string): Promise<void> {
    const page = this.page;
    await this.step(`explorer context menu of ${file}: ${title}`, async () => {
      const row = page.locator(`.explorer-folders-view .monaco-list-row[aria-label="${file}"]`).first();
      await row.waitFor({ state: 'visible' });
      await row.click({ button: 'right' });
      // The workbench draws its context menus in a shadow root; playwright's CSS locators pierce it.
      const item = page.locator('.monaco-menu .action-item .action-label', { hasText: new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }).first();
      await item.waitFor({ state: 'visible' });
      await item.hover();
      await item.click();
      // A click that lands while the menu is still settling can be lost: the item is focused, Enter runs it.
      const menu = page.locator('.monaco-menu').first();
      if (!(await menu.waitFor({ state: 'hidden', timeout: 2_000 }).then(() => true, () => false))) {
        await page.keyboard.press('Enter');
        await menu.waitFor({ state: 'hidden' });
      }
    });
  }

  /** A notification toast whose message contains `text`. */
  notification(text: string | RegExp): Locator {
    return this.page.locator('.notifications-toasts .notification-toast', { has: this.page.locator('.notification-list-item-message', { hasText: text }) }).first();
  }

  /** Click a button of the notification whose message contains `text`. */
  async clickNotificationButton(text: string | RegExp, button: string): Promise<void> {
    await this.step(`notification "${text}": ${button}`, async () => {
      const toast = this.notification(text);
      await toast.waitFor({ state: 'visible', timeout: 60_000 });
      await toast.locator('.monaco-button', { hasText: button }).first().click();
    });
  }

  /** The file name of the active editor group's active tab (its label without ", Editor Group N"). */
  async activeTab(): Promise<string> {
    const label = (await this.page.locator('.editor-group-container.active .tabs-container .tab.active').first().getAttribute('aria-label')) ?? '';
    return label.replace(/, Editor Group \d+$/, '');
  }

  /** The status bar's cursor position of the active editor, e.g. { line: 12, col: 1 }. */
  async cursor(): Promise<{ line: number; col: number }> {
    const text = (await this.page.locator('#status\\.editor\\.selection').textContent()) ?? '';
    const m = /Ln (\d+), Col (\d+)/.exec(text);
    if (!m) throw new Error(`no cursor position in the status bar (${JSON.stringify(text)})`);
    return { line: Number(m[1]), col: Number(m[2]) };
  }

  /** Go to a 1-based line (and column) of the active editor (Ctrl+G). */
  async goToLine(line: number, col?: number): Promise<void> {
    await this.step(`go to line ${line}${col ? `, column ${col}` : ''}`, async () => {
      await this.activeEditor().click({ position: { x: 200, y: 10 } });
      await this.page.keyboard.press('Control+G');
      const input = this.page.locator('.quick-input-widget input.input');
      await input.waitFor({ state: 'visible' });
      await input.fill(`:${line}${col ? `:${col}` : ''}`);
      await this.page.keyboard.press('Enter');
      await input.waitFor({ state: 'hidden' });
    });
  }

  /**
   * The frame of a webview whose document has an element matching `selector` (a webview is an iframe
   * holding another iframe, #active-frame, with the extension's page).
   */
  async webviewFrame(selector: string, timeoutMs = 30_000): Promise<Frame> {
    return this.step(`webview with ${selector}`, async () => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        for (const f of this.page.frames()) {
          if (f === this.page.mainFrame()) continue;
          if (await f.$(selector).then((h) => h !== null, () => false)) return f;
        }
        if (Date.now() > deadline) throw new Error(`no webview frame has ${selector} (frames: ${this.page.frames().length})`);
        await new Promise((r) => setTimeout(r, 200));
      }
    });
  }
}
