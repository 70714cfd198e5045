// The .dnnasm language server: a thin layer over the compiler library (src-compiler).
//
// Runs inside the extension (IPC) and on its own (`node dist/server.js --stdio`) for other editors.

import { createConnection, ProposedFeatures, TextDocuments, TextDocumentSyncKind, type Connection } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { Workspace } from './workspace';

export function startServer(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  const ws = new Workspace(connection, documents);
  connection.onInitialize(() => ({
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      hoverProvider: true,
    },
    serverInfo: { name: 'dnnvm-language-server' },
  }));
  connection.onHover((p) => ws.hover(p));
  documents.onDidChangeContent((e) => ws.scheduleAnalysis(e.document));
  documents.onDidClose((e) => ws.close(e.document.uri));
  documents.listen(connection);
  connection.listen();
}

if (require.main === module) startServer(createConnection(ProposedFeatures.all));
