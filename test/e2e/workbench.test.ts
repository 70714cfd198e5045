// End-to-end: the packaged extension in a real VS Code (code-server, VS Code 1.100) driven through
// Chromium like a user would. Part of `npm test`; it needs Chromium and code-server, which `.ci/run`
// installs (`npm run setup:e2e` on a developer's machine). Without them it fails and says so; it is never
// skipped.
//
// The tests run in order on one workbench: opening the first .dnnasm file activates the extension.

import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assembleText, diagnosticLocation } from '../../src-compiler/asm/file';
import { fieldBits, specByMnemonic } from '../../src-compiler/isa/table';
import { e2eUnavailable } from './harness/code-server';
import { runExtensionHostSuite } from './harness/extension-host-suite';
import { BAD_FILE, GOOD_FILE, badProgram, goodProgram } from './harness/fixtures';
import { openAndTimeFirstDiagnostics, startSession, type Session } from './harness/session';
import { VSIX_BUDGET_BYTES } from './harness/vsix';

/** Markdown as the hover renders it: code spans and emphasis become plain text. */
const rendered = (markdown: string) => markdown.replace(/[`*]/g, '');

/** The planted error as the assembler reports it: the text the Problems panel must show. */
function plantedError() {
  const a = assembleText(badProgram(), `/ws/${BAD_FILE}`);
  const errors = a.program.diagnostics.filter((d) => d.severity === 'error');
  expect(errors.map((d) => d.message), 'the planted error is the only error of the bad program').toHaveLength(1);
  const d = errors[0]!;
  return { message: d.message, code: d.code, ...diagnosticLocation(a, d) };
}

describe('DNNVM Workbench in a real VS Code (code-server + Chromium)', () => {
  let s: Session | undefined;
  const session = () => {
    if (!s) throw new Error('the end-to-end session did not start (see the error of beforeAll above)');
    return s;
  };

  beforeAll(async () => {
    // A missing code-server or Chromium fails the suite with what to run, rather than skipping it.
    const reason = e2eUnavailable();
    if (reason) throw new Error(reason);
    s = await startSession();
    console.log(`e2e: ${path.basename(s.vsix.file)} ${s.vsix.bytes} bytes (packaged in ${s.vsix.packMs.toFixed(0)} ms); code-server at ${s.server.url}`);
  }, 240_000);

  afterAll(async () => {
    await s?.close();
  }, 60_000);

  it('packages a .vsix within budget holding the bundles and manifest, not sources or node_modules', () => {
    const { vsix, server } = session();
    expect(vsix.bytes, `${vsix.file} is ${vsix.bytes} bytes`).toBeLessThanOrEqual(VSIX_BUDGET_BYTES);
    const files = vsix.entries.filter((e) => e.startsWith('extension/')).map((e) => e.slice('extension/'.length));
    for (const needed of ['package.json', 'dist/client.js', 'dist/server.js', 'syntaxes/dnnasm.tmLanguage.json', 'language-configuration.json', 'LICENSE.txt']) {
      expect(files, `the .vsix lacks ${needed}`).toContain(needed);
    }
    const unwanted = files.filter((f) => /(^|\/)node_modules\/|\.map$|\.ts$|^src-compiler\/|^server\/|^client\/|^test/.test(f));
    expect(unwanted, 'files the .vsix should not carry').toEqual([]);
    // code-server accepted the package: it lists the extension under its manifest id and version.
    expect(server.extensions).toContain('dnnvm.dnnvm-workbench@0.1.0');
  });

  it('activates only when a .dnnasm file is opened, and underlines the planted error', async () => {
    const { wb, server } = session();
    await server.waitForExtensionHost();
    // Newer code-server builds list every installed extension when the host starts; only an
    // activation line means the extension ran.
    expect(server.extensionHostLog(), 'the extension must not be active before a .dnnasm file is opened').not.toMatch(/_doActivateExtension dnnvm\.dnnvm-workbench\b/);
    const { ms } = await openAndTimeFirstDiagnostics(wb, BAD_FILE);
    console.log(`e2e: open ${BAD_FILE} -> first diagnostics (activation, server start, analysis, rendering): ${ms.toFixed(0)} ms`);
    await expect
      .poll(() => server.extensionHostLog(), { timeout: 10_000 })
      .toMatch(/_doActivateExtension dnnvm\.dnnvm-workbench, startup: false, activationEvent: 'onLanguage:dnnasm'/);
    expect(await wb.languageMode()).toBe('DNNVM Assembly');
    // Exactly one error squiggle: the planted one, not a cascade.
    await expect.poll(() => wb.activeEditor().locator('.view-overlays .squiggly-error').count()).toBe(1);
  });

  it('shows the planted error in the Problems panel with its message, source, code and position', async () => {
    const { wb, page } = session();
    const e = plantedError();
    expect(e.message).toContain('out of range');
    await wb.runCommand('Focus on Problems View');
    const rows = page.locator('.markers-panel .monaco-list-row');
    // VS Code's own accessible label of a marker row: message, position and source.
    const label = `Error: ${e.message} at line ${e.line} and character ${e.col}. generated by dnnasm`;
    const row = page.locator(`.markers-panel .monaco-list-row[aria-label="${label}"]`);
    await wb.step('Problems panel lists the planted error', () => row.waitFor({ state: 'visible' }));
    expect(await row.locator('.marker-message').textContent()).toBe(e.message);
    expect(await row.locator('.marker-source').textContent()).toBe('dnnasm');
    expect(await row.locator('.marker-code').textContent()).toBe(e.code);
    expect(await row.locator('.marker-line').textContent()).toBe(`[Ln ${e.line}, Col ${e.col}]`);
    expect(await rows.evaluateAll((els) => els.map((x) => x.getAttribute('aria-label')))).toEqual([`1 problems in file ${BAD_FILE} of folder .`, label]);
    await wb.screenshot('01-problems');
  });

  it('shows the fixture program in the editor as DNNVM Assembly', async () => {
    const { wb } = session();
    await wb.openFile(GOOD_FILE);
    expect(await wb.languageMode()).toBe('DNNVM Assembly');
    const firstLines = goodProgram().split('\n').slice(0, 12).join('\n');
    await expect.poll(() => wb.visibleText(), { timeout: 20_000 }).toContain(firstLines);
    await wb.screenshot('02-editor');
  });

  it('hovering a mnemonic shows its ISA documentation', async () => {
    const { wb } = session();
    const load = specByMnemonic('LOAD')!;
    const text = await wb.hoverToken('bank_id=VB0[1]', 'LOAD', rendered(load.doc));
    // The facts the ISA table gives for the mnemonic, whatever the layout around them.
    expect(text.startsWith('LOAD'), text).toBe(true);
    for (const fact of [`${load.engine} engine`, `opcode 0x${load.opcode.toString(16)}`, `${load.words} words`, rendered(load.doc)]) expect(text).toContain(fact);
    await wb.screenshot('03-hover-mnemonic');
  });

  it('hovering a field shows its bits and documentation, and the clean program has no problems', async () => {
    const { wb, page } = session();
    const load = specByMnemonic('LOAD')!;
    const field = load.fields[load.fieldIndex['bank_id']!]!;
    const text = await wb.hoverToken('bank_id=VB0[1]', 'bank_id', rendered(field.doc));
    expect(text).toContain(`LOAD.bank_id — ${rendered(field.doc)}`);
    expect(text).toContain(`Bits ${fieldBits(field)}`);
    await wb.screenshot('04-hover-field');
    // The server analysed the clean file to answer the hovers (and published its diagnostics first):
    // the Problems panel still lists only the planted error.
    expect(assembleText(goodProgram(), `/ws/${GOOD_FILE}`).program.diagnostics).toEqual([]);
    const labels = await page.locator('.markers-panel .monaco-list-row').evaluateAll((els) => els.map((x) => x.getAttribute('aria-label') ?? ''));
    expect(labels.filter((l) => l.includes(GOOD_FILE))).toEqual([]);
    expect(labels).toHaveLength(2);
  });

  it("passes the extension-host suite of `npm run test:electron` (mocha, VS Code API) in code-server's extension host", async () => {
    const r = await runExtensionHostSuite(session());
    expect(r.failed, 'failed extension-host tests').toEqual([]);
    // All six ran: a suite that silently lost tests must not pass.
    expect(r.passed).toHaveLength(6);
  });
});
