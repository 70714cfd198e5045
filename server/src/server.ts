// The .dnnasm language server: a thin layer over the compiler library. It owns documents, scheduling
// and the translation between LSP types and the library's plain offsets; every feature is computed
// by src-compiler/ide.
//
// Runs inside the extension (IPC) and on its own (`node dist/server.js --stdio`) for other editors.

import { isMainThread } from 'node:worker_threads';
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
  type CodeLens,
  type Connection,
  type InlayHint,
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
import { hoverExtras, layerLenses, timingInlayHints, type SimDiagnostic } from '../../src-compiler/ide/simulation';
import { definition, foldingRanges, outline, references, rename, nameAt, type OutlineItem } from '../../src-compiler/ide/navigation';
import { SEMANTIC_TOKEN_MODIFIERS, SEMANTIC_TOKEN_TYPES, semanticTokens } from '../../src-compiler/ide/semantic';
import { STATUS_NOTIFICATION } from './protocol';
import { registerRequests } from './requests';
import { URI } from './uri';
import { Workspace, limitsFrom, type Settings } from './workspace';
import './worker';

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

export function lspDiagnostic(a: Analysis, d: Diagnostic | SimDiagnostic, uri?: string): LspDiagnostic {
  const related = 'related' in d && d.related && uri ? d.related : undefined;
  return {
    range: range(a, d),
    severity: d.severity === 'error' ? DiagnosticSeverity.Error : d.severity === 'warning' ? DiagnosticSeverity.Warning : DiagnosticSeverity.Information,
    code: d.code,
    source: 'source' in d ? d.source : 'dnnasm',
    message: d.message,
    ...(related ? { relatedInformation: related.map((r) => ({ location: { uri: uri!, range: range(a, r) }, message: r.message })) } : {}),
    ...(d.fixes ? { data: { fixes: d.fixes } } : {}),
  };
}

/** Run a request handler; a failure (thrown or rejected) is logged and answered with `fallback`, never taking the server down. */
function guarded<P, R>(connection: Connection, name: string, fallback: R, fn: (p: P) => R | Promise<R>): (p: P) => R | Promise<R> {
  const fail = (e: unknown) => {
    connection.console.error(`${name} failed (a bug; the server keeps running): ${(e as Error).stack ?? String(e)}`);
    return fallback;
  };
  return (p: P) => {
    try {
      const r = fn(p);
      return r instanceof Promise ? r.catch(fail) : r;
    } catch (e) {
      return fail(e);
    }
  };
}

/** The most diagnostics published for one document: beyond this an editor only slows down. */
export const MAX_DIAGNOSTICS = 1000;

/** The first MAX_DIAGNOSTICS diagnostics by severity, then position, and one that counts the rest. */
function capped(a: Analysis, all: (Diagnostic | SimDiagnostic)[]): (Diagnostic | SimDiagnostic)[] {
  if (all.length <= MAX_DIAGNOSTICS) return all;
  const rank = { error: 0, warning: 1, info: 2 } as const;
  const kept = [...all].sort((x, y) => rank[x.severity] - rank[y.severity] || x.start - y.start).slice(0, MAX_DIAGNOSTICS - 1);
  const errors = all.filter((d) => d.severity === 'error').length;
  const nl = a.text.indexOf('\n');
  kept.push({
    severity: 'info',
    code: 'too-many',
    message: `${all.length} problems (${errors} errors); the first ${MAX_DIAGNOSTICS - 1} by severity are shown. Fix those, or run dnnvm asm on the file for the full list`,
    start: 0,
    end: Math.max(1, nl < 0 ? Math.min(a.text.length, 200) : nl),
  });
  return kept.sort((x, y) => x.start - y.start || x.end - y.end);
}

/** Fault injection for the isolation tests (DNNVM_LSP_TEST_FAULTS=1): `; dnnvm-test-fault: hover-throw`. */
const faults = process.env['DNNVM_LSP_TEST_FAULTS'] === '1';
function injected(a: Analysis, what: string): void {
  if (faults && a.text.includes(`; dnnvm-test-fault: ${what}`)) throw new Error(`injected fault in ${what} (a test of the server's isolation)`);
}

