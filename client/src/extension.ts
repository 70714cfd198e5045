// The VS Code extension: starts the language server for .dnnasm files. A thin shell; the analysis
// lives in the server, which lives on the compiler library.

import * as path from 'node:path';
import type { ExtensionContext } from 'vscode';
import { registerDebugger } from './debug';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';

let client: LanguageClient | undefined;

export async function activate(context: ExtensionContext): Promise<void> {
  registerDebugger(context);
  const module = context.asAbsolutePath(path.join('dist', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: 'file', language: 'dnnasm' }, { scheme: 'untitled', language: 'dnnasm' }],
    synchronize: { configurationSection: 'dnnvm' },
  };
  client = new LanguageClient('dnnasm', 'DNNVM Assembly', serverOptions, clientOptions);
  await client.start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
