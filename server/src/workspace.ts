// Open documents, their analyses, and the simulations that follow every edit.
//
// An edit cancels the simulations of older versions at once and schedules an analysis after a short
// debounce (a request about the document runs it at once instead). The analysis assembles the text on
// the main thread (each document keeps a line cache and an instruction cache, so an edit re-parses and
// re-checks only what it touched), then two phases run in worker threads:
//   1. timing: the timing simulation of every segment (deadlocks, unbalanced tokens, missing INITs;
//      hover timing, code lenses, inlay hints), published with the assembler's diagnostics;
//   2. functional: bit-exact execution with race checks and, for a compiled program, the golden
//      checksums; published merged with phase 1.
// A phase publishes only if its document version is still the current one, so stale diagnostics are
// never shown; if phase 1 is slow, the assembler's diagnostics go out first on their own. Each phase
// has a limit (instructions, time), and a phase that fails (a bug, a dead worker) becomes a diagnostic:
// the server keeps running.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { MessageType, ShowMessageNotification, type Connection, type TextDocuments } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { InstructionNode, LineBody } from '../../src-compiler/asm/ast';
import { LineIndex } from '../../src-compiler/asm/ast';
import { assemble, type InstrMemo } from '../../src-compiler/asm/assemble';
import { archResolverFor } from '../../src-compiler/asm/file';
import { resolveArch } from '../../src-compiler/arch/load';
import { DEFAULT_ARCH_NAME, boardByName } from '../../src-compiler/arch/presets';
import { printProgram } from '../../src-compiler/asm/format';
import { pingPongProgram } from '../../src-compiler/sim/testing/build';
import type { Arch } from '../../src-compiler/arch/model';
import type { Analysis } from '../../src-compiler/ide/analysis';
import type { FunctionalCheck } from '../../src-compiler/ide/check';
import {
  DocumentTiming,
  FUNCTIONAL_SOURCE,
  TIMING_SOURCE,
  functionalDiagnostics,
  problemDiagnostics,
  programSpan,
  type SimDiagnostic,
} from '../../src-compiler/ide/simulation';
import type { TimingResult } from '../../src-compiler/sim/timing';
import { limits as compilerLimits, resetLimits, setLimits } from '../../src-compiler/util/limits';
import type { StatusParams } from './protocol';
import { packDocument, type PackedProgram } from './transport';
import { URI } from './uri';
import type { Fault, FunctionalSetupProblem } from './worker';
import { JobCancelled, JobFailed, WorkerLane } from './workers';
import { IdleCollector, collectIfGrown } from './gc';

export interface Settings {
  /** A preset, a DPU configuration, or an architecture file; empty = what the program's .arch says. */
  readonly target: string;
  readonly timingInlayHints: boolean;
  readonly autoSimulate: boolean;
  /** Images per run when compiling a model (dnnvm.batch; `dnnvm compile --batch`). */
  readonly batch: number;
  /** The dnnvm.limits.* settings: the compiler's resource limits (src-compiler/util/limits.ts), given to
   * setLimits here (the assembler runs on this thread) and sent with every worker job (workers.ts). */
  readonly limits?: Readonly<Record<string, unknown>>;
}

export const DEFAULT_SETTINGS: Settings = { target: '', timingInlayHints: false, autoSimulate: true, batch: 1 };

export type PhaseState = 'pending' | 'done' | 'skipped' | 'failed' | 'stopped';

/** The analyses of one document version. */
export class Run {
  timing: DocumentTiming | undefined;
  timingState: PhaseState = 'pending';
  timingDiags: SimDiagnostic[] = [];
  functionalState: PhaseState = 'pending';
  functionalDiags: SimDiagnostic[] = [];
  packed: PackedProgram | undefined;
  /** Why the simulations did not run. */
  skipped: string | undefined;
  readonly timingSettled: Promise<void>;
  settleTiming!: () => void;
  readonly functionalSettled: Promise<void>;
  settleFunctional!: () => void;

  constructor(
    readonly version: number,
    readonly analysis: Analysis,
    readonly changeAt: number,
  ) {
    this.timingSettled = new Promise((r) => (this.settleTiming = r));
    this.functionalSettled = new Promise((r) => (this.settleFunctional = r));
  }

  get diagnostics(): SimDiagnostic[] {
    return [...this.timingDiags, ...this.functionalDiags];
  }
}

