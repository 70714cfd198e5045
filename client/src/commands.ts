// The commands that ask the language server about a program: Simulate, Validate, Export Trace, Show
// XGraph. Each takes a resource (from the explorer, an editor title, a command link or another
// extension) or uses the active editor.

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SimulationSummary, ValidateResult } from '../../server/src/protocol';
import { writeFileAtomic, type Compiler } from './compile';
import { formatFps, formatSeconds } from './format';
import { ServerError, type DnnvmServer } from './lsp';
import { asmPathOf, modelKind } from './models';
import type { StatusBar } from './status';
import type { XGraphPanel, XGraphPanels } from './xgraph/panel';

/** A resource argument: a Uri, or a URI string (command links pass JSON). */
export function resourceArg(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg === 'string' && arg) return /^[a-z][a-z0-9+.-]+:/i.test(arg) ? vscode.Uri.parse(arg, true) : vscode.Uri.file(arg);
  return undefined;
}

/** The resource a command works on: its argument, else the active text or custom editor's. */
export function targetResource(arg: unknown): vscode.Uri | undefined {
  const given = resourceArg(arg);
  if (given) return given;
  const editor = vscode.window.activeTextEditor;
  if (editor) return editor.document.uri;
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (input instanceof vscode.TabInputCustom || input instanceof vscode.TabInputText) return input.uri;
  return undefined;
}

/** The assembly document of a command's target: a .dnnasm itself, or the one compiled beside a model. */
async function assemblyOf(arg: unknown, what: string): Promise<vscode.TextDocument | undefined> {
  const uri = targetResource(arg);
  if (!uri) {
    void vscode.window.showErrorMessage(`${what}: open a .dnnasm file (or a model that has been compiled) first.`);
    return undefined;
  }
  let asm = uri;
  if (modelKind(uri.fsPath)) {
    asm = vscode.Uri.file(asmPathOf(uri.fsPath));
    if (!fs.existsSync(asm.fsPath)) {
      void vscode.window.showErrorMessage(`${what}: ${path.basename(uri.fsPath)} has not been compiled yet (no ${path.basename(asm.fsPath)}); run DNNVM: Compile Model.`);
      return undefined;
    }
  }
  if (!asm.path.endsWith('.dnnasm')) {
    void vscode.window.showErrorMessage(`${what}: ${path.posix.basename(asm.path)} is not a .dnnasm program.`);
    return undefined;
  }
  // Opening it syncs it to the language server, which analyses open documents.
  return vscode.workspace.openTextDocument(asm);
}

export class Commands {
  constructor(
    private readonly server: DnnvmServer,
    private readonly compiler: Compiler,
    private readonly panels: XGraphPanels,
    private readonly status: StatusBar,
    private readonly output: vscode.OutputChannel,
  ) {}

  async compileModel(arg: unknown): Promise<vscode.Uri | undefined> {
    let uri = targetResource(arg);
    if (!uri || !modelKind(uri.fsPath)) {
      const picked = await vscode.window.showOpenDialog({ title: 'Compile Model', canSelectMany: false, filters: { Models: ['onnx', 'prototxt', 'caffemodel'] }, openLabel: 'Compile' });
      uri = picked?.[0];
      if (!uri) return undefined;
    }
    return (await this.compiler.compile(uri))?.asm;
  }

  async showXGraph(arg: unknown): Promise<XGraphPanel | undefined> {
    const uri = targetResource(arg);
    if (uri && modelKind(uri.fsPath) && !fs.existsSync(asmPathOf(uri.fsPath))) {
      // A model not compiled yet: compile first, then show the graph of its program.
      const out = await this.compiler.compile(uri);
      return out ? this.panels.show(out.asm) : undefined;
    }
    const doc = await assemblyOf(arg, 'Show XGraph');
    return doc ? this.panels.show(doc.uri) : undefined;
  }

