// Open documents and their analyses. Each edit schedules a new analysis after a short debounce; a newer
// edit supersedes an older one, so stale results are never published.

import type { Connection, Hover, HoverParams, TextDocuments } from 'vscode-languageserver/node';
import { DiagnosticSeverity, type Diagnostic as LspDiagnostic } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { URI } from './uri';
import { assembleText, type AssembledFile } from '../../src-compiler/asm/file';
import { fieldBits, specByMnemonic } from '../../src-compiler/isa/table';

const DEBOUNCE_MS = 60;

export class Workspace {
  private readonly analyses = new Map<string, { version: number; result: AssembledFile }>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly connection: Connection,
    private readonly documents: TextDocuments<TextDocument>,
  ) {}

  scheduleAnalysis(doc: TextDocument): void {
    clearTimeout(this.timers.get(doc.uri));
    this.timers.set(
      doc.uri,
      setTimeout(() => this.analyze(doc.uri), DEBOUNCE_MS),
    );
  }

  close(uri: string): void {
    clearTimeout(this.timers.get(uri));
    this.timers.delete(uri);
    this.analyses.delete(uri);
    void this.connection.sendDiagnostics({ uri, diagnostics: [] });
  }

  /** The analysis of the document's current version (computed now if the debounce has not run yet). */
  analysis(uri: string): AssembledFile | undefined {
    const doc = this.documents.get(uri);
    if (!doc) return undefined;
    const cached = this.analyses.get(uri);
    if (cached && cached.version === doc.version) return cached.result;
    return this.analyze(uri);
  }

  private analyze(uri: string): AssembledFile | undefined {
    const doc = this.documents.get(uri);
    if (!doc) return undefined;
    let result: AssembledFile;
    try {
      result = assembleText(doc.getText(), URI.toPath(uri), undefined, true);
    } catch (e) {
      this.connection.console.error(`analysis of ${uri} failed: ${(e as Error).stack ?? String(e)}`);
      return undefined;
    }
    this.analyses.set(uri, { version: doc.version, result });
    const diagnostics: LspDiagnostic[] = result.program.diagnostics.map((d) => ({
      range: { start: result.index.position(d.start), end: result.index.position(d.end) },
      severity: d.severity === 'error' ? DiagnosticSeverity.Error : d.severity === 'warning' ? DiagnosticSeverity.Warning : DiagnosticSeverity.Information,
      code: d.code,
      source: 'dnnasm',
      message: d.message,
    }));
    void this.connection.sendDiagnostics({ uri, version: doc.version, diagnostics });
    return result;
  }

  hover(p: HoverParams): Hover | null {
    const a = this.analysis(p.textDocument.uri);
    if (!a) return null;
    const offset = a.index.offset(p.position.line, p.position.character);
    const line = a.program.lines?.[p.position.line];
    const s = line?.body.statement;
    const rel = offset - (line?.start ?? 0);
    if (!line || !s || s.kind !== 'instruction' || rel < s.start || rel > s.end) return null;
    const spec = specByMnemonic(s.mnemonic.text);
    if (!spec) return null;
    const range = (x: { start: number; end: number }) => ({ start: a.index.position(line.start + x.start), end: a.index.position(line.start + x.end) });
    for (const f of s.fields) {
      if (rel >= f.name.start && rel <= f.value.end) {
        const fs = spec.fields[spec.fieldIndex[f.name.text] ?? -1];
        if (!fs) return null;
        const legal = fs.values ? Object.entries(fs.values).map(([k, v]) => `${k} (${v})`).join(', ') : `${fs.min}..${fs.max}`;
        return {
          range: range(f),
          contents: { kind: 'markdown', value: `**${spec.mnemonic}.${fs.name}** — ${fs.doc}\n\nBits ${fieldBits(fs)}${fs.minusOne ? ' (stored as value−1)' : ''}; legal ${legal}${fs.default !== undefined ? `; default ${fs.default}` : ''}` },
        };
      }
    }
    return { range: range(s.mnemonic), contents: { kind: 'markdown', value: `**${spec.mnemonic}** (${spec.engine} engine, opcode 0x${spec.opcode.toString(16)}, ${spec.words} words)\n\n${spec.doc}` } };
  }
}
