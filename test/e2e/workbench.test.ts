// End-to-end: the packaged extension in a real VS Code (code-server, VS Code 1.100) driven through
// Chromium like a user would. Part of `npm test`; it needs Chromium and code-server, which `.ci/run`
// installs (`npm run setup:e2e` on a developer's machine). Without them it fails and says so; it is never
// skipped.
//
// The tests run in order on one workbench: opening the first .dnnasm file activates the extension.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Text } from '../../client/src/asmFile';
import { assembleText, diagnosticLocation } from '../../src-compiler/asm/file';
import { fieldBits, specByMnemonic } from '../../src-compiler/isa/table';
import { e2eUnavailable } from './harness/code-server';
import { runExtensionHostSuite } from './harness/extension-host-suite';
import { BAD_FILE, BROKEN_MODEL, BROKEN_ONNX, CAFFE_MODEL, GOOD_FILE, ONNX_MODEL, badProgram, brokenLocation, goodProgram } from './harness/fixtures';
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
    // The README (the marketplace page) shows its screenshots from the package.
    const images = [...fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8').matchAll(/!\[[^\]]*\]\((docs\/images\/[^)]+)\)/g)].map((m) => m[1]!);
    expect(images.length).toBeGreaterThan(0);
    for (const needed of ['package.json', 'dist/client.js', 'dist/server.js', 'dist/webview/xgraph.js', 'dist/webview/xgraph.css', 'dist/webview/model.css', 'syntaxes/dnnasm.tmLanguage.json', 'language-configuration.json', 'LICENSE.txt', ...images]) {
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
    // Only an activation line counts: the host's log lists every installed extension when it starts.
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

  /** A package manifest the server wrote into the workspace. */
  const manifest = (name: string) => JSON.parse(fs.readFileSync(path.join(session().workspace, `${name}.manifest.json`), 'utf8')) as { asmSha256: string; xgraph: { nodes: { name: string }[] } };
  const workspaceFile = (name: string) => fs.readFileSync(path.join(session().workspace, name), 'utf8');
  /** The 1-based line of the layer marker that holds `node` in an assembly text. */
  const layerLine = (asm: string, node: string) => asm.split('\n').findIndex((l) => l.startsWith('.layer ') && new RegExp(`\\bnodes=(?:[^ ]*,)?${node}(?:,|\\s|$)`).test(l)) + 1;

  it('opening an ONNX model compiles it and opens the assembly, written beside the model, as an editable file', async () => {
    const { wb, page, server } = session();
    // The custom editor applies once the extension host has registered the extension's contributions.
    await server.waitForExtensionHost();
    await wb.openFile(ONNX_MODEL);
    await wb.step('the compiled assembly opens', () => page.locator('.tabs-container .tab.active[aria-label="mnist.dnnasm"]').waitFor({ state: 'visible', timeout: 90_000 }));
    const asm = workspaceFile('mnist.dnnasm');
    // Exactly what the compiler generated (the manifest records its hash), shown in the editor.
    expect(sha256Text(asm)).toBe(manifest('mnist').asmSha256);
    await expect.poll(() => wb.visibleText(), { timeout: 20_000 }).toContain(asm.split('\n').slice(0, 8).join('\n'));
    expect(await wb.languageMode()).toBe('DNNVM Assembly');
    // The model's own tab stays, a page (no script) with the outcome and links.
    await expect(page.locator(`.tabs-container .tab[aria-label="${ONNX_MODEL}"]`).count()).resolves.toBe(1);
    await page.locator(`.tabs-container .tab[aria-label="${ONNX_MODEL}"]`).click();
    const modelPage = await wb.webviewFrame('body > table');
    expect(await modelPage.locator('h1').textContent()).toBe(ONNX_MODEL);
    const summary = (await modelPage.locator('table').textContent()) ?? '';
    expect(summary).toMatch(/TargetZU9, 3 cores/);
    expect(summary).toContain('instructions in mnist.dnnasm');
    expect(await modelPage.locator('a').allTextContents()).toEqual(['Open mnist.dnnasm', 'Show XGraph', 'Compile again']);
    expect(await modelPage.locator('script').count()).toBe(0);
    await wb.screenshot('05b-model-page');
    await page.locator('.tabs-container .tab[aria-label="mnist.dnnasm"]').click();
    await page.locator('.tabs-container .tab.active[aria-label="mnist.dnnasm"]').waitFor({ state: 'visible' });
    // The status bar shows the target and the program's latency and FPS.
    const status = page.locator('.statusbar-item', { hasText: /FPS/ }).first();
    await status.waitFor({ state: 'visible' });
    expect(await status.textContent()).toMatch(/ZU9 .*(µs|ms) · [\d,.]+ FPS/);
    await wb.screenshot('05-model-compiled');
  });

  it('a planted error in the compiled assembly shows in the Problems panel', async () => {
    const { wb, page } = session();
    const asm = workspaceFile('mnist.dnnasm');
    // Plant: the first LOAD of an input row reads a bank that does not exist.
    const lines = asm.split('\n');
    const at = lines.findIndex((l) => l.includes('bank_id=VB0[0]'));
    expect(at).toBeGreaterThan(0);
    const planted = lines.map((l, i) => (i === at ? l.replace('bank_id=VB0[0]', 'bank_id=VB0[9]') : l)).join('\n');
    const a = assembleText(planted, '/ws/mnist.dnnasm');
    const errors = a.program.diagnostics.filter((d) => d.severity === 'error');
    expect(errors).toHaveLength(1);
    const e = { message: errors[0]!.message, ...diagnosticLocation(a, errors[0]!) };
    expect(e.line).toBe(at + 1);
    // Replace the 0 of VB0[0] (1-based column of that digit).
    await wb.goToLine(at + 1, lines[at]!.indexOf('VB0[0]') + 'VB0['.length + 1);
    await page.keyboard.press('Delete');
    await page.keyboard.type('9');
    await page.keyboard.press('Control+S');
    await expect.poll(() => workspaceFile('mnist.dnnasm'), { timeout: 20_000 }).toBe(planted);
    await wb.runCommand('Focus on Problems View');
    // VS Code's accessible label of a marker row: message, position and source.
    const row = page.locator(`.markers-panel .monaco-list-row[aria-label="Error: ${e.message} at line ${e.line} and character ${e.col}. generated by dnnasm"]`);
    await wb.step('Problems panel lists the planted error in mnist.dnnasm', () => row.waitFor({ state: 'visible', timeout: 30_000 }));
    const files = await page.locator('.markers-panel .monaco-list-row').evaluateAll((els) => els.map((x) => x.getAttribute('aria-label') ?? '').filter((l) => l.includes('problems in file')));
    expect(files.some((l) => l.includes('mnist.dnnasm'))).toBe(true);
    await wb.screenshot('06-problems-compiled');
  });

  it('compiling again never overwrites hand edits: Compare shows the diff, Keep leaves the file', async () => {
    const { wb, page } = session();
    const edited = workspaceFile('mnist.dnnasm');
    await wb.explorerContextCommand(ONNX_MODEL, 'Compile Model');
    await wb.clickNotificationButton(/mnist\.dnnasm has changes that are not the compiler/, 'Compare');
    const diff = page.locator('.tabs-container .tab.active', { hasText: 'mnist.dnnasm (yours) ↔ newly compiled' });
    await wb.step('the diff editor opens', () => diff.waitFor({ state: 'visible' }));
    const diffEditor = page.locator('.editor-group-container.active .monaco-diff-editor');
    expect(await diffEditor.count()).toBe(1);
    // Both sides rendered, the planted change marked (a removed and an inserted line, or characters).
    await wb.step('the diff shows the hand edit', () => diffEditor.locator('.line-delete, .char-delete').first().waitFor({ state: 'visible' }));
    await diffEditor.locator('.line-insert, .char-insert').first().waitFor({ state: 'visible' });
    await wb.screenshot('07-compare-hand-edits');
    await wb.clickNotificationButton(/mnist\.dnnasm has changes that are not the compiler/, 'Keep');
    // The edited file is as it was; the package was compiled again (its manifest is the new one).
    await expect.poll(() => page.locator('.tabs-container .tab.active[aria-label="mnist.dnnasm"]').count(), { timeout: 20_000 }).toBe(1);
    expect(workspaceFile('mnist.dnnasm')).toBe(edited);
    expect(sha256Text(edited)).not.toBe(manifest('mnist').asmSha256);
  });

  it('Compile Model on a Caffe network from the explorer opens its assembly', async () => {
    const { wb, page } = session();
    await wb.explorerContextCommand(CAFFE_MODEL, 'Compile Model');
    await wb.step('lenet.dnnasm opens', () => page.locator('.tabs-container .tab.active[aria-label="lenet.dnnasm"]').waitFor({ state: 'visible', timeout: 90_000 }));
    expect(sha256Text(workspaceFile('lenet.dnnasm'))).toBe(manifest('lenet').asmSha256);
  });

  it('hovering an instruction of the compiled assembly shows its simulated timing', async () => {
    const { wb, page } = session();
    await page.locator('.editor-group-container .tabs-container .tab[aria-label^="lenet.dnnasm"]').first().click();
    const asm = workspaceFile('lenet.dnnasm');
    // The first CONV of the program, and its engine from the ISA table.
    const lines = asm.split('\n');
    const at = lines.findIndex((l) => /^\s+CONV\s/.test(l));
    const conv = specByMnemonic('CONV')!;
    await wb.goToLine(at + 1);
    const text = await wb.hoverToken(lines[at]!.trim().split(/\s+/).slice(0, 3).join(' '), 'CONV', 'cycles');
    // The timing the language server simulated: engine, start and end cycle, cycles, stalls, work.
    const m = new RegExp(`${conv.engine} engine: cycle ([\\d,]+) → ([\\d,]+), ([\\d,]+) cycles`).exec(text);
    expect(m, text).not.toBeNull();
    const [start, end, cycles] = m!.slice(1).map((x) => Number(x.replace(/,/g, '')));
    expect(end! - start!).toBe(cycles);
    expect(cycles).toBeGreaterThan(0);
    expect(text).toMatch(/stalls: /);
    expect(text).toMatch(/work: [\d.]+ [kMG]?MAC/);
    await wb.screenshot('10-hover-timing');
  });

  it('the XGraph webview shows every node; clicking one reveals its layer in the assembly, and the cursor highlights its node', async () => {
    const { wb, page } = session();
    const asm = workspaceFile('lenet.dnnasm');
    const nodes = manifest('lenet').xgraph.nodes.map((n) => n.name);
    await wb.runCommand('DNNVM: Show XGraph');
    const frame = await wb.webviewFrame('#graph[data-nodes]', 60_000);
    expect(await frame.locator('#graph').getAttribute('data-nodes')).toBe(String(nodes.length));
    await expect.poll(() => frame.locator('#graph g.node').count(), { timeout: 20_000 }).toBe(nodes.length);
    expect((await frame.locator('#graph g.node').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')))).sort()).toEqual([...nodes].sort());
    expect(await frame.locator('#graph g.group').count()).toBeGreaterThan(0);
    // Click the first fully connected layer: the editor shows its layer marker.
    const target = 'ip1';
    const line = layerLine(asm, target);
    expect(line).toBeGreaterThan(0);
    await frame.locator(`#graph g.node[data-id="${target}"]`).click();
    // The assembly's editor (focus stays in the graph) moves its cursor to the layer marker.
    const asmGroup = page.locator('.editor-group-container', { has: page.locator('.tabs-container .tab.active[aria-label^="lenet.dnnasm"]') });
    await wb.step(`the cursor goes to line ${line}`, () => expect.poll(() => asmGroup.locator('.monaco-editor .line-numbers.active-line-number').first().textContent(), { timeout: 20_000 }).toBe(String(line)));
    await asmGroup.locator('.tabs-container .tab.active').click();
    await expect.poll(() => wb.cursor().then((c) => c.line)).toBe(line);
    expect(await wb.activeTab()).toBe('lenet.dnnasm');
    // The reverse: the cursor inside conv2's layer highlights conv2 (and its fused pooling).
    const conv2 = layerLine(asm, 'conv2');
    await wb.goToLine(conv2 + 3);
    await expect.poll(() => frame.locator('#graph g.node.current').evaluateAll((els) => els.map((e) => e.getAttribute('data-id')).sort()), { timeout: 20_000 }).toEqual(
      nodes.filter((n) => layerLine(asm, n) === conv2).sort(),
    );
    await frame.locator(`#graph g.node[data-id="${target}"]`).hover();
    await frame.locator('#tooltip').waitFor({ state: 'visible' });
    await wb.screenshot('08-xgraph');
  });

  it('ignores and logs messages from the XGraph webview that do not match their schema; a valid one still acts', async () => {
    const { wb, page, server } = session();
    const asm = workspaceFile('lenet.dnnasm');
    const frame = await wb.webviewFrame('#graph[data-nodes]');
    const asmGroup = page.locator('.editor-group-container', { has: page.locator('.tabs-container .tab.active[aria-label^="lenet.dnnasm"]') });
    const activeLine = () => asmGroup.locator('.monaco-editor .line-numbers.active-line-number').first().textContent();
    const lineBefore = await activeLine();
    const ignored = () => server.outputChannelLog('DNNVM').split('\n').filter((l) => l.includes('XGraph webview: ignored a message that does not match its schema')).length;
    const before = ignored();
    // What a script in the webview could send: the page's acquireVsCodeApi().postMessage calls this function
    // of the frame around it (VS Code's webview host, which hides itself from the page as window.parent).
    const host = frame.parentFrame();
    if (!host) throw new Error('the XGraph page has no webview host frame around it');
    const post = (message: unknown) => host.evaluate((m) => (globalThis as unknown as Record<string, (c: string, d: unknown) => void>)['__vscode_post_message__']!('onmessage', { message: m }), message);
    await post({ type: 'command', command: 'workbench.action.quit' });
    await post({ type: 'reveal', id: '' });
    await post({ type: 'exportSvg', svg: '<script>alert(1)</script>' });
    await post('reveal');
    await wb.step('the extension logs the four messages as ignored', () => expect.poll(ignored, { timeout: 20_000 }).toBe(before + 4));
    // None of them moved the assembly's cursor (or did anything else visible).
    expect(await activeLine()).toBe(lineBefore);
    // The channel works: a valid reveal moves the cursor to conv1's layer marker.
    const line = layerLine(asm, 'conv1');
    expect(String(line)).not.toBe(lineBefore);
    await post({ type: 'reveal', id: 'conv1' });
    await expect.poll(activeLine, { timeout: 20_000 }).toBe(String(line));
  });

  it('a model that fails to compile shows the error with its location and a link, and leaves the workspace unchanged', async () => {
    const { wb, workspace } = session();
    const listing = () => fs.readdirSync(workspace).sort().map((f) => `${f} ${fs.statSync(path.join(workspace, f)).mtimeMs}`);
    const before = listing();
    const loc = brokenLocation();
    await wb.explorerContextCommand(BROKEN_MODEL, 'Compile Model');
    const toast = wb.notification(`Could not compile ${BROKEN_MODEL}`);
    await wb.step('the error notification shows', () => toast.waitFor({ state: 'visible', timeout: 60_000 }));
    const text = (await toast.locator('.notification-list-item-message').textContent()) ?? '';
    expect(text).toContain(`${BROKEN_MODEL}:${loc.line}:${loc.col}`);
    expect(text).toContain('num_output');
    await wb.screenshot('09-compile-error');
    await wb.clickNotificationButton(`Could not compile ${BROKEN_MODEL}`, 'Go to Error');
    await expect.poll(() => wb.activeTab(), { timeout: 20_000 }).toBe(BROKEN_MODEL);
    await expect.poll(() => wb.cursor()).toEqual(loc);
    expect(listing()).toEqual(before);
  });

  it('a model file that is not a model fails to open with its error on the model page, and nothing is written', async () => {
    const { wb, page, workspace } = session();
    const before = fs.readdirSync(workspace).sort();
    await wb.openFile(BROKEN_ONNX);
    const toast = wb.notification(`Could not compile ${BROKEN_ONNX}`);
    await wb.step('the error notification shows', () => toast.waitFor({ state: 'visible', timeout: 60_000 }));
    expect(await toast.locator('.notification-list-item-message').textContent()).toContain(`${BROKEN_ONNX}: not a valid ONNX model`);
    // No line to go to in a binary file: no Go to Error.
    expect(await toast.locator('.monaco-button', { hasText: 'Go to Error' }).count()).toBe(0);
    const modelPage = await wb.webviewFrame('p.error');
    expect(await modelPage.locator('h1').textContent()).toBe(BROKEN_ONNX);
    expect(await modelPage.locator('p.error').textContent()).toMatch(new RegExp(`^Could not compile ${BROKEN_ONNX.replace('.', '\\.')}: ${BROKEN_ONNX.replace('.', '\\.')}: not a valid ONNX model`));
    await wb.screenshot('11-broken-model');
    expect(fs.readdirSync(workspace).sort()).toEqual(before);
    await toast.locator('.codicon-notifications-clear, .codicon-close').first().click().catch(() => undefined);
    await expect(page.locator('.tabs-container .tab.active', { hasText: BROKEN_ONNX }).count()).resolves.toBe(1);
  });

  it("passes the extension-host suite of `npm run test:electron` (mocha, VS Code API) in code-server's extension host", async () => {
    const r = await runExtensionHostSuite(session());
    expect(r.failed, `failed extension-host tests; the extension's output:\n${session().server.outputChannelLog('DNNVM').split('\n').slice(-30).join('\n')}`).toEqual([]);
    // All twelve ran: a suite that silently lost tests must not pass.
    expect(r.passed).toHaveLength(12);
  });
});
