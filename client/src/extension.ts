// The VS Code extension: a thin shell. The language server (dist/server.js, on the compiler library)
// analyses .dnnasm documents and answers the custom requests (compile, xgraph, simulation, trace,
// validate); this starts it and adds what needs VS Code's API: the model editor, the commands, the
// XGraph webview, the status bar, and the debugger (debug.ts).
//
// Activation (package.json): opening a .dnnasm file or a model (custom editor), one of the commands, or
// restoring an XGraph panel.

import * as vscode from 'vscode';
import { Commands } from './commands';
import { Compiler, GeneratedAssembly, openAt } from './compile';
import { registerDebugger } from './debug';
import { followLimitSettings } from './limits';
import { DnnvmServer } from './lsp';
import { MODEL_VIEW_TYPE, ModelEditorProvider } from './modelEditor';
import { StatusBar } from './status';
import { selectTarget } from './target';
import { XGRAPH_VIEW_TYPE, XGraphPanels } from './xgraph/panel';

/** What the extension offers other extensions and its extension-host tests. */
export interface DnnvmApi {
  readonly commands: Commands;
  readonly panels: XGraphPanels;
  readonly status: StatusBar;
  /** Milliseconds activate() took until the language server was ready. */
  readonly activationMs: number;
}

let server: DnnvmServer | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<DnnvmApi> {
  const started = performance.now();
  registerDebugger(context);
  const output = vscode.window.createOutputChannel('DNNVM');
  context.subscriptions.push(followLimitSettings(output));
  server = new DnnvmServer(context, output);
  const status = new StatusBar(server);
  const generated = new GeneratedAssembly();
  const compiler = new Compiler(context, server, output, generated, status);
  const panels = new XGraphPanels(context.extensionUri, server, output);
  const commands = new Commands(server, compiler, panels, status, output);
  context.subscriptions.push(
    output,
    status,
    panels,
    { dispose: () => void server?.dispose() },
    vscode.workspace.registerTextDocumentContentProvider(GeneratedAssembly.scheme, generated),
    vscode.window.registerCustomEditorProvider(MODEL_VIEW_TYPE, new ModelEditorProvider(context.extensionUri, compiler), {
      supportsMultipleEditorsPerDocument: false,
      webviewOptions: { retainContextWhenHidden: false },
    }),
    vscode.window.registerWebviewPanelSerializer(XGRAPH_VIEW_TYPE, panels),
    vscode.commands.registerCommand('dnnvm.compileModel', (arg: unknown) => commands.compileModel(arg)),
    vscode.commands.registerCommand('dnnvm.showXGraph', (arg: unknown) => commands.showXGraph(arg)),
    vscode.commands.registerCommand('dnnvm.simulate', (arg: unknown) => commands.simulate(arg)),
    vscode.commands.registerCommand('dnnvm.validate', (arg: unknown) => commands.validate(arg)),
    vscode.commands.registerCommand('dnnvm.exportTrace', (arg: unknown, to: unknown) => commands.exportTrace(arg, to)),
    vscode.commands.registerCommand('dnnvm.selectTarget', (value: unknown) => selectTarget(value)),
    vscode.commands.registerCommand('dnnvm.showOutput', () => output.show(true)),
    // For links (the model page): a file at a 1-based line and column.
    vscode.commands.registerCommand('dnnvm.openLocation', (file: unknown, line: unknown, col: unknown) =>
      typeof file === 'string' ? openAt(vscode.Uri.file(file), { line: Number(line) || 1, col: Number(col) || 1 }) : undefined,
    ),
  );
  await server.start();
  const activationMs = performance.now() - started;
  output.appendLine(`DNNVM Workbench ready in ${activationMs.toFixed(0)} ms (language server started)`);
  return { commands, panels, status, activationMs };
}

export async function deactivate(): Promise<void> {
  await server?.dispose();
  server = undefined;
}
