// The status bar item: the target and the program's total latency and FPS, from the language server's
// simulation of the active .dnnasm document (`dnnvm/simulation`), refreshed as the server re-analyses.

import * as vscode from 'vscode';
import type { SimulationSummary } from '../../server/src/protocol';
import { statusText, statusTooltip } from './format';
import type { DnnvmServer } from './lsp';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('dnnvm.status', vscode.StatusBarAlignment.Right, 100);
  private readonly summaries = new Map<string, SimulationSummary>();
  /** The document version each summary is of: diagnostics republished for the same version ask nothing. */
  private readonly versions = new Map<string, number>();
  private readonly disposables: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  private generation = 0;

  constructor(private readonly server: DnnvmServer) {
    this.item.name = 'DNNVM target and latency';
    this.item.command = 'dnnvm.selectTarget';
    this.disposables.push(
      this.item,
      // Another editor: show what is known of it, and ask only if its current version has no summary yet.
      vscode.window.onDidChangeActiveTextEditor((e) => {
        this.render();
        if (e && this.versions.get(e.document.uri.toString()) !== e.document.version) this.refreshSoon(0);
      }),
      // The server publishes diagnostics after each analysis (and simulation) of an edit.
      vscode.languages.onDidChangeDiagnostics((e) => {
        const doc = vscode.window.activeTextEditor?.document;
        if (!doc || !e.uris.some((u) => u.toString() === doc.uri.toString())) return;
        if (this.versions.get(doc.uri.toString()) !== doc.version) this.refreshSoon();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('dnnvm.target')) {
          this.versions.clear();
          this.refreshSoon();
        }
      }),
      vscode.workspace.onDidCloseTextDocument((d) => {
        this.summaries.delete(d.uri.toString());
        this.versions.delete(d.uri.toString());
      }),
    );
    this.refreshSoon(0);
  }

  /** The latest summary of a document, if any. */
  summary(uri: vscode.Uri): SimulationSummary | undefined {
    return this.summaries.get(uri.toString());
  }

  /** A summary known without asking (a compile result). */
  setSummary(uri: vscode.Uri, s: SimulationSummary): void {
    this.summaries.set(uri.toString(), s);
    this.render();
  }

  private configuredTarget(): string {
    return vscode.workspace.getConfiguration('dnnvm').get<string>('target') || 'program .arch';
  }

  refreshSoon(ms = 250): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), ms);
  }

  /** Ask the server for the active document's summary and show it. */
  async refresh(): Promise<SimulationSummary | undefined> {
    const doc = vscode.window.activeTextEditor?.document;
    this.render();
    if (doc?.languageId !== 'dnnasm') return undefined;
    const mine = ++this.generation;
    const version = doc.version;
    try {
      const s = await this.server.simulation(doc.uri);
      if (mine !== this.generation) return undefined; // a newer refresh is under way
      if (s) {
        this.summaries.set(doc.uri.toString(), s);
        this.versions.set(doc.uri.toString(), version);
      }
      this.render();
      return s ?? undefined;
    } catch {
      // No summary (yet): keep the last one.
      return undefined;
    }
  }

  private render(): void {
    const doc = vscode.window.activeTextEditor?.document;
    // Programs on disk or unsaved; not the read-only newly compiled side of a comparison.
    if (doc?.languageId !== 'dnnasm' || (doc.uri.scheme !== 'file' && doc.uri.scheme !== 'untitled')) {
      this.item.hide();
      return;
    }
    const s = this.summaries.get(doc.uri.toString());
    this.item.text = statusText(this.configuredTarget(), s);
    this.item.tooltip = s ? statusTooltip(s) : 'Not simulated yet. Click to select the target architecture';
    this.item.show();
  }

  /** What the item shows now (for the extension-host tests). */
  get text(): string {
    return this.item.text;
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }
}
