// The custom editor for model files (.onnx, .caffemodel): opening one compiles it and opens the
// generated assembly as an ordinary text editor. The model's own tab stays as a small page with the
// outcome (or the error and a link to it) and links to compile again and show the XGraph. The page has
// no script at all: its links are command URIs limited to the extension's own commands.

import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SimulationSummary } from '../../server/src/protocol';
import type { CompileError, Compiler } from './compile';
import { describeLocation } from './errors';
import { formatFps, formatSeconds } from './format';
import { contentSecurityPolicy } from './xgraph/html';
import { nonce } from './debug-timeline-html';

export const MODEL_VIEW_TYPE = 'dnnvm.model';

type PageState =
  | { readonly kind: 'compiling' }
  | { readonly kind: 'compiled'; readonly asm: vscode.Uri; readonly summary: SimulationSummary }
  | { readonly kind: 'notCompiled'; readonly error?: CompileError }
  | { readonly kind: 'restricted' };

const esc = (s: string) => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!);
const commandLink = (command: string, args: unknown[], label: string) => `<a href="${esc(`command:${command}?${encodeURIComponent(JSON.stringify(args))}`)}">${esc(label)}</a>`;

/** The commands the page may link to (enableCommandUris). */
const PAGE_COMMANDS = ['dnnvm.compileModel', 'dnnvm.showXGraph', 'vscode.open', 'workbench.trust.manage', 'dnnvm.showOutput', 'dnnvm.openLocation'];

export class ModelEditorProvider implements vscode.CustomReadonlyEditorProvider {
  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly compiler: Compiler,
  ) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  async resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): Promise<void> {
    const styleRoot = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    panel.webview.options = { enableScripts: false, enableCommandUris: PAGE_COMMANDS, localResourceRoots: [styleRoot] };
    const style = panel.webview.asWebviewUri(vscode.Uri.joinPath(styleRoot, 'model.css')).toString();
    const show = (s: PageState) => (panel.webview.html = modelPage(document.uri, s, panel.webview.cspSource, style));
    if (!vscode.workspace.isTrusted) {
      show({ kind: 'restricted' });
      return;
    }
    // The page follows every compilation of this model, also those started from its "Compile again" link.
    const sub = this.compiler.onDidCompile((e) => {
      if (e.model.toString() !== document.uri.toString()) return;
      show(e.outcome ? { kind: 'compiled', asm: e.outcome.asm, summary: e.outcome.result.summary } : { kind: 'notCompiled', ...(e.error ? { error: e.error } : {}) });
    });
    panel.onDidDispose(() => sub.dispose());
    show({ kind: 'compiling' });
    // Compile after the editor is up: the model's tab shows the progress, then the assembly opens in its place.
    setTimeout(() => void this.compiler.compile(document.uri, { viewColumn: panel.viewColumn ?? vscode.ViewColumn.Active }), 0);
  }
}

export function modelPage(model: vscode.Uri, s: PageState, cspSource: string, styleUri: string): string {
  const name = path.basename(model.fsPath);
  const again = commandLink('dnnvm.compileModel', [model.toString()], 'Compile again');
  let body: string;
  switch (s.kind) {
    case 'restricted':
      body = `<p>Compiling models is disabled in Restricted Mode: compiling reads the model and writes files beside it.</p><p>${commandLink('workbench.trust.manage', [], 'Manage Workspace Trust')}</p>`;
      break;
    case 'compiling':
      body = `<p class="muted">Compiling ${esc(name)}…</p>`;
      break;
    case 'notCompiled': {
      const e = s.error;
      const where = e?.location ? commandLink('dnnvm.openLocation', [e.location.file, e.location.line ?? 1, e.location.col ?? 1], describeLocation(e.location)) : '';
      body = e
        ? `<p class="error">Could not compile ${esc(name)}: ${where ? `${where}: ` : ''}${esc(e.message)}</p><p>Nothing was written. ${again} · ${commandLink('dnnvm.showOutput', [], 'DNNVM output')}</p>`
        : `<p>${esc(name)} was not compiled (cancelled, or see the ${commandLink('dnnvm.showOutput', [], 'DNNVM output')}). Nothing was written.</p><p>${again}</p>`;
      break;
    }
    case 'compiled': {
      const asmName = path.basename(s.asm.fsPath);
      const x = s.summary;
      body = `<table>
<tr><th>Target</th><td>${esc(x.arch)}, ${x.cores} core${x.cores === 1 ? '' : 's'}</td></tr>
<tr><th>Latency</th><td>${esc(formatSeconds(x.seconds))} per image (${Math.round(x.cycles).toLocaleString('en')} cycles)</td></tr>
<tr><th>Throughput</th><td>${esc(formatFps(x.fps))}, ${(x.opsPerSecond / 1e9).toFixed(1)} GOP/s</td></tr>
<tr><th>Program</th><td>${x.instructions.toLocaleString('en')} instructions in ${esc(asmName)}</td></tr>
</table>
<p>${commandLink('vscode.open', [s.asm.toString()], `Open ${asmName}`)} · ${commandLink('dnnvm.showXGraph', [s.asm.toString()], 'Show XGraph')} · ${again}</p>`;
      break;
    }
  }
  // No script: script-src gets a nonce that no script carries.
  const csp = contentSecurityPolicy({ cspSource, nonce: nonce() });
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">
<link rel="stylesheet" href="${esc(styleUri)}">
<title>${esc(name)}</title></head>
<body><h1>${esc(name)}</h1>${body}</body></html>`;
}
