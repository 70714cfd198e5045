// The README's screenshot of the language server: the compiled ResNet-50 in a real VS Code
// (code-server, the packaged extension), with its per-layer latency lenses and the hover timing of an
// instruction. Not a test.
//
//   tsx test/lsp/screenshot.ts        writes docs/images/language-server.png
//
// Needs what the end-to-end tests need (npm run setup:e2e).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startCodeServer } from '../e2e/harness/code-server';
import { packageVsix } from '../e2e/harness/vsix';
import { closeBrowser, launchChromium, Workbench } from '../e2e/harness/workbench';
import { sharedModel } from '../support/models';
import { compiledPackage } from '../support/packages';

async function main(): Promise<void> {
  const root = path.join(__dirname, '..', '..');
  const out = path.join(root, 'docs', 'images');
  const pkg = compiledPackage(sharedModel('caffe/resnet50.prototxt'));
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'dnnvm-shot-'));
  const workspace = path.join(scratch, 'resnet50');
  fs.cpSync(pkg.dir, workspace, { recursive: true });
  const vsix = packageVsix(path.join(scratch, 'vsix'));
  const server = await startCodeServer({ vsix: vsix.file, workspace, logFile: path.join(scratch, 'code-server.log') });
  const browser = await launchChromium();
  let ok = false;
  try {
    const page = await browser.newPage({ viewport: { width: 1500, height: 860 } });
    const wb = await Workbench.open(page, server.url, workspace, scratch, 'resnet50.dnnasm');
    await wb.openFile('resnet50.dnnasm');
    const text = fs.readFileSync(pkg.asm, 'utf8').split('\n');
    // The second layer marker near the top, with a CONV of that layer below it.
    const marker = text.findIndex((l, i) => i > 10 && l.startsWith('.layer '));
    // Go to line centres it: put the marker a few lines below the top.
    await wb.step('go to the second layer', async () => {
      await page.keyboard.press('Control+g');
      const input = page.locator('.quick-input-widget input.input');
      await input.waitFor({ state: 'visible' });
      await input.fill(`:${marker + 1 + 15}`);
      await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Go to line' }).first().waitFor({ state: 'visible' });
      await page.keyboard.press('Enter');
      // The editor has scrolled to the line already (the preview); close the box if Enter did not.
      await input.waitFor({ state: 'hidden', timeout: 2000 }).catch(() => page.keyboard.press('Escape'));
    });
    // The lenses are rendered text (no element of their own to wait on across VS Code versions).
    await wb.step('latency lenses', () => page.waitForFunction(() => (globalThis as unknown as { document: { body: { innerText: string } } }).document.body.innerText.includes('of roofline'), undefined, { timeout: 120_000 }));
    const conv = text.find((l, i) => i > marker + 6 && l.startsWith('    CONV '))!;
    await wb.hoverToken(conv.slice(0, 60).trim(), 'CONV', 'Timing');
    fs.mkdirSync(out, { recursive: true });
    const shot = await wb.screenshot('language-server');
    fs.copyFileSync(shot, path.join(out, 'language-server.png'));
    process.stdout.write(`wrote ${path.join(out, 'language-server.png')}\n`);
    ok = true;
  } finally {
    await closeBrowser(browser);
    await server.stop();
    // Kept when something failed: the failure's screenshot and code-server's log are there.
    if (ok) fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
