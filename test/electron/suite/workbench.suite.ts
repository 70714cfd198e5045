// The extension-host suite: the checks of test/e2e/workbench.test.ts, made through the VS Code API
// instead of the screen. Runs inside VS Code (npm run test:electron), never under vitest.

import * as assert from 'node:assert/strict';
import Mocha from 'mocha';
import * as vscode from 'vscode';
import { assembleText, diagnosticLocation } from '../../../src-compiler/asm/file';
import { fieldBits, specByMnemonic } from '../../../src-compiler/isa/table';
import { BAD_FILE, GOOD_FILE, badProgram, goodProgram } from '../../e2e/harness/fixtures';

const EXTENSION_ID = 'dnnvm.dnnvm-workbench';

function fileUri(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'VS Code was started without the test workspace folder');
  return vscode.Uri.joinPath(folder.uri, name);
}

/** Resolve with the diagnostics of `uri` once `accept` holds for them (or they already do). */
function diagnosticsWhere(uri: vscode.Uri, accept: (d: readonly vscode.Diagnostic[]) => boolean, timeoutMs = 30_000): Promise<readonly vscode.Diagnostic[]> {
  return new Promise((resolve, reject) => {
    const now = vscode.languages.getDiagnostics(uri);
    if (accept(now)) return resolve(now);
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`no matching diagnostics for ${uri.fsPath} within ${timeoutMs} ms; last: ${JSON.stringify(vscode.languages.getDiagnostics(uri).map((d) => d.message))}`));
    }, timeoutMs);
    const sub = vscode.languages.onDidChangeDiagnostics((e) => {
      if (!e.uris.some((u) => u.toString() === uri.toString())) return;
      const d = vscode.languages.getDiagnostics(uri);
      if (accept(d)) {
        clearTimeout(timer);
        sub.dispose();
        resolve(d);
      }
    });
  });
}

async function hoverText(doc: vscode.TextDocument, lineText: string, token: string): Promise<string> {
  const line = doc.getText().split('\n').findIndex((l) => l.includes(lineText));
  assert.notEqual(line, -1, `no line containing ${lineText}`);
  const col = doc.lineAt(line).text.indexOf(token);
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(line, col + 1));
  return hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
}

export function registerExtensionTests(root: Mocha.Suite): void {
  const suite = Mocha.Suite.create(root, 'DNNVM Workbench in the VS Code extension host');
  const test = (title: string, fn: () => Promise<void> | void) => suite.addTest(new Mocha.Test(title, fn));

  test('is installed and not active before a .dnnasm file is opened', () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not loaded`);
    assert.equal(ext.isActive, false);
  });

  test('opening a .dnnasm file activates the extension and publishes the planted error', async () => {
    const uri = fileUri(BAD_FILE);
    const started = performance.now();
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, { preview: false });
    assert.equal(doc.languageId, 'dnnasm');
    const got = await diagnosticsWhere(uri, (d) => d.length > 0);
    console.log(`open ${BAD_FILE} -> first diagnostics: ${(performance.now() - started).toFixed(0)} ms`);
    assert.equal(vscode.extensions.getExtension(EXTENSION_ID)?.isActive, true);

    const a = assembleText(badProgram(), `/ws/${BAD_FILE}`);
    const expected = a.program.diagnostics.filter((d) => d.severity === 'error');
    assert.equal(expected.length, 1, 'the planted error is the only error of the bad program');
    const e = expected[0]!;
    const at = diagnosticLocation(a, e);
    assert.equal(got.length, 1, `expected only the planted error, got ${JSON.stringify(got.map((d) => d.message))}`);
    const d = got[0]!;
    assert.equal(d.message, e.message);
    assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(d.source, 'dnnasm');
    assert.equal(d.code, e.code);
    assert.deepEqual([d.range.start.line + 1, d.range.start.character + 1], [at.line, at.col]);
  });

  test('shows the fixture program as dnnasm with its content', async () => {
    const doc = await vscode.workspace.openTextDocument(fileUri(GOOD_FILE));
    const editor = await vscode.window.showTextDocument(doc, { preview: false });
    assert.equal(doc.languageId, 'dnnasm');
    assert.equal(editor.document.getText(), goodProgram());
  });

  test('hovering a mnemonic shows its ISA documentation', async () => {
    const doc = await vscode.workspace.openTextDocument(fileUri(GOOD_FILE));
    const load = specByMnemonic('LOAD')!;
    const text = await hoverText(doc, 'bank_id=VB0[1]', 'LOAD');
    // The facts the ISA table gives for the mnemonic, whatever the layout around them.
    assert.ok(text.startsWith('**LOAD**'), text);
    for (const fact of [`${load.engine} engine`, `opcode 0x${load.opcode.toString(16)}`, `${load.words} words`, load.doc]) assert.ok(text.includes(fact), `${fact} not in ${text}`);
  });

  test('hovering a field shows its bits and documentation', async () => {
    const doc = await vscode.workspace.openTextDocument(fileUri(GOOD_FILE));
    const load = specByMnemonic('LOAD')!;
    const field = load.fields[load.fieldIndex['bank_id']!]!;
    const text = await hoverText(doc, 'bank_id=VB0[1]', 'bank_id');
    assert.ok(text.includes(`**LOAD.bank_id** — ${field.doc}`), text);
    assert.ok(text.includes(`Bits ${fieldBits(field)}`), text);
  });

  test('the clean program has no diagnostics', async () => {
    assert.deepEqual(assembleText(goodProgram(), `/ws/${GOOD_FILE}`).program.diagnostics, []);
    // The hovers above made the server analyse it; its (empty) diagnostics were published before.
    assert.deepEqual(vscode.languages.getDiagnostics(fileUri(GOOD_FILE)), []);
  });
}