interface DocState {
  readonly lineCache: Map<string, LineBody>;
  readonly instrCache: WeakMap<InstructionNode, InstrMemo>;
  analysis?: { version: number; result: Analysis };
  timer?: NodeJS.Timeout;
  run?: Run;
  /** When the last edit arrived (performance.now()). */
  changeAt: number;
  /** Diagnostics were published for some version already. */
  published?: boolean;
  /** The assembler failed on this version (a bug). */
  failure?: { version: number; message: string };
}

export interface WorkspaceEvents {
  /** Diagnostics of a version: the assembler's (in `a`) and the simulators' so far. */
  publish(uri: string, version: number, a: Analysis, sim: readonly SimDiagnostic[]): void;
  status(p: StatusParams): void;
  /** The analysis of a version failed (a bug): say so instead of leaving the last version's diagnostics. */
  failed(uri: string, version: number, message: string): void;
  /** New timing for the document: code lenses and inlay hints are worth asking for again. */
  timingReady(uri: string): void;
}

/** Limits that keep every analysis finite. */
export interface Limits {
  /** Timing: instruction starts over all cores. */
  readonly maxInstructions: number;
  /** Functional: wall-clock budget per run. */
  readonly functionalBudgetMs: number;
  /** Publish the assembler's diagnostics alone if the timing takes longer than this. */
  readonly slowTimingMs: number;
}

export const DEFAULT_LIMITS: Limits = { maxInstructions: 50_000_000, functionalBudgetMs: 120_000, slowTimingMs: 250 };

/** Limits from initializationOptions.limits (for tests, and for users with unusual programs); bad values are ignored. */
export function limitsFrom(o: unknown): Limits {
  const l = (o ?? {}) as Partial<Record<keyof Limits, unknown>>;
  const pick = (k: keyof Limits) => (typeof l[k] === 'number' && Number.isFinite(l[k]) && (l[k] as number) > 0 ? (l[k] as number) : DEFAULT_LIMITS[k]);
  return { maxInstructions: pick('maxInstructions'), functionalBudgetMs: pick('functionalBudgetMs'), slowTimingMs: pick('slowTimingMs') };
}

/** DNNVM_LSP_PROFILE=1: where an edit's time goes, on stderr. */
const PROFILE = process.env['DNNVM_LSP_PROFILE'] === '1';
const mark = (what: string, since: number) => {
  if (PROFILE) process.stderr.write(`dnnvm-lsp: ${what} at +${(performance.now() - since).toFixed(1)} ms\n`);
};

const FAULT_MARK = /; dnnvm-test-fault: (timing|functional)-(throw|exit|hang)/;

export class Workspace {
  private readonly docs = new Map<string, DocState>();
  settings: Settings = DEFAULT_SETTINGS;
  private limitsWarning: string | undefined;
  private forcedArch: Arch | undefined;
  private settingsError: string | undefined;
  events: WorkspaceEvents | undefined;
  debounceMs = 30;
  limits: Limits = DEFAULT_LIMITS;
  private readonly idleGc = new IdleCollector(1000);
  readonly timingLane: WorkerLane;
  readonly functionalLane: WorkerLane;
  /** Fault injection for the isolation tests (DNNVM_LSP_TEST_FAULTS=1). */
  private readonly faults = process.env['DNNVM_LSP_TEST_FAULTS'] === '1';

  constructor(
    readonly connection: Connection,
    readonly documents: TextDocuments<TextDocument>,
    workerScript: string,
  ) {
    const log = (m: string) => connection.console.error(m);
    this.timingLane = new WorkerLane('timing', workerScript, log, { faults: this.faults, hardCancelMs: 1000 });
    this.functionalLane = new WorkerLane('functional', workerScript, log, { faults: this.faults, hardCancelMs: 2000 });
  }

  /**
   * Start the timing worker and compile its hot loops, so that the first edit finds it ready; and run
   * the assembler once on a small generated program, so that the first file opened is not also the
   * one that teaches the JIT the parser (a third of a big file's first assembly).
   */
  warmUp(): void {
    this.timingLane.run('warmup', { kind: 'warmup' }).catch(() => undefined);
    try {
      const arch = boardByName(DEFAULT_ARCH_NAME)!;
      const text = printProgram(pingPongProgram(arch, 200), arch);
      for (let k = 0; k < 2; k++) assemble(text, { keepAst: true, lineCache: new Map(), instrCache: new WeakMap() });
    } catch (e) {
      this.connection.console.error(`warming up the assembler failed (a bug): ${(e as Error).stack ?? String(e)}`);
    }
  }

  dispose(): void {
    this.idleGc.dispose();
    this.timingLane.dispose();
    this.functionalLane.dispose();
    for (const s of this.docs.values()) clearTimeout(s.timer);
  }

