// The .dnnasm language server: a thin layer over the compiler library. It owns documents, scheduling
// and the translation between LSP types and the library's plain offsets; every feature is computed
// by src-compiler/ide.
//
// Runs inside the extension (IPC) and on its own (`node dist/server.js --stdio`) for other editors.

import {
  CodeActionKind,
  CompletionItemKind,
  DiagnosticSeverity,
  FoldingRangeKind,
  InsertTextFormat,
  ProposedFeatures,
  ResponseError,
  ErrorCodes,
  SymbolKind,
  TextDocumentSyncKind,
  TextDocuments,
  createConnection,
  type CodeAction,
  type Connection,
  type Diagnostic as LspDiagnostic,
  type DocumentSymbol,
  type InitializeParams,
  type Range,
  type RenameParams,
  type SymbolInformation,
  type WorkspaceEdit,
  type TextEdit as LspTextEdit,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Span } from '../../src-compiler/asm/ast';
import type { Diagnostic, TextEdit } from '../../src-compiler/asm/assemble';
import type { Analysis } from '../../src-compiler/ide/analysis';
import { completions, signatureHelp } from '../../src-compiler/ide/editing';
import { formatEdits } from '../../src-compiler/ide/format';
import { hover } from '../../src-compiler/ide/hover';
import { definition, foldingRanges, outline, references, rename, nameAt, type OutlineItem } from '../../src-compiler/ide/navigation';
import { SEMANTIC_TOKEN_MODIFIERS, SEMANTIC_TOKEN_TYPES, semanticTokens } from '../../src-compiler/ide/semantic';
import { URI } from './uri';
import { Workspace, type Settings } from './workspace';

const SYMBOL_KIND: Record<OutlineItem['kind'], SymbolKind> = {
  group: SymbolKind.Namespace,
  layer: SymbolKind.Module,
  label: SymbolKind.Key,
  region: SymbolKind.Variable,
  equ: SymbolKind.Constant,
};

const COMPLETION_KIND = {
  mnemonic: CompletionItemKind.Keyword,
  field: CompletionItemKind.Property,
  directive: CompletionItemKind.Keyword,
  value: CompletionItemKind.EnumMember,
  bank: CompletionItemKind.EnumMember,
  engine: CompletionItemKind.EnumMember,
  symbol: CompletionItemKind.Variable,
  key: CompletionItemKind.Property,
} as const;

export function range(a: Analysis, s: Span): Range {
  return { start: a.index.position(s.start), end: a.index.position(s.end) };
}

function lspEdit(a: Analysis, e: TextEdit): LspTextEdit {
  return { range: range(a, e), newText: e.newText };
}

export function lspDiagnostic(a: Analysis, d: Diagnostic): LspDiagnostic {
  return {
    range: range(a, d),
    severity: d.severity === 'error' ? DiagnosticSeverity.Error : d.severity === 'warning' ? DiagnosticSeverity.Warning : DiagnosticSeverity.Information,
    code: d.code,
    source: 'dnnasm',
    message: d.message,
    ...(d.fixes ? { data: { fixes: d.fixes } } : {}),
  };
}

/** Run a request handler; a failure is logged and answered with `fallback`, never taking the server down. */
function guarded<P, R>(connection: Connection, name: string, fallback: R, fn: (p: P) => R): (p: P) => R {
  return (p: P) => {
    try {
      return fn(p);
    } catch (e) {
      connection.console.error(`${name} failed (a bug; the server keeps running): ${(e as Error).stack ?? String(e)}`);
      return fallback;
    }
  };
}