export function startServer(connection: Connection, workerScript: string = __filename): Workspace {
  const documents = new TextDocuments(TextDocument);
  const ws = new Workspace(connection, documents, workerScript);
  let folders: string[] = [];
  let canPullConfig = false;
  let codeLensRefresh = false;
  let inlayHintRefresh = false;
  let canCreateProgress = false;

  ws.events = {
    publish: (uri, version, a, sim) => {
      const diagnostics = capped(a, [...a.program.diagnostics, ...sim]).map((d) => lspDiagnostic(a, d, uri));
      if (ws.settingsProblem) diagnostics.unshift({ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, severity: DiagnosticSeverity.Warning, source: 'dnnasm', code: 'settings', message: ws.settingsProblem });
      void connection.sendDiagnostics({ uri, version, diagnostics });
    },
    status: (p) => void connection.sendNotification(STATUS_NOTIFICATION, p),
    failed: (uri, version, message) =>
      void connection.sendDiagnostics({
        uri,
        version,
        diagnostics: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, severity: DiagnosticSeverity.Error, source: 'dnnasm', code: 'internal', message }],
      }),
    timingReady: () => {
      if (codeLensRefresh) void connection.sendRequest('workspace/codeLens/refresh').catch(() => undefined);
      if (inlayHintRefresh && ws.settings.timingInlayHints) void connection.languages.inlayHint.refresh().catch(() => undefined);
    },
  };

  connection.onInitialize((params: InitializeParams) => {
    folders = (params.workspaceFolders ?? []).map((f) => URI.toPath(f.uri));
    if (folders.length === 0 && params.rootUri) folders = [URI.toPath(params.rootUri)];
    canPullConfig = Boolean(params.capabilities.workspace?.configuration);
    codeLensRefresh = Boolean(params.capabilities.workspace?.codeLens?.refreshSupport);
    inlayHintRefresh = Boolean(params.capabilities.workspace?.inlayHint?.refreshSupport);
    canCreateProgress = Boolean(params.capabilities.window?.workDoneProgress);
    const init = params.initializationOptions as { settings?: Partial<Settings>; limits?: unknown } | undefined;
    if (init?.settings) ws.updateSettings(init.settings, folders[0]);
    ws.limits = limitsFrom(init?.limits);
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
        codeLensProvider: { resolveProvider: false },
        inlayHintProvider: true,
      },
      serverInfo: { name: 'dnnvm-language-server', version: '0.1.0' },
    };
  });

  const applySettings = (s: Partial<Settings>) => {
    const hints = ws.settings.timingInlayHints;
    ws.updateSettings(s, folders[0]);
    if (inlayHintRefresh && hints !== ws.settings.timingInlayHints) void connection.languages.inlayHint.refresh().catch(() => undefined);
  };
  const pullSettings = async () => {
    if (!canPullConfig) return;
    try {
      const s = (await connection.workspace.getConfiguration('dnnvm')) as Partial<Settings> | null;
      applySettings(s ?? {});
    } catch (e) {
      connection.console.warn(`could not read the dnnvm settings: ${(e as Error).message}`);
    }
  };
  connection.onInitialized(() => {
    ws.warmUp();
    void pullSettings();
  });
  connection.onDidChangeConfiguration((p) => {
    const s = (p.settings as { dnnvm?: Partial<Settings> } | undefined)?.dnnvm;
    if (s) applySettings(s);
    else void pullSettings();
  });

  const withAnalysis = <R>(uri: string, fallback: R, fn: (a: Analysis) => R): R => {
    const a = ws.analysis(uri);
    return a ? fn(a) : fallback;
  };
  const offset = (a: Analysis, p: { line: number; character: number }) => a.index.offset(p.line, p.character);

  connection.onHover(guarded(connection, 'hover', null, async (p) => {
    // The timing of the current version, if its simulation is done or finishes soon.
    const run = await ws.currentRun(p.textDocument.uri, 1000);
    const a = run?.analysis ?? ws.analysis(p.textDocument.uri);
    if (!a) return null;
    injected(a, 'hover-throw');
    const h = hover(a, offset(a, p.position), hoverExtras(a, run?.timing));
    return h ? { range: range(a, h.span), contents: { kind: 'markdown' as const, value: h.markdown } } : null;
  }));

  connection.onCodeLens(guarded(connection, 'codeLens', [], async (p) => {
    const run = await ws.currentRun(p.textDocument.uri, 2000);
    if (!run?.timing) return [];
    const a = run.analysis;
    return layerLenses(a, run.timing).map((l): CodeLens => ({ range: range(a, { start: l.span.start, end: l.span.start }), command: { title: l.title, command: '' } }));
  }));

  connection.languages.inlayHint.on(guarded(connection, 'inlayHint', [], async (p) => {
    if (!ws.settings.timingInlayHints) return [];
    const run = await ws.currentRun(p.textDocument.uri, 2000);
    if (!run?.timing) return [];
    const a = run.analysis;
    return timingInlayHints(a, run.timing, p.range.start.line, p.range.end.line).map((h): InlayHint => ({ position: a.index.position(h.offset), label: h.label, paddingLeft: true, tooltip: h.tooltip }));
  }));

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
    const run = ws.peekRun(p.textDocument.uri);
    const all: (Diagnostic | SimDiagnostic)[] = [...a.program.diagnostics, ...(run && run.analysis === a ? run.diagnostics : [])];
    for (const d of all) {
      if (!d.fixes || d.end < lo || d.start > hi) continue;
      for (const f of d.fixes)
        actions.push({ title: f.title, kind: CodeActionKind.QuickFix, diagnostics: [lspDiagnostic(a, d, p.textDocument.uri)], isPreferred: d.fixes.length === 1, edit: { changes: { [p.textDocument.uri]: f.edits.map((e) => lspEdit(a, e)) } } });
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
  connection.onShutdown(() => ws.dispose());

  registerRequests(
    connection,
    { ws, baseDir: () => folders[0] ?? process.cwd(), canCreateProgress: () => canCreateProgress },
    workerScript,
  );

  documents.listen(connection);
  connection.listen();
  return ws;
}

// The same bundle runs the worker threads (worker.ts); only the main thread is the server.
if (isMainThread && require.main === module) {
  // A crash in one analysis must never take the server down: log what escaped and keep serving.
  process.on('uncaughtException', (e) => process.stderr.write(`dnnvm-language-server: uncaught (a bug): ${e.stack ?? String(e)}\n`));
  // Node ends the process on an unhandled rejection by default: log it instead, as above.
  process.on('unhandledRejection', (e) => process.stderr.write(`dnnvm-language-server: unhandled rejection (a bug): ${(e as Error)?.stack ?? String(e)}\n`));
  startServer(createConnection(ProposedFeatures.all));
}