  updateSettings(s: Partial<Settings> | undefined, baseDir: string | undefined): void {
    const before = this.settings;
    this.settings = { ...DEFAULT_SETTINGS, ...(s ?? {}) };
    // Settings come whole (VS Code sends every dnnvm.limits.* value): a setting removed is back at its default.
    const limitsBefore = JSON.stringify(compilerLimits());
    resetLimits();
    const given = this.settings.limits;
    const problems = given && typeof given === 'object' ? setLimits(given) : given === undefined || given === null ? [] : [`dnnvm.limits must be an object of limits, got ${JSON.stringify(given)}`];
    // Said once: the settings arrive at initialize and again when pulled.
    const warning = problems.length ? `DNNVM: the dnnvm.limits settings are not usable: ${problems.join('; ')}. Those limits keep their defaults; correct the settings (Settings, search "dnnvm.limits").` : undefined;
    // A notification (window/showMessage): nothing to wait for, and no unanswered request if the client has no buttons.
    if (warning && warning !== this.limitsWarning) void this.connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Warning, message: warning });
    this.limitsWarning = warning;
    const limitsChanged = limitsBefore !== JSON.stringify(compilerLimits());
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
    // What the analyses depend on: the target (assembly), the limits, and whether to simulate. Inlay hints need no new run.
    const rerun = before.target !== this.settings.target || before.autoSimulate !== this.settings.autoSimulate || this.settingsError !== undefined || limitsChanged;
    if (!rerun) return;
    for (const d of this.documents.all()) {
      const st = this.docs.get(d.uri);
      if (st) {
        st.analysis = undefined;
        st.run = undefined;
      }
      this.schedule(d, 0);
    }
  }

  private state(uri: string): DocState {
    let s = this.docs.get(uri);
    if (!s) this.docs.set(uri, (s = { lineCache: new Map(), instrCache: new WeakMap(), changeAt: performance.now() }));
    return s;
  }

  /** A new version of a document: stop what older versions still compute, and analyze after the debounce
   * (at once for a document just opened: no edits will follow to coalesce). */
  schedule(doc: TextDocument, delay = this.debounceMs): void {
    if (!this.docs.has(doc.uri)) delay = 0;
    const s = this.state(doc.uri);
    s.changeAt = performance.now();
    this.idleGc.busy();
    this.timingLane.cancel(doc.uri);
    this.functionalLane.cancel(doc.uri);
    clearTimeout(s.timer);
    s.timer = setTimeout(() => {
      s.timer = undefined;
      void this.runPipeline(doc.uri);
    }, delay);
  }

  close(uri: string): void {
    const s = this.docs.get(uri);
    clearTimeout(s?.timer);
    this.timingLane.cancel(uri);
    this.functionalLane.cancel(uri);
    if (s?.run) {
      s.run.settleTiming();
      s.run.settleFunctional();
    }
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
      if (this.faults && text.includes('; dnnvm-test-fault: analysis-throw')) throw new Error('injected fault in the analysis (a test of the server\'s isolation)');
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
      s.failure = { version: doc.version, message: (e as Error).message };
      return undefined;
    }
  }

  /**
   * The run of the document's current version, once its timing phase has an outcome (waiting at most
   * `waitMs`). Starts the analysis now if the debounce has not fired yet.
   */
  async currentRun(uri: string, waitMs = 2000): Promise<Run | undefined> {
    const doc = this.documents.get(uri);
    if (!doc) return undefined;
    const s = this.state(uri);
    if (s.run?.version !== doc.version) {
      if (s.timer) {
        clearTimeout(s.timer);
        s.timer = undefined;
      }
      void this.runPipeline(uri);
    }
    const run = s.run;
    if (!run || run.version !== doc.version) return undefined;
    if (run.timingState === 'pending') await Promise.race([run.timingSettled, new Promise((r) => setTimeout(r, waitMs))]);
    return this.documents.get(uri)?.version === run.version ? run : undefined;
  }

  /** The run of the current version if it exists already (no waiting, no new analysis). */
  peekRun(uri: string): Run | undefined {
    const doc = this.documents.get(uri);
    const run = this.docs.get(uri)?.run;
    return doc && run?.version === doc.version ? run : undefined;
  }

  private status(uri: string, run: Run, phase: StatusParams['phase'], state: StatusParams['state'], detail?: string): void {
    // The functional phase is the last of an analysis (see gc.ts).
    if (phase === 'functional') this.idleGc.done();
    this.events?.status({ uri, version: run.version, phase, state, ms: Math.round((performance.now() - run.changeAt) * 10) / 10, ...(detail ? { detail } : {}) });
  }

  /** Assemble, then the timing and the functional phases, publishing each for the current version only. */
  private async runPipeline(uri: string): Promise<void> {
    const doc = this.documents.get(uri);
    if (!doc) return;
    const s = this.state(uri);
    mark('analysis starts', s.changeAt);
    const a = this.analysis(uri);
    mark('assembled', s.changeAt);
    collectIfGrown();
    if (!a && s.failure?.version === doc.version) {
      this.events?.failed(uri, doc.version, `the assembler failed on this text (a bug; the language server's log has the details): ${s.failure.message}. Other files are unaffected; an edit tries again`);
      return;
    }
    if (!a || s.analysis?.version !== doc.version || s.run?.version === doc.version) return;
    const run = new Run(doc.version, a, s.changeAt);
    s.run = run;
    const current = () => this.docs.get(uri) === s && s.run === run && this.documents.get(uri)?.version === run.version;
    const publish = () => {
      s.published = true;
      this.events?.publish(uri, run.version, a, run.diagnostics);
    };
    const errors = a.program.diagnostics.filter((d) => d.severity === 'error').length;
    const skip =
      errors > 0
        ? `the program has ${errors} error${errors === 1 ? '' : 's'}; the simulators run once it assembles`
        : !this.settings.autoSimulate
          ? 'dnnvm.autoSimulate is off'
          : a.program.instrs.length === 0
            ? 'no instructions'
            : undefined;
    if (skip) {
      run.skipped = skip;
      run.timingState = run.functionalState = 'skipped';
      run.settleTiming();
      run.settleFunctional();
      publish();
      this.status(uri, run, 'assembly', 'done');
      this.status(uri, run, 'timing', 'skipped', skip);
      this.status(uri, run, 'functional', 'skipped', skip);
      return;
    }
    const fault = this.faults ? FAULT_MARK.exec(a.text) : null;
    const faultFor = (phase: string): Fault | undefined => (fault && fault[1] === phase ? (fault[2] as Fault) : undefined);
    let assemblyOut = false;
    if (!s.published) {
      // A document just opened shows nothing yet: its assembler diagnostics need not wait for the timing.
      assemblyOut = true;
      publish();
      this.status(uri, run, 'assembly', 'done');
    }
    const slow = setTimeout(() => {
      if (!current() || run.timingState !== 'pending' || assemblyOut) return;
      assemblyOut = true;
      publish();
      this.status(uri, run, 'assembly', 'done');
    }, this.limits.slowTimingMs);
    try {
      run.packed = this.pack(a);
    } catch (e) {
      clearTimeout(slow);
      this.connection.console.error(`preparing the simulation of ${uri} failed (a bug): ${(e as Error).stack ?? String(e)}`);
      run.timingState = run.functionalState = 'failed';
      run.timingDiags = [failure(a, 'timing', (e as Error).message)];
      run.settleTiming();
      run.settleFunctional();
      publish();
      this.status(uri, run, 'timing', 'failed');
      return;
    }

    mark('packed', run.changeAt);
    // Phase 1: timing.
    try {
      const results = await this.timingLane.run<TimingResult[]>(uri, { kind: 'timing', program: run.packed, maxInstructions: this.limits.maxInstructions, ...(faultFor('timing') ? { fault: faultFor('timing')! } : {}) });
      mark('timing back', run.changeAt);
      if (!current()) return;
      run.timing = new DocumentTiming(run.packed.segments.map((seg, k) => ({ segment: seg, result: results[k]! })));
      run.timingDiags = problemDiagnostics(a, run.timing.problems, TIMING_SOURCE);
      run.timingState = run.timing.status === 'limit' ? 'stopped' : 'done';
    } catch (e) {
      if (e instanceof JobCancelled || !current()) return;
      run.timingState = 'failed';
      run.timingDiags = [failure(a, 'timing', (e as Error).message)];
    } finally {
      clearTimeout(slow);
      run.settleTiming();
    }
    publish();
    mark('timing published', run.changeAt);
    if (!assemblyOut) this.status(uri, run, 'assembly', 'done');
    this.status(uri, run, 'timing', run.timingState as StatusParams['state']);
    this.events?.timingReady(uri);

    // Phase 2: functional.
    let functionalDetail: string | undefined;
    try {
      const r = await this.functionalLane.run<(FunctionalCheck & { packageNote?: string }) | FunctionalSetupProblem>(uri, {
        kind: 'functional',
        program: run.packed,
        file: a.file,
        budgetMs: this.limits.functionalBudgetMs,
        ...(faultFor('functional') ? { fault: faultFor('functional')! } : {}),
      });
      if (!current()) return;
      if ('setupProblem' in r) {
        run.functionalState = 'skipped';
        run.functionalDiags = [setupDiagnostic(a, r.setupProblem)];
        functionalDetail = r.setupProblem.message;
      } else {
        run.functionalDiags = functionalDiagnostics(a, r, FUNCTIONAL_SOURCE);
        run.functionalState = r.stoppedAt !== undefined ? 'stopped' : 'done';
        const errors = r.problems.filter((x) => x.severity === 'error').length;
        const g = r.golden;
        functionalDetail =
          `${r.executed} instructions, ${errors} error${errors === 1 ? '' : 's'}` +
          (g ? `; golden: ${g.mismatch ? `layer ${g.mismatch.name} differs` : `${g.checked} of ${g.total} layers match`}` : '');
      }
    } catch (e) {
      if (e instanceof JobCancelled || !current()) return;
      run.functionalState = 'failed';
      run.functionalDiags = [failure(a, 'functional', (e as Error).message)];
    } finally {
      run.settleFunctional();
    }
    publish();
    this.status(uri, run, 'functional', run.functionalState as StatusParams['state'], functionalDetail);
  }

  private pack(a: Analysis): PackedProgram {
    return packDocument(a.program);
  }

  /**
   * Simulate a document now: one that is not open, when the edit loop does not (autoSimulate off), or
   * in the steady state (which the edit loop never does: it costs several times one image). Its
   * analysis and timing, or undefined timing with the reason.
   */
  async simulateNow(uri: string, steady = false): Promise<{ a: Analysis; timing?: DocumentTiming; packed?: PackedProgram; reason?: string }> {
    const a = this.analysis(uri) ?? this.analyzeFile(URI.toPath(uri));
    const errors = a.program.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length) return { a, reason: `the program has ${errors.length} error${errors.length === 1 ? '' : 's'} (the first on line ${a.index.position(errors[0]!.start).line + 1}: ${errors[0]!.message})` };
    if (a.program.instrs.length === 0) return { a, reason: 'the program has no instructions' };
    const packed = this.pack(a);
    const results = await this.timingLane.run<TimingResult[]>(`request${steady ? '-steady' : ''}:${uri}`, { kind: 'timing', program: packed, maxInstructions: this.limits.maxInstructions, ...(steady ? { steady } : {}) });
    return { a, packed, timing: new DocumentTiming(packed.segments.map((seg, k) => ({ segment: seg, result: results[k]! }))) };
  }

  /** The analysis of a file on disk (not open in the editor). */
  analyzeFile(file: string): Analysis {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new JobFailed(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, {});
    }
    const program = assemble(text, { ...(this.forcedArch ? { arch: this.forcedArch } : {}), resolveArch: this.archResolver(path.dirname(file)), keepAst: true });
    return { file, text, index: new LineIndex(text), program };
  }

  /** Packed program of an analysis (for jobs a request starts). */
  packAnalysis(a: Analysis): PackedProgram {
    return this.pack(a);
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

/** A phase that failed: said on the first line, with what to do. */
function failure(a: Analysis, phase: 'timing' | 'functional', message: string): SimDiagnostic {
  return {
    severity: 'warning',
    code: 'simulator-failed',
    source: phase === 'timing' ? TIMING_SOURCE : FUNCTIONAL_SOURCE,
    message: `the ${phase} simulation failed, so its diagnostics are missing for this version (the other analyses are unaffected): ${message.split('\n')[0]}. This is a bug: the language server's log has the details`,
    ...programSpan(a),
  };
}

/** The functional check could not start (a region's file): on the `.ddr` line. */
function setupDiagnostic(a: Analysis, p: { message: string; line?: number }): SimDiagnostic {
  const region = p.line !== undefined ? a.program.regions.find((r) => r.line === p.line! - 1) : undefined;
  const span = region ? region.nameSpan : programSpan(a);
  return { severity: 'warning', code: 'ddr-file', source: FUNCTIONAL_SOURCE, message: `${p.message}; the functional check (races, memory accesses, golden checksums) did not run`, start: span.start, end: span.end };
}

/** Drop cached lines that the current text no longer has. */
function pruneLineCache(cache: Map<string, LineBody>, text: string): void {
  const live = new Set(text.split('\n'));
  for (const k of cache.keys()) if (!live.has(k)) cache.delete(k);
}