  /** The simulation of a program as the server last analysed it (waiting briefly for a first analysis). */
  async simulate(arg: unknown): Promise<SimulationSummary | undefined> {
    const doc = await assemblyOf(arg, 'Simulate');
    if (!doc) return undefined;
    let s: SimulationSummary | null = null;
    const deadline = Date.now() + 10_000;
    for (;;) {
      s = await this.server.simulation(doc.uri).catch((e: Error) => (this.output.appendLine(`Simulate: ${e.message}`), null));
      if (s || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    if (!s) {
      void vscode.window.showErrorMessage(`Simulate: no simulation of ${path.basename(doc.uri.fsPath)} (see the DNNVM output).`);
      return undefined;
    }
    this.status.setSummary(doc.uri, s);
    const name = path.basename(doc.uri.fsPath);
    this.output.appendLine(`Simulation of ${name} on ${s.arch} (${s.cores} cores, throughput mode): ${s.status}, ${Math.round(s.cycles).toLocaleString('en')} cycles = ${formatSeconds(s.seconds)} per image, ${formatFps(s.fps)}, ${(s.opsPerSecond / 1e9).toFixed(1)} GOP/s, ${s.instructions} instructions`);
    for (const l of s.layers) this.output.appendLine(`  ${doc.uri.fsPath}:${l.line + 1}  ${l.name.padEnd(32)} ${Math.round(l.cycles).toLocaleString('en').padStart(12)} cycles  ${(l.opsPerSecond / 1e9).toFixed(1).padStart(8)} GOP/s  roofline ${(100 * l.rooflineFraction).toFixed(0)}%`);
    const msg = s.status === 'complete' ? `${name} on ${s.arch}: ${formatSeconds(s.seconds)} per image, ${formatFps(s.fps)}.` : `${name} on ${s.arch}: the simulation ended with ${s.status}.`;
    void vscode.window.showInformationMessage(msg, 'Show Layers').then((p) => p && this.output.show(true));
    return s;
  }

  async validate(arg: unknown): Promise<ValidateResult | undefined> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('Validating is disabled in Restricted Mode: it compiles and runs the model.');
      return undefined;
    }
    const uri = targetResource(arg);
    if (!uri || !(modelKind(uri.fsPath) || uri.path.endsWith('.dnnasm'))) {
      void vscode.window.showErrorMessage('Validate: choose a model or a compiled .dnnasm program.');
      return undefined;
    }
    const name = path.basename(uri.fsPath);
    let r: ValidateResult;
    try {
      r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Validating ${name}`, cancellable: true }, (progress, token) =>
        this.server.validate({ uri: uri.toString() }, token, (message, increment) => progress.report({ message, ...(increment ? { increment } : {}) })),
      );
    } catch (e) {
      if (e instanceof ServerError && e.cancelled) return undefined;
      this.output.appendLine(`Validating ${uri.fsPath} failed: ${(e as Error).message}`);
      void vscode.window.showErrorMessage(`Could not validate ${name}: ${(e as Error).message}`);
      return undefined;
    }
    this.output.appendLine(`Validation of ${uri.fsPath}: ${r.layersChecked} layers checked, bit-exact: ${r.bitExact ? 'yes' : 'NO'}`);
    if (r.firstMismatch) this.output.appendLine(`  first mismatch: layer ${r.firstMismatch.layer}, tensor ${r.firstMismatch.tensor}: ${r.firstMismatch.differing} of ${r.firstMismatch.total} bytes differ`);
    for (const p of r.problems) this.output.appendLine(`  ${p}`);
    if (r.float) this.output.appendLine(`  against the float model: cosine ${r.float.cosine.toFixed(4)}, top-1 ${r.float.top1Agree ? 'agrees' : 'differs'}`);
    if (r.bitExact) void vscode.window.showInformationMessage(`${name}: bit-exact against the integer reference (${r.layersChecked} layers checked).`);
    else void vscode.window.showErrorMessage(`${name}: NOT bit-exact${r.firstMismatch ? `: first mismatch in layer ${r.firstMismatch.layer} (${r.firstMismatch.differing} of ${r.firstMismatch.total} bytes)` : ''}.`, 'Show Output').then((p) => p && this.output.show(true));
    return r;
  }

  /** Save the simulation's Chrome trace JSON: to `to` if given, else where the user says. */
  async exportTrace(arg: unknown, to?: unknown): Promise<vscode.Uri | undefined> {
    const doc = await assemblyOf(arg, 'Export Trace');
    if (!doc) return undefined;
    let json: string;
    try {
      json = (await this.server.trace(doc.uri)).json;
    } catch (e) {
      this.output.appendLine(`Export Trace of ${doc.uri.fsPath} failed: ${(e as Error).message}`);
      void vscode.window.showErrorMessage(`Export Trace: ${(e as Error).message}`);
      return undefined;
    }
    let target = resourceArg(to);
    if (!target) {
      target = await vscode.window.showSaveDialog({ defaultUri: doc.uri.with({ path: doc.uri.path.replace(/\.dnnasm$/, '.trace.json') }), filters: { 'Chrome trace (JSON)': ['json'] }, title: 'Export the simulation trace', saveLabel: 'Export' });
      if (!target) return undefined;
      void vscode.window.showInformationMessage(`Trace saved as ${path.basename(target.fsPath)}: open it in Perfetto or chrome://tracing.`);
    }
    await writeFileAtomic(target, json);
    this.output.appendLine(`Trace of ${doc.uri.fsPath} written to ${target.fsPath} (${json.length.toLocaleString('en')} bytes)`);
    return target;
  }
}
