// The `dnnasm` debugger in VS Code: the debug adapter runs inline in the extension host (the same
// DnnasmDebugSession that dist/debug-adapter.js runs over stdio), launch configurations default to the
// active .dnnasm file, and the engine timeline panel follows the debugger's current cycle.

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DnnasmDebugSession, POSITION_EVENT } from '../../server/src/debug/adapter';
import { nonce, timelineHtml } from './debug-timeline-html';
import { parseWebviewMessage, type Cursor, type HostMessage, type TimelineData } from '../../src-compiler/debug/timeline-model';

const TYPE = 'dnnasm';

export function registerDebugger(context: vscode.ExtensionContext): void {
  const timeline = new TimelinePanels(context);
  context.subscriptions.push(
    vscode.debug.registerDebugAdapterDescriptorFactory(TYPE, {
      createDebugAdapterDescriptor: () => new vscode.DebugAdapterInlineImplementation(new DnnasmDebugSession()),
    }),
    vscode.debug.registerDebugConfigurationProvider(TYPE, {
      provideDebugConfigurations: () => [{ type: TYPE, request: 'launch', name: 'Debug the .dnnasm program', program: '${file}', stopOnEntry: true }],
      resolveDebugConfiguration: (_folder, config) => {
        // F5 without a launch.json: debug the active assembly file.
        if (!config.type && !config.request && !config.name) {
          const doc = vscode.window.activeTextEditor?.document;
          if (doc?.languageId !== 'dnnasm') return undefined;
          return { type: TYPE, request: 'launch', name: `Debug ${path.basename(doc.fileName)}`, program: doc.fileName, stopOnEntry: true };
        }
        if (config.program === undefined) {
          const doc = vscode.window.activeTextEditor?.document;
          if (doc?.languageId === 'dnnasm') config.program = doc.fileName;
        }
        if (config.cwd === undefined && _folder) config.cwd = _folder.uri.fsPath;
        return config;
      },
    }),
    vscode.commands.registerCommand('dnnvm.debug.start', async (uri?: vscode.Uri) => {
      const file = uri?.fsPath ?? vscode.window.activeTextEditor?.document.fileName;
      if (!file || !/\.dnnasm$/i.test(file)) {
        void vscode.window.showErrorMessage('DNNVM: open a .dnnasm file to debug it (or pick one in the explorer).');
        return;
      }
      await vscode.debug.startDebugging(vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file)), { type: TYPE, request: 'launch', name: `Debug ${path.basename(file)}`, program: file, stopOnEntry: true });
    }),
    vscode.commands.registerCommand('dnnvm.debug.timeline', () => timeline.show(vscode.debug.activeDebugSession)),
    vscode.debug.onDidReceiveDebugSessionCustomEvent((e) => {
      if (e.session.type === TYPE && e.event === POSITION_EVENT) timeline.cursor(e.session, e.body as Cursor);
    }),
    vscode.debug.onDidTerminateDebugSession((s) => {
      if (s.type === TYPE) timeline.ended(s);
    }),
  );
}

class TimelinePanels {
  private panel: vscode.WebviewPanel | undefined;
  private session: vscode.DebugSession | undefined;
  private data: TimelineData | undefined;

  constructor(private readonly context: vscode.ExtensionContext) {}

  async show(session: vscode.DebugSession | undefined): Promise<void> {
    if (!session || session.type !== TYPE) {
      void vscode.window.showErrorMessage('DNNVM: the engine timeline needs a running dnnasm debug session: start one with Run > Start Debugging on a .dnnasm file.');
      return;
    }
    this.session = session;
    const dist = vscode.Uri.joinPath(this.context.extensionUri, 'dist');
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel('dnnvm.timeline', 'Engine timeline', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, { enableScripts: true, localResourceRoots: [dist], retainContextWhenHidden: true });
      this.panel.onDidDispose(() => (this.panel = undefined));
      this.panel.webview.onDidReceiveMessage((m: unknown) => void this.onMessage(m));
    }
    const webview = this.panel.webview;
    webview.html = timelineHtml(webview, webview.asWebviewUri(vscode.Uri.joinPath(dist, 'timeline.js')).toString(), nonce());
    this.panel.title = `Engine timeline: ${session.name}`;
    this.data = (await session.customRequest('dnnvm/timeline')) as TimelineData;
    this.panel.reveal(undefined, true);
  }

  private post(m: HostMessage): void {
    void this.panel?.webview.postMessage(m);
  }

  cursor(session: vscode.DebugSession, c: Cursor): void {
    if (session === this.session) this.post({ type: 'cursor', cursor: { cycle: c.cycle, position: c.position, events: c.events } });
  }

  ended(session: vscode.DebugSession): void {
    if (session === this.session) this.post({ type: 'ended' });
  }

  private async onMessage(raw: unknown): Promise<void> {
    const s = this.session;
    const d = this.data;
    const m = parseWebviewMessage(raw, { instructions: d?.lines.length ?? 0, cores: d?.cores ?? 0 });
    if (!m || !s) return;
    try {
      switch (m.type) {
        case 'ready':
          if (d) this.post({ type: 'data', data: d });
          else {
            this.data = (await s.customRequest('dnnvm/timeline')) as TimelineData;
            this.post({ type: 'data', data: this.data });
          }
          return;
        case 'reveal': {
          const program = s.configuration['program'] as string;
          const file = await this.sourceOf(s, program);
          const line = Math.max(0, (d?.lines[m.instr] ?? 1) - 1);
          const doc = await vscode.workspace.openTextDocument(file);
          const editor = await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, preserveFocus: true });
          const range = new vscode.Range(line, 0, line, doc.lineAt(line).text.length);
          editor.selection = new vscode.Selection(range.start, range.end);
          editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
          return;
        }
        case 'gotoInstruction':
          await s.customRequest('dnnvm/gotoInstruction', { core: m.core, instr: m.instr });
          return;
        case 'gotoCycle':
          await s.customRequest('dnnvm/gotoCycle', { cycle: m.cycle });
          return;
        case 'exportPerfetto': {
          const program = s.configuration['program'] as string;
          const target = await vscode.window.showSaveDialog({
            defaultUri: vscode.Uri.file(program.replace(/(\.manifest\.json|\.dnnasm)$/i, '') + '.trace.json'),
            filters: { 'Chrome trace (Perfetto)': ['json'] },
          });
          if (!target) return;
          const r = (await s.customRequest('dnnvm/perfetto')) as { json: string };
          await vscode.workspace.fs.writeFile(target, Buffer.from(r.json));
          void vscode.window.showInformationMessage(`DNNVM: wrote ${path.basename(target.fsPath)}; open it in ui.perfetto.dev or chrome://tracing.`);
          return;
        }
        case 'painted':
          return;
      }
    } catch (e) {
      void vscode.window.showErrorMessage(`DNNVM timeline: ${(e as Error).message}`);
    }
  }

  /** The .dnnasm of the session (a package's manifest names it). */
  private async sourceOf(s: vscode.DebugSession, program: string): Promise<string> {
    const abs = path.isAbsolute(program) ? program : path.resolve((s.configuration['cwd'] as string | undefined) ?? s.workspaceFolder?.uri.fsPath ?? '', program);
    if (!/\.json$/i.test(abs)) return abs;
    const m = JSON.parse(fs.readFileSync(abs, 'utf8')) as { files?: { asm?: string } };
    return path.resolve(path.dirname(abs), m.files?.asm ?? '');
  }
}