export function startServer(connection: Connection): Workspace {
  const documents = new TextDocuments(TextDocument);
  const ws = new Workspace(connection, documents);
  let folders: string[] = [];
  let canPullConfig = false;

  const publish = (uri: string, version: number, a: Analysis) => {
    const diagnostics = a.program.diagnostics.map((d) => lspDiagnostic(a, d));
    if (ws.settingsProblem) diagnostics.unshift({ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, severity: DiagnosticSeverity.Warning, source: 'dnnasm', code: 'settings', message: ws.settingsProblem });
    void connection.sendDiagnostics({ uri, version, diagnostics });
  };
  ws.listeners.push(publish);

  connection.onInitialize((params: InitializeParams) => {
    folders = (params.workspaceFolders ?? []).map((f) => URI.toPath(f.uri));
    if (folders.length === 0 && params.rootUri) folders = [URI.toPath(params.rootUri)];
    canPullConfig = Boolean(params.capabilities.workspace?.configuration);
    const init = params.initializationOptions as { settings?: Partial<Settings> } | undefined;
    if (init?.settings) ws.updateSettings(init.settings, folders[0]);
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        hoverProvider: true,
        completionProvider: { triggerCharacters: ['=', '.', '|', '[', ' '] },
        signatureHelpProvider: { triggerCharacters: [' '], retriggerCharacters: ['='] },
        definitionProvider: true,
        referencesProvider: true,
        renameProvider: { prepareProvider: true },
        documentSymbolProvider: true,
        workspaceSymbolProvider: true,
        foldingRangeProvider: true,
        documentFormattingProvider: true,
        documentRangeFormattingProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
        semanticTokensProvider: { legend: { tokenTypes: [...SEMANTIC_TOKEN_TYPES], tokenModifiers: [...SEMANTIC_TOKEN_MODIFIERS] }, full: true, range: true },
      },
      serverInfo: { name: 'dnnvm-language-server', version: '0.1.0' },
    };
  });

  const pullSettings = async () => {
    if (!canPullConfig) return;
    try {
      const s = (await connection.workspace.getConfiguration('dnnvm')) as Partial<Settings> | null;
      ws.updateSettings(s ?? {}, folders[0]);
    } catch (e) {
      connection.console.warn(`could not read the dnnvm settings: ${(e as Error).message}`);
    }
  };
  connection.onInitialized(() => void pullSettings());
  connection.onDidChangeConfiguration((p) => {
    const s = (p.settings as { dnnvm?: Partial<Settings> } | undefined)?.dnnvm;
    if (s) ws.updateSettings(s, folders[0]);
    else void pullSettings();
  });

  const withAnalysis = <R>(uri: string, fallback: R, fn: (a: Analysis) => R): R => {
    const a = ws.analysis(uri);
    return a ? fn(a) : fallback;
  };
  const offset = (a: Analysis, p: { line: number; character: number }) => a.index.offset(p.line, p.character);

  connection.onHover(guarded(connection, 'hover', null, (p) => withAnalysis(p.textDocument.uri, null, (a) => {
    const h = hover(a, offset(a, p.position));
    return h ? { range: range(a, h.span), contents: { kind: 'markdown' as const, value: h.markdown } } : null;
  })));

  connection.onCompletion(guarded(connection, 'completion', [], (p) => withAnalysis(p.textDocument.uri, [], (a) =>
    completions(a, offset(a, p.position)).map((c) => ({
      label: c.label,
      kind: COMPLETION_KIND[c.kind],
      ...(c.detail ? { detail: c.detail } : {}),
      ...(c.documentation ? { documentation: { kind: 'markdown' as const, value: c.documentation } } : {}),
      ...(c.sortText ? { sortText: c.sortText } : {}),
      insertTextFormat: c.snippet ? InsertTextFormat.Snippet : InsertTextFormat.PlainText,
      textEdit: { range: range(a, c.replace), newText: c.insertText },
    })),
  )));

  connection.onSignatureHelp(guarded(connection, 'signatureHelp', null, (p) => withAnalysis(p.textDocument.uri, null, (a) => {
    const s = signatureHelp(a, offset(a, p.position));
    if (!s) return null;
    return {
      signatures: [{ label: s.label, documentation: s.documentation, parameters: s.parameters.map((q) => ({ label: q.label, documentation: { kind: 'markdown' as const, value: q.documentation } })) }],
      activeSignature: 0,
      activeParameter: s.activeParameter,
    };
  })));

  connection.onDefinition(guarded(connection, 'definition', null, (p) => withAnalysis(p.textDocument.uri, null, (a) => {
    const d = definition(a, offset(a, p.position));
    return d ? { uri: p.textDocument.uri, range: range(a, d) } : null;
  })));

  connection.onReferences(guarded(connection, 'references', [], (p) => withAnalysis(p.textDocument.uri, [], (a) =>
    references(a, offset(a, p.position), p.context.includeDeclaration).map((s) => ({ uri: p.textDocument.uri, range: range(a, s) })),
  )));

  connection.onPrepareRename(guarded(connection, 'prepareRename', null, (p) => withAnalysis(p.textDocument.uri, null, (a) => {
    const n = nameAt(a, offset(a, p.position));
    return n ? { range: range(a, n.span), placeholder: n.name } : null;
  })));

  connection.onRenameRequest(guarded<RenameParams, WorkspaceEdit | ResponseError<void> | null>(connection, 'rename', null, (p) => withAnalysis(p.textDocument.uri, null, (a) => {
    const r = rename(a, offset(a, p.position), p.newName);
    if ('error' in r) return new ResponseError(ErrorCodes.InvalidRequest, r.error);
    return { changes: { [p.textDocument.uri]: r.edits.map((e) => lspEdit(a, e)) } };
  })));

  const toSymbol = (a: Analysis, o: OutlineItem): DocumentSymbol => ({
    name: o.name,
    detail: o.detail,
    kind: SYMBOL_KIND[o.kind],
    range: range(a, o.span),
    selectionRange: range(a, o.nameSpan),
    children: o.children.map((c) => toSymbol(a, c)),
  });
  connection.onDocumentSymbol(guarded(connection, 'documentSymbol', [], (p) => withAnalysis(p.textDocument.uri, [], (a) => outline(a).map((o) => toSymbol(a, o)))));

  connection.onWorkspaceSymbol(guarded(connection, 'workspaceSymbol', [], (p) => {
    const q = p.query.toLowerCase();
    const out: SymbolInformation[] = [];
    for (const a of ws.workspaceAnalyses(folders)) {
      const uri = URI.fromPath(a.file);
      const visit = (o: OutlineItem, container?: string) => {
        if (!q || o.name.toLowerCase().includes(q)) out.push({ name: o.name, kind: SYMBOL_KIND[o.kind], location: { uri, range: range(a, o.nameSpan) }, ...(container ? { containerName: container } : {}) });
        for (const c of o.children) visit(c, o.name);
      };
      for (const o of outline(a)) visit(o);
      if (out.length > 2000) break;
    }
    return out;
  }));

  connection.onFoldingRanges(guarded(connection, 'foldingRanges', [], (p) => withAnalysis(p.textDocument.uri, [], (a) =>
    foldingRanges(a).map((f) => ({ startLine: f.startLine, endLine: f.endLine, kind: f.kind === 'comment' ? FoldingRangeKind.Comment : FoldingRangeKind.Region })),
  )));

  connection.onDocumentFormatting(guarded(connection, 'formatting', [], (p) => withAnalysis(p.textDocument.uri, [], (a) => formatEdits(a).map((e) => lspEdit(a, e)))));
  connection.onDocumentRangeFormatting(guarded(connection, 'rangeFormatting', [], (p) => withAnalysis(p.textDocument.uri, [], (a) =>
    formatEdits(a, p.range.start.line, p.range.end.line).map((e) => lspEdit(a, e)),
  )));

  connection.onCodeAction(guarded(connection, 'codeAction', [], (p) => withAnalysis(p.textDocument.uri, [], (a) => {
    const actions: CodeAction[] = [];
    const lo = offset(a, p.range.start);
    const hi = offset(a, p.range.end);
    for (const d of a.program.diagnostics) {
      if (!d.fixes || d.end < lo || d.start > hi) continue;
      for (const f of d.fixes)
        actions.push({ title: f.title, kind: CodeActionKind.QuickFix, diagnostics: [lspDiagnostic(a, d)], isPreferred: d.fixes.length === 1, edit: { changes: { [p.textDocument.uri]: f.edits.map((e) => lspEdit(a, e)) } } });
    }
    return actions;
  })));

  const encodeTokens = (a: Analysis, r?: Range) => {
    const toks = semanticTokens(a, r ? { startLine: r.start.line, endLine: r.end.line } : undefined);
    const data: number[] = [];
    let line = 0;
    let char = 0;
    for (const t of toks) {
      const dl = t.line - line;
      data.push(dl, dl === 0 ? t.char - char : t.char, t.length, SEMANTIC_TOKEN_TYPES.indexOf(t.type), t.modifiers);
      line = t.line;
      char = t.char;
    }
    return { data };
  };
  connection.languages.semanticTokens.on(guarded(connection, 'semanticTokens', { data: [] }, (p) => withAnalysis(p.textDocument.uri, { data: [] }, (a) => encodeTokens(a))));
  connection.languages.semanticTokens.onRange(guarded(connection, 'semanticTokensRange', { data: [] }, (p) => withAnalysis(p.textDocument.uri, { data: [] }, (a) => encodeTokens(a, p.range))));

  documents.onDidChangeContent((e) => ws.schedule(e.document));
  documents.onDidClose((e) => {
    ws.close(e.document.uri);
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });
  documents.listen(connection);
  connection.listen();
  return ws;
}

if (require.main === module) {
  // A crash in one analysis must never take the server down: log what escaped and keep serving.
  process.on('uncaughtException', (e) => process.stderr.write(`dnnvm-language-server: uncaught (a bug): ${e.stack ?? String(e)}\n`));
  startServer(createConnection(ProposedFeatures.all));
}
