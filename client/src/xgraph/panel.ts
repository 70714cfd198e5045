// The XGraph panel (extension host side): one webview per assembly document. It asks the language server
// for the graph (`dnnvm/xgraph`), refreshes it as the document changes, reveals a clicked node's layer
// marker in the assembly, and highlights the node of the instruction under the assembly's cursor.

import * as path from 'node:path';
import * as vscode from 'vscode';
import type { XGraphResult } from '../../../server/src/protocol';
import { writeFileAtomic } from '../compile';
import type { DnnvmServer } from '../lsp';
import { xgraphHtml } from './html';
import { nonce } from '../debug-timeline-html';
import { nodesAtLine } from './graph';
import { parseFromWebview, parseWebviewState, type FromWebview, type ToWebview } from './messages';

export const XGRAPH_VIEW_TYPE = 'dnnvm.xgraph';

export interface RenderedInfo {
  readonly nodes: number;
  readonly layoutMs: number;
  readonly renderMs: number;
}

export class XGraphPanel implements vscode.Disposable {
  private graph: XGraphResult | undefined;
  private ready = false;
  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private renderedWaiters: ((r: RenderedInfo) => void)[] = [];
  /** The last layout and render the webview reported. */
  lastRendered: RenderedInfo | undefined;
  private disposed = false;

  constructor(
    readonly panel: vscode.WebviewPanel,
    readonly uri: vscode.Uri,
    private readonly server: DnnvmServer,
    private readonly output: vscode.OutputChannel,
    extensionUri: vscode.Uri,
    private readonly onDispose: () => void,
  ) {
    const webviewRoot = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
    panel.webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: [webviewRoot] };
    panel.title = `XGraph: ${path.posix.basename(uri.path)}`;
    panel.webview.html = xgraphHtml({
      cspSource: panel.webview.cspSource,
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(webviewRoot, 'xgraph.js')).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(webviewRoot, 'xgraph.css')).toString(),
      nonce: nonce(),
    });
    this.disposables.push(
      panel.webview.onDidReceiveMessage((m: unknown) => this.receive(m)),
      panel.onDidDispose(() => this.dispose()),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.uri.toString() === this.uri.toString() && e.contentChanges.length) this.refreshSoon();
      }),
      vscode.window.onDidChangeTextEditorSelection((e) => {
        if (e.textEditor.document.uri.toString() === this.uri.toString()) this.cursorAt(e.selections[0]!.active.line);
      }),
    );
  }

  private post(m: ToWebview): void {
    if (!this.disposed) void this.panel.webview.postMessage(m);
  }

  private receive(raw: unknown): void {
    const m = parseFromWebview(raw, (why) => this.output.appendLine(`XGraph webview: ignored a message that does not match its schema (${why})`));
    if (!m) return;
    void this.handle(m);
  }

  private async handle(m: FromWebview): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        await this.refresh();
        return;
      case 'reveal':
        await this.reveal(m.id);
        return;
      case 'exportSvg':
        await this.exportSvg(m.svg);
        return;
      case 'rendered':
        this.lastRendered = { nodes: m.nodes, layoutMs: m.layoutMs, renderMs: m.renderMs };
        this.output.appendLine(`XGraph of ${path.posix.basename(this.uri.path)}: ${m.nodes} nodes${m.layoutMs ? `, laid out in ${m.layoutMs.toFixed(0)} ms` : ''}, drawn in ${m.renderMs.toFixed(0)} ms`);
        for (const w of this.renderedWaiters.splice(0)) w(this.lastRendered);
        return;
      case 'log':
        this.output.appendLine(`XGraph webview ${m.level}: ${m.message}`);
        return;
    }
  }

  /** Resolves at the webview's next finished render. */
  nextRender(): Promise<RenderedInfo> {
    return new Promise((resolve) => this.renderedWaiters.push(resolve));
  }

  get currentGraph(): XGraphResult | undefined {
    return this.graph;
  }

  private refreshSoon(): void {
    clearTimeout(this.refreshTimer);
    // After the server's own debounce and analysis: the graph's timings and lines follow the edit.
    this.refreshTimer = setTimeout(() => void this.refresh(), 400);
  }

  /** Ask the server for the graph and send it to the webview. */
  async refresh(): Promise<void> {
    if (!this.ready) return;
    try {
      // The server analyses open documents: make sure this one is.
      if (this.uri.path.endsWith('.dnnasm')) await vscode.workspace.openTextDocument(this.uri);
      const g = await this.server.xgraph(this.uri);
      if (this.disposed) return;
      this.graph = g;
      this.post({ type: 'graph', graph: g, file: path.posix.basename(this.uri.path), uri: this.uri.toString() });
      const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === this.uri.toString());
      if (editor) this.cursorAt(editor.selection.active.line);
    } catch (e) {
      this.post({ type: 'error', message: `No XGraph for ${path.posix.basename(this.uri.path)}: ${(e as Error).message}` });
    }
  }

  private cursorAt(line: number): void {
    if (this.graph) this.post({ type: 'highlight', ids: nodesAtLine(this.graph, line) });
  }

  /** Show a node's layer marker line in the assembly. */
  async reveal(id: string): Promise<boolean> {
    const node = this.graph?.nodes.find((n) => n.id === id);
    if (!node) {
      this.output.appendLine(`XGraph webview: reveal of unknown node ${JSON.stringify(id.slice(0, 80))} ignored`);
      return false;
    }
    if (node.asmLine === undefined) {
      void vscode.window.showInformationMessage(`${id} has no instructions in the assembly${node.device === 'cpu' ? ` (it runs on the CPU${node.reason ? `: ${node.reason}` : ''})` : ''}.`);
      return false;
    }
    const doc = await vscode.workspace.openTextDocument(this.uri);
    const visible = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === this.uri.toString());
    const column = visible?.viewColumn ?? (this.panel.viewColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One);
    const line = Math.min(node.asmLine, doc.lineCount - 1);
    // Focus stays in the graph: the user browses nodes and the assembly follows.
    const editor = await vscode.window.showTextDocument(doc, { viewColumn: column, preserveFocus: true, preview: false });
    editor.selection = new vscode.Selection(line, 0, line, doc.lineAt(line).text.length);
    editor.revealRange(new vscode.Range(line, 0, line, 0), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    return true;
  }

  private async exportSvg(svg: string): Promise<void> {
    const base = this.uri.path.replace(/\.dnnasm$/, '');
    const to = await vscode.window.showSaveDialog({ defaultUri: this.uri.with({ path: `${base}.xgraph.svg` }), filters: { 'SVG image': ['svg'] }, title: 'Export the XGraph as SVG' });
    if (!to) return;
    await writeFileAtomic(to, svg);
    this.output.appendLine(`XGraph exported to ${to.fsPath}`);
    void vscode.window.showInformationMessage(`XGraph exported to ${path.basename(to.fsPath)}.`);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    clearTimeout(this.refreshTimer);
    for (const d of this.disposables) d.dispose();
    this.panel.dispose();
    this.onDispose();
  }
}

