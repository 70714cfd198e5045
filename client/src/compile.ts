// Compiling a model from the editor: the language server compiles and writes the package; this shows
// progress (cancellable), writes `<model>.dnnasm` (never over hand edits without asking), opens it, and
// on failure shows the error with a link to its location and changes nothing.

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CompileResult } from '../../server/src/protocol';
import { alternativeAsmName, decideAsmWrite, type ExistingAsm } from './asmFile';
import { describeLocation, type ErrorLocation } from './errors';
import { formatFps, formatSeconds } from './format';
import { ServerError, type DnnvmServer } from './lsp';
import { caffemodelForPrototxt, modelKind, prototxtForCaffemodel } from './models';
import type { StatusBar } from './status';

/** Read-only documents holding a newly compiled assembly, for the diff against a hand-edited file. */
export class GeneratedAssembly implements vscode.TextDocumentContentProvider {
  static readonly scheme = 'dnnvm-generated';
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  /** A URI showing `text` as the newly compiled version of `asm`. */
  put(asm: vscode.Uri, text: string): vscode.Uri {
    const uri = vscode.Uri.from({ scheme: GeneratedAssembly.scheme, path: asm.path.replace(/\.dnnasm$/, '.compiled.dnnasm') });
    this.texts.set(uri.toString(), text);
    this.changed.fire(uri);
    return uri;
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }
}

/** Write a file as a whole or not at all: a temporary sibling, then a rename over the target. */
export async function writeFileAtomic(uri: vscode.Uri, text: string): Promise<void> {
  const tmp = vscode.Uri.joinPath(uri, '..', `.${path.posix.basename(uri.path)}.${process.pid}.${Date.now()}.tmp`);
  await vscode.workspace.fs.writeFile(tmp, Buffer.from(text, 'utf8'));
  try {
    await vscode.workspace.fs.rename(tmp, uri, { overwrite: true });
  } catch (e) {
    await vscode.workspace.fs.delete(tmp).then(undefined, () => undefined);
    throw e;
  }
}

async function readText(uri: vscode.Uri): Promise<string | undefined> {
  try {
    return Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8');
  } catch {
    return undefined;
  }
}

export interface CompileOptions {
  /** Where to open the assembly (default: the active group). */
  readonly viewColumn?: vscode.ViewColumn;
}

/** Why a compilation failed: the server's message and where it points. */
export interface CompileError {
  readonly message: string;
  readonly location?: ErrorLocation;
}

export interface CompileOutcome {
  readonly result: CompileResult;
  /** The assembly that was opened: `<model>.dnnasm`, or the name the user chose for the new one. */
  readonly asm: vscode.Uri;
}

