// Open documents and their analyses.
//
// Every edit schedules an analysis after a short debounce; a newer edit supersedes an older one, and a
// result is published only if its document version is still the current one, so stale diagnostics are
// never shown. Each document keeps a line cache and an instruction cache, so an edit re-parses and
// re-checks only what it touched. An analysis that throws is logged and leaves the server running.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Connection, TextDocuments } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { InstructionNode, LineBody } from '../../src-compiler/asm/ast';
import { LineIndex } from '../../src-compiler/asm/ast';
import { assemble, type InstrMemo } from '../../src-compiler/asm/assemble';
import { archResolverFor } from '../../src-compiler/asm/file';
import { resolveArch } from '../../src-compiler/arch/load';
import type { Arch } from '../../src-compiler/arch/model';
import type { Analysis } from '../../src-compiler/ide/analysis';
import { URI } from './uri';

export interface Settings {
  /** A preset, a DPU configuration, or an architecture file; empty = what the program's .arch says. */
  readonly target: string;
  readonly timingInlayHints: boolean;
  readonly autoSimulate: boolean;
}

export const DEFAULT_SETTINGS: Settings = { target: '', timingInlayHints: false, autoSimulate: true };

interface DocState {
  readonly lineCache: Map<string, LineBody>;
  readonly instrCache: WeakMap<InstructionNode, InstrMemo>;
  analysis?: { version: number; result: Analysis };
  timer?: NodeJS.Timeout;
}

export type AnalysisListener = (uri: string, version: number, a: Analysis) => void;

export class Workspace {
  private readonly docs = new Map<string, DocState>();
  settings: Settings = DEFAULT_SETTINGS;
  private forcedArch: Arch | undefined;
  private settingsError: string | undefined;
  /** Called after each fresh analysis (diagnostics publishing, simulation). */
  readonly listeners: AnalysisListener[] = [];
  debounceMs = 50;

  constructor(
    readonly connection: Connection,
    readonly documents: TextDocuments<TextDocument>,
  ) {}

  updateSettings(s: Partial<Settings> | undefined, baseDir: string | undefined): void {
    this.settings = { ...DEFAULT_SETTINGS, ...(s ?? {}) };
    this.forcedArch = undefined;
    this.settingsError = undefined;
    if (this.settings.target) {
      try {
        this.forcedArch = resolveArch(this.settings.target, baseDir ?? process.cwd());
      } catch (e) {
        this.settingsError = `the target setting '${this.settings.target}' is not usable: ${(e as Error).message}`;
        this.connection.window.showErrorMessage(`DNNVM: ${this.settingsError}`);
      }
    }
    for (const d of this.documents.all()) this.schedule(d, 0);
  }

  private state(uri: string): DocState {
    let s = this.docs.get(uri);
    if (!s) this.docs.set(uri, (s = { lineCache: new Map(), instrCache: new WeakMap() }));
    return s;
  }

  schedule(doc: TextDocument, delay = this.debounceMs): void {
    const s = this.state(doc.uri);
    clearTimeout(s.timer);
    s.timer = setTimeout(() => {
      s.timer = undefined;
      const a = this.analysis(doc.uri);
      const current = this.documents.get(doc.uri);
      if (a && current && current.version === s.analysis?.version) for (const l of this.listeners) l(doc.uri, current.version, a);
    }, delay);
  }

  close(uri: string): void {
    const s = this.docs.get(uri);
    clearTimeout(s?.timer);
    this.docs.delete(uri);
  }

  /** The analysis of the document's current version (computed now if the debounce has not run yet). */
  analysis(uri: string): Analysis | undefined {
    const doc = this.documents.get(uri);
    if (!doc) return undefined;
    const s = this.state(uri);
    if (s.analysis && s.analysis.version === doc.version) return s.analysis.result;
    const text = doc.getText();
    const file = URI.toPath(uri);
    try {
      const program = assemble(text, {
        ...(this.forcedArch ? { arch: this.forcedArch } : {}),
        resolveArch: this.archResolver(path.dirname(file)),
        keepAst: true,
        lineCache: s.lineCache,
        instrCache: s.instrCache,
      });
      if (s.lineCache.size > 4 * (program.lines?.length ?? 0) + 1000) pruneLineCache(s.lineCache, text);
      const result: Analysis = { file, text, index: new LineIndex(text), program };
      s.analysis = { version: doc.version, result };
      return result;
    } catch (e) {
      this.connection.console.error(`analysis of ${uri} failed (a bug; the server keeps running): ${(e as Error).stack ?? String(e)}`);
      return undefined;
    }
  }

  private readonly archCache = new Map<string, { mtimeMs: number; arch: Arch }>();

  /** `.arch` resolution that returns the same Arch object while its file is unchanged, so that the
   * instruction cache (keyed on the architecture) stays valid from edit to edit. */
  private archResolver(dir: string): (ref: string, quoted: boolean) => Arch {
    const resolve = archResolverFor(dir);
    return (ref, quoted) => {
      const key = `${dir}\u0000${ref}\u0000${quoted}`;
      let mtimeMs = -1;
      try {
        mtimeMs = fs.statSync(path.resolve(dir, ref)).mtimeMs;
      } catch {
        /* a preset name, not a file */
      }
      const hit = this.archCache.get(key);
      if (hit && hit.mtimeMs === mtimeMs) return hit.arch;
      const arch = resolve(ref, quoted);
      this.archCache.set(key, { mtimeMs, arch });
      return arch;
    };
  }

  /** Problems with the settings themselves, shown on every document. */
  get settingsProblem(): string | undefined {
    return this.settingsError;
  }

  /** Analyses of every .dnnasm file in the workspace folders (open ones from the editor), for workspace symbols. */
  workspaceAnalyses(folders: string[], limit = 500): Analysis[] {
    const out: Analysis[] = [];
    const open = new Set<string>();
    for (const d of this.documents.all()) {
      const a = this.analysis(d.uri);
      if (a) {
        out.push(a);
        open.add(a.file);
      }
    }
    const walk = (dir: string, depth: number) => {
      if (out.length >= limit || depth > 6) return;
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        if (out.length >= limit) return;
        if (e.name.startsWith('.') || e.name === 'node_modules') continue;
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p, depth + 1);
        else if (e.isFile() && e.name.endsWith('.dnnasm') && !open.has(p)) {
          try {
            const st = fs.statSync(p);
            if (st.size > 64 * 2 ** 20) continue;
            const text = fs.readFileSync(p, 'utf8');
            out.push({ file: p, text, index: new LineIndex(text), program: assemble(text, { resolveArch: archResolverFor(dir), keepAst: true }) });
          } catch {
            /* unreadable files have no symbols */
          }
        }
      }
    };
    for (const f of folders) walk(f, 0);
    return out;
  }
}

/** Drop cached lines that the current text no longer has. */
function pruneLineCache(cache: Map<string, LineBody>, text: string): void {
  const live = new Set(text.split('\n'));
  for (const k of cache.keys()) if (!live.has(k)) cache.delete(k);
}