export class XGraphPanels implements vscode.WebviewPanelSerializer, vscode.Disposable {
  private readonly panels = new Map<string, XGraphPanel>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly server: DnnvmServer,
    private readonly output: vscode.OutputChannel,
  ) {}

  get(uri: vscode.Uri): XGraphPanel | undefined {
    return this.panels.get(uri.toString());
  }

  /** Show (or bring forward) the XGraph panel of an assembly document. */
  show(uri: vscode.Uri): XGraphPanel {
    const existing = this.panels.get(uri.toString());
    if (existing) {
      existing.panel.reveal(undefined, true);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(XGRAPH_VIEW_TYPE, 'XGraph', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, { retainContextWhenHidden: true });
    return this.adopt(panel, uri);
  }

  private adopt(panel: vscode.WebviewPanel, uri: vscode.Uri): XGraphPanel {
    const p = new XGraphPanel(panel, uri, this.server, this.output, this.extensionUri, () => this.panels.delete(uri.toString()));
    this.panels.set(uri.toString(), p);
    return p;
  }

  /** Restore a panel after a reload, from the state its webview saved (validated like any message). */
  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    const s = parseWebviewState(state);
    if (!s) {
      this.output.appendLine('XGraph panel not restored: its saved state is not valid');
      panel.dispose();
      return;
    }
    this.adopt(panel, vscode.Uri.parse(s.uri, true));
  }

  dispose(): void {
    for (const p of [...this.panels.values()]) p.dispose();
  }
}