export class Compiler {
  private readonly problems = vscode.languages.createDiagnosticCollection('dnnvm-compile');
  /** The file each model's last failed compilation put its problem on. */
  private readonly problemFile = new Map<string, vscode.Uri>();
  private readonly finished = new vscode.EventEmitter<{ readonly model: vscode.Uri; readonly outcome: CompileOutcome | undefined; readonly error?: CompileError }>();
  /** Fires after each compilation the user started, with its outcome (undefined: failed, cancelled or refused) and the error if it failed. */
  readonly onDidCompile = this.finished.event;
  private lastError: CompileError | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly server: DnnvmServer,
    private readonly output: vscode.OutputChannel,
    private readonly generated: GeneratedAssembly,
    private readonly status: StatusBar,
  ) {
    context.subscriptions.push(this.problems, this.finished);
  }

  /** Compile a model file (.onnx, .prototxt, or .caffemodel with its .prototxt) and open its assembly. */
  async compile(model: vscode.Uri, opts: CompileOptions = {}): Promise<CompileOutcome | undefined> {
    let outcome: CompileOutcome | undefined;
    this.lastError = undefined;
    try {
      outcome = await this.run(model, opts);
    } finally {
      this.finished.fire({ model, outcome, ...(this.lastError ? { error: this.lastError } : {}) });
    }
    return outcome;
  }

  private async run(model: vscode.Uri, opts: CompileOptions): Promise<CompileOutcome | undefined> {
    const name = path.basename(model.fsPath);
    if (!vscode.workspace.isTrusted) {
      const pick = await vscode.window.showWarningMessage(`Compiling ${name} is disabled in Restricted Mode: compiling reads the model and writes files beside it.`, 'Manage Workspace Trust');
      if (pick) await vscode.commands.executeCommand('workbench.trust.manage');
      return undefined;
    }
    if (model.scheme !== 'file') {
      void vscode.window.showErrorMessage(`${name} is not on this machine's file system (${model.scheme}:); the compiler reads local files.`);
      return undefined;
    }
    const kind = modelKind(model.fsPath);
    if (!kind) {
      void vscode.window.showErrorMessage(`${name} is not a model: DNNVM compiles .onnx files and Caffe networks (.prototxt, with .caffemodel weights).`);
      return undefined;
    }
    let network = model.fsPath;
    let weights: string | undefined;
    if (kind === 'caffemodel') {
      const proto = await this.prototxtFor(model);
      if (!proto) return undefined;
      network = proto;
      weights = model.fsPath;
    } else if (kind === 'prototxt') {
      weights = caffemodelForPrototxt(network, await this.siblings(network));
    }

    const started = Date.now();
    let result: CompileResult;
    try {
      result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Compiling ${path.basename(network)}`, cancellable: true },
        (progress, token) => this.server.compile({ model: network, ...(weights ? { weights } : {}) }, token, (message, increment) => progress.report({ message, ...(increment ? { increment } : {}) })),
      );
    } catch (e) {
      if (e instanceof ServerError && e.cancelled) {
        this.output.appendLine(`Compiling ${network} cancelled; nothing was written.`);
        return undefined;
      }
      await this.failed(network, e);
      return undefined;
    }
    // The model compiles now: its earlier failure's problem goes.
    const stale = this.problemFile.get(network);
    if (stale) this.problems.delete(stale);
    this.problemFile.delete(network);
    this.output.appendLine(
      `Compiled ${network}${weights ? ` (weights ${path.basename(weights)})` : ''} for ${result.summary.arch} in ${((Date.now() - started) / 1000).toFixed(2)} s: ` +
        `${result.summary.instructions.toLocaleString('en')} instructions, ${formatSeconds(result.summary.seconds)} per image, ${formatFps(result.summary.fps)}; package ${result.manifestPath}`,
    );
    const asm = await this.writeAssembly(result);
    const doc = await vscode.workspace.openTextDocument(asm);
    await vscode.window.showTextDocument(doc, { preview: false, ...(opts.viewColumn ? { viewColumn: opts.viewColumn } : {}) });
    this.status.setSummary(asm, result.summary);
    return { result, asm };
  }

  private async siblings(file: string): Promise<string[]> {
    try {
      return await fs.promises.readdir(path.dirname(file));
    } catch {
      return [];
    }
  }

  /** The .prototxt for a .caffemodel: found beside it, remembered from an earlier answer, or asked for. */
  private async prototxtFor(caffemodel: vscode.Uri): Promise<string | undefined> {
    const key = `dnnvm.prototxt:${caffemodel.toString()}`;
    const remembered = this.context.workspaceState.get<string>(key);
    if (remembered && fs.existsSync(remembered)) return remembered;
    const found = prototxtForCaffemodel(caffemodel.fsPath, await this.siblings(caffemodel.fsPath));
    if (found) return found;
    const picked = await vscode.window.showOpenDialog({
      title: `Which network (.prototxt) do the weights in ${path.basename(caffemodel.fsPath)} belong to?`,
      defaultUri: vscode.Uri.joinPath(caffemodel, '..'),
      canSelectMany: false,
      filters: { 'Caffe network': ['prototxt'] },
      openLabel: 'Use This Network',
    });
    const proto = picked?.[0]?.fsPath;
    if (proto) await this.context.workspaceState.update(key, proto);
    return proto;
  }

  /** Report a failed compilation: the message with its location, a link to it, and a problem on the file. */
  private async failed(model: string, e: unknown): Promise<void> {
    const message = e instanceof Error ? e.message : String(e);
    const loc: ErrorLocation | undefined = e instanceof ServerError ? e.location : undefined;
    this.lastError = { message, ...(loc ? { location: loc } : {}) };
    const where = loc ? describeLocation(loc) : path.basename(model);
    this.output.appendLine(`Compiling ${model} failed: ${loc ? `${loc.file}${loc.line ? `:${loc.line}${loc.col ? `:${loc.col}` : ''}` : ''}: ` : ''}${message}`);
    const target = loc ? vscode.Uri.file(loc.file) : undefined;
    if (target && loc?.line) {
      // A problem on the model file too: the Problems panel lists it with a link, until the next compile.
      const text = (await readText(target)) ?? '';
      const lineText = text.split('\n')[loc.line - 1] ?? '';
      const col = Math.max(0, (loc.col ?? 1) - 1);
      const range = new vscode.Range(loc.line - 1, col, loc.line - 1, Math.max(col + 1, lineText.length));
      const d = new vscode.Diagnostic(range, message, vscode.DiagnosticSeverity.Error);
      d.source = 'dnnvm compile';
      this.problems.set(target, [d]);
      this.problemFile.set(model, target);
    }
    // Go to Error only for a line in a text file (a binary model would just open again).
    const actions = target && loc?.line ? ['Go to Error', 'Show Output'] : ['Show Output'];
    // Not awaited: the compilation is over (the model page shows it) while the notification waits for the user.
    void vscode.window.showErrorMessage(`Could not compile ${path.basename(model)}: ${where}: ${message}. Nothing was written.`, ...actions).then((pick) => {
      if (pick === 'Go to Error' && target) void openAt(target, loc!);
      else if (pick === 'Show Output') this.output.show(true);
    });
  }

  /** Write `<model>.dnnasm` unless it has hand edits; then the user chooses. Returns the file to open. */
  private async writeAssembly(r: CompileResult): Promise<vscode.Uri> {
    const asm = vscode.Uri.file(r.asmPath);
    const diskText = await readText(asm);
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === asm.toString());
    const existing: ExistingAsm | undefined = diskText === undefined ? undefined : { diskText, dirty: open?.isDirty ?? false };
    const decision = decideAsmWrite(existing, r);
    const base = path.basename(r.asmPath);
    switch (decision) {
      case 'create':
      case 'replace':
        await writeFileAtomic(asm, r.asmText);
        this.output.appendLine(`${decision === 'create' ? 'Wrote' : 'Replaced'} ${r.asmPath}`);
        return asm;
      case 'unchanged':
        this.output.appendLine(`${r.asmPath} is already the compiled assembly`);
        return asm;
      case 'conflict':
        break;
    }
    const generated = this.generated.put(asm, r.asmText);
    for (;;) {
      const why = existing?.dirty ? 'has unsaved changes' : 'has changes that are not the compiler’s (hand edits)';
      const pick = await vscode.window.showWarningMessage(`${base} ${why}, so the new assembly was not written over it.`, 'Compare', 'Keep', 'Write As…');
      if (pick === 'Compare') {
        await vscode.commands.executeCommand('vscode.diff', asm, generated, `${base} (yours) ↔ newly compiled`, { preview: false });
        continue;
      }
      if (pick === 'Write As…') {
        const suggested = alternativeAsmName(r.asmPath, (p) => fs.existsSync(p));
        const to = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(suggested), filters: { 'DNNVM Assembly': ['dnnasm'] }, title: 'Write the newly compiled assembly as', saveLabel: 'Write' });
        if (!to) continue;
        await writeFileAtomic(to, r.asmText);
        this.output.appendLine(`Wrote the newly compiled assembly as ${to.fsPath}; kept ${r.asmPath}`);
        return to;
      }
      this.output.appendLine(`Kept ${r.asmPath} with its edits; the newly compiled assembly was not written`);
      return asm;
    }
  }
}

/** Open a file at a 1-based line and column. */
export async function openAt(uri: vscode.Uri, loc: { line?: number; col?: number }): Promise<void> {
  const pos = new vscode.Position(Math.max(0, (loc.line ?? 1) - 1), Math.max(0, (loc.col ?? 1) - 1));
  await vscode.window.showTextDocument(uri, { selection: new vscode.Range(pos, pos), preview: false });
}
