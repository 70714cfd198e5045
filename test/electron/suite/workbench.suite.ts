// The extension-host suite: the checks of test/e2e/workbench.test.ts, made through the VS Code API
// instead of the screen. Runs inside VS Code (npm run test:electron), never under vitest.

import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import * as vscode from 'vscode';
import type { DnnvmApi } from '../../../client/src/extension';
import type { XGraphPanel } from '../../../client/src/xgraph/panel';
import { assembleText, diagnosticLocation } from '../../../src-compiler/asm/file';
import { fieldBits, specByMnemonic } from '../../../src-compiler/isa/table';
import { BAD_FILE, CAFFE_MODEL, GOOD_FILE, badProgram, goodProgram } from '../../e2e/harness/fixtures';

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

const sha256 = (text: string) => createHash('sha256').update(Buffer.from(text, 'utf8')).digest('hex');

/** A fresh folder in the workspace with a copy of the Caffe model, compiled by the tests below. */
function freshModel(): vscode.Uri {
  const dir = path.join(fileUri('.').fsPath, 'suite-compile');
  fs.mkdirSync(dir, { recursive: true });
  const model = path.join(dir, CAFFE_MODEL);
  fs.copyFileSync(fileUri(CAFFE_MODEL).fsPath, model);
  return vscode.Uri.file(model);
}

function api(): DnnvmApi {
  const ext = vscode.extensions.getExtension<DnnvmApi>(EXTENSION_ID);
  assert.ok(ext?.isActive, 'the extension is not active');
  return ext.exports;
}

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
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

  let asm: vscode.Uri | undefined;
  const compiled = () => asm ?? assert.fail('the Compile Model test did not run first');
  const manifestOf = (a: vscode.Uri) => JSON.parse(fs.readFileSync(a.fsPath.replace(/\.dnnasm$/, '.manifest.json'), 'utf8')) as { asmSha256: string; xgraph: { nodes: { name: string }[] } };

  test('Compile Model writes <model>.dnnasm beside the model, as generated, and opens it', async () => {
    const model = freshModel();
    asm = await vscode.commands.executeCommand<vscode.Uri | undefined>('dnnvm.compileModel', model);
    assert.ok(asm, 'compiling returned no assembly');
    assert.equal(asm.fsPath, model.fsPath.replace(/\.prototxt$/, '.dnnasm'));
    const text = fs.readFileSync(asm.fsPath, 'utf8');
    assert.equal(sha256(text), manifestOf(asm).asmSha256, 'the file is not the assembly the compiler generated');
    const editor = vscode.window.activeTextEditor;
    assert.equal(editor?.document.uri.fsPath, asm.fsPath);
    assert.equal(editor.document.languageId, 'dnnasm');
    assert.equal(editor.document.getText(), text);
    // Compiling again replaces an untouched file without asking (and leaves it as generated).
    assert.equal((await vscode.commands.executeCommand<vscode.Uri | undefined>('dnnvm.compileModel', model))?.fsPath, asm.fsPath);
    assert.equal(sha256(fs.readFileSync(asm.fsPath, 'utf8')), manifestOf(asm).asmSha256);
  });

  test('the status bar shows the target and the program’s latency and FPS', async () => {
    await vscode.window.showTextDocument(compiled(), { preview: false });
    const text = await until('a simulation summary in the status bar', async () => {
      await api().status.refresh();
      return /FPS/.test(api().status.text) ? api().status.text : undefined;
    });
    assert.match(text, /^\$\(chip\) ZU9 \$\(watch\) [\d.]+ (µs|ms) · [\d,.]+ FPS$/);
  });

  test('Show XGraph renders every node of the package and a node reveals its layer marker', async () => {
    const panel = await vscode.commands.executeCommand<XGraphPanel | undefined>('dnnvm.showXGraph', compiled());
    assert.ok(panel, 'no XGraph panel');
    const rendered = panel.lastRendered ?? (await Promise.race([panel.nextRender(), new Promise<never>((_, no) => setTimeout(() => no(new Error('the XGraph webview did not render within 60 s')), 60_000))]));
    const nodes = manifestOf(compiled()).xgraph.nodes.map((n) => n.name);
    assert.equal(rendered.nodes, nodes.length);
    assert.deepEqual(panel.currentGraph?.nodes.map((n) => n.id).sort(), [...nodes].sort());
    const ip1 = panel.currentGraph!.nodes.find((n) => n.id === 'ip1');
    assert.ok(ip1?.asmLine !== undefined, 'ip1 has no assembly line');
    assert.equal(await panel.reveal('ip1'), true);
    const editor = vscode.window.activeTextEditor;
    assert.equal(editor?.document.uri.fsPath, compiled().fsPath);
    assert.equal(editor.selection.active.line, ip1.asmLine);
    assert.match(editor.document.lineAt(ip1.asmLine).text, /^\.layer .*\bnodes=(\S*,)?ip1\b/);
    panel.dispose();
  });

  test('Export Trace saves the simulation as Chrome trace JSON', async () => {
    const to = vscode.Uri.file(compiled().fsPath.replace(/\.dnnasm$/, '.trace.json'));
    const written = await vscode.commands.executeCommand<vscode.Uri | undefined>('dnnvm.exportTrace', compiled(), to);
    assert.equal(written?.fsPath, to.fsPath);
    const trace = JSON.parse(fs.readFileSync(to.fsPath, 'utf8')) as { traceEvents: { ph: string; name: string }[] };
    assert.ok(trace.traceEvents.filter((e) => e.ph === 'X').length > 0, 'the trace has no complete events');
  });

  test('Validate runs the compiled program bit-exactly against the integer reference', async () => {
    const r = await vscode.commands.executeCommand<{ bitExact: boolean; layersChecked: number; problems: readonly string[] } | undefined>('dnnvm.validate', compiled());
    assert.ok(r, 'no validation result');
    assert.deepEqual(r.problems, []);
    assert.equal(r.bitExact, true);
    assert.ok(r.layersChecked >= 4, `${r.layersChecked} layers checked`);
  });

  test('Select Target Architecture sets dnnvm.target, and the program is simulated for that target', async () => {
    try {
      assert.equal(await vscode.commands.executeCommand('dnnvm.selectTarget', 'ZU2'), 'ZU2');
      assert.equal(vscode.workspace.getConfiguration('dnnvm').get('target'), 'ZU2');
      const s = await until('a simulation on ZU2', async () => {
        const r = await api().commands.simulate(compiled());
        return r?.arch === 'ZU2' ? r : undefined;
      });
      assert.equal(s.cores, 1);
    } finally {
      await vscode.commands.executeCommand('dnnvm.selectTarget', '');
    }
  });
}
