// The custom requests of protocol.ts. Compile and validate run in a worker of their own (they take
// seconds: calibration, the functional simulation, the references), with work-done progress and the
// request's cancellation; the simulation summary and the trace come from the timing worker; the
// XGraph comes from the package manifest beside a program, or from importing a model.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { ResponseError, ErrorCodes, LSPErrorCodes, type CancellationToken, type Connection, type WorkDoneProgressParams, type WorkDoneProgressReporter } from 'vscode-languageserver/node';
import { resolveArch } from '../../src-compiler/arch/load';
import { DEFAULT_ARCH_NAME } from '../../src-compiler/arch/presets';
import type { LayerMark } from '../../src-compiler/compile/emit';
import { sha256 } from '../../src-compiler/compile/package';
import { loadModel } from '../../src-compiler/frontend/load';
import type { Analysis } from '../../src-compiler/ide/analysis';
import { manifestBeside } from '../../src-compiler/ide/package';
import type { DocumentTiming } from '../../src-compiler/ide/simulation';
import { nodeLayers, xgraphOfManifest, xgraphResult } from '../../src-compiler/ide/xgraph';
import { canonicalize } from '../../src-compiler/passes/canonicalize';
import { UserError } from '../../src-compiler/util/errors';
import {
  COMPILE_REQUEST,
  SIMULATION_REQUEST,
  TRACE_REQUEST,
  VALIDATE_REQUEST,
  XGRAPH_REQUEST,
  type CompileParams,
  type CompileResult,
  type SimulationParams,
  type SimulationSummary,
  type TraceParams,
  type TraceResult,
  type ValidateParams,
  type ValidateResult,
  type XGraphParams,
  type XGraphResult,
} from './protocol';
import { URI } from './uri';
import type { Job } from './worker';
import { JobCancelled, JobFailed, WorkerLane } from './workers';
import type { Workspace } from './workspace';

export interface RequestContext {
  readonly ws: Workspace;
  /** The first workspace folder (relative paths in params resolve against it), else the cwd. */
  baseDir(): string;
  /** The client accepts server-initiated work-done progress. */
  canCreateProgress(): boolean;
}

/** Turn a failure into the error the client sees: bad input says what to fix; a bug says so. */
function asResponseError(connection: Connection, what: string, e: unknown): ResponseError<void> {
  if (e instanceof JobCancelled) return new ResponseError(LSPErrorCodes.RequestCancelled, `${what} was cancelled`);
  if (e instanceof UserError || (e instanceof JobFailed && e.user)) return new ResponseError(ErrorCodes.InvalidParams, (e as Error).message);
  connection.console.error(`${what} failed (a bug; the server keeps running): ${(e as Error).stack ?? String(e)}`);
  return new ResponseError(ErrorCodes.InternalError, `${what} failed: ${(e as Error).message.split('\n')[0]} (a bug; the language server's log has the details)`);
}

/** Work-done progress for a request: on the client's token if it sent one, else server-initiated when allowed. */
async function progressOf(connection: Connection, params: WorkDoneProgressParams, ctx: RequestContext, title: string): Promise<{ reporter: WorkDoneProgressReporter; userCancel?: CancellationToken }> {
  if (params.workDoneToken !== undefined) {
    const reporter = connection.languages.attachWorkDoneProgress(params);
    reporter.begin(title, 0, undefined, true);
    return { reporter };
  }
  if (ctx.canCreateProgress()) {
    try {
      const reporter = await connection.window.createWorkDoneProgress();
      reporter.begin(title, 0, undefined, true);
      return { reporter, userCancel: reporter.token };
    } catch {
      /* the client refused: no progress */
    }
  }
  const none: WorkDoneProgressReporter = { begin: () => undefined, report: () => undefined, done: () => undefined };
  return { reporter: none };
}

/**
 * Run a long job in a worker of its own, reporting progress and stopping when the request (or the
 * progress) is cancelled. Each call gets a fresh lane, so a compile never waits for another.
 */
async function longJob<T>(connection: Connection, ctx: RequestContext, params: WorkDoneProgressParams, title: string, job: Job, token: CancellationToken, script: string): Promise<T> {
  const { reporter, userCancel } = await progressOf(connection, params, ctx, title);
  const lane = new WorkerLane(title, script, (m) => connection.console.error(m), { hardCancelMs: 1500 });
  const key = 'job';
  const subs = [token.onCancellationRequested(() => lane.cancel(key)), userCancel?.onCancellationRequested(() => lane.cancel(key))];
  try {
    if (token.isCancellationRequested) throw new JobCancelled();
    return await lane.run<T>(key, job, (stage, done, total) => reporter.report(Math.round((100 * done) / Math.max(1, total)), stage));
  } finally {
    for (const s of subs) s?.dispose();
    reporter.done();
    lane.dispose();
  }
}

export function registerRequests(connection: Connection, ctx: RequestContext, script: string): void {
  const ws = ctx.ws;
  const pathOf = (uriOrPath: string) => path.resolve(ctx.baseDir(), URI.toPath(uriOrPath));

  connection.onRequest(COMPILE_REQUEST, async (params: CompileParams & WorkDoneProgressParams, token: CancellationToken): Promise<CompileResult | ResponseError<void>> => {
    try {
      if (!params || typeof params.model !== 'string') throw new UserError('dnnvm/compile needs { model: path of a .onnx or .prototxt }');
      const model = pathOf(params.model);
      if (!fs.existsSync(model)) throw new UserError(`no model at ${model}`);
      const p: CompileParams = { ...params, model, arch: params.arch || ws.settings.target || DEFAULT_ARCH_NAME, batch: params.batch ?? ws.settings.batch };
      return await longJob<CompileResult>(connection, ctx, params, `Compiling ${path.basename(model)}`, { kind: 'compile', params: p, baseDir: ctx.baseDir() }, token, script);
    } catch (e) {
      return asResponseError(connection, `compiling ${params?.model}`, e);
    }
  });

  connection.onRequest(VALIDATE_REQUEST, async (params: ValidateParams & WorkDoneProgressParams, token: CancellationToken): Promise<ValidateResult | ResponseError<void>> => {
    try {
      if (!params || typeof params.uri !== 'string') throw new UserError('dnnvm/validate needs { uri: a model file or a .dnnasm document of a package }');
      const file = pathOf(params.uri);
      let job: Job;
      if (/\.dnnasm$/i.test(file)) {
        const a = ws.analysis(params.uri) ?? ws.analyzeFile(file);
        const errors = a.program.diagnostics.filter((d) => d.severity === 'error');
        if (errors.length) throw new UserError(`${path.basename(file)} has ${errors.length} assembler error${errors.length === 1 ? '' : 's'} (the first on line ${a.index.position(errors[0]!.start).line + 1}: ${errors[0]!.message}): fix them before validating`);
        if (!manifestBeside(file)) throw new UserError(`${path.basename(file)} has no package manifest beside it: validate the model file, or compile it to get a package`);
        const program = ws.packAnalysis(a);
        job = { kind: 'validate', baseDir: ctx.baseDir(), ...(params.weights ? { weights: params.weights } : {}), document: { file, program, layers: layerMarks(a, program.segments.map((s) => s.index)) } };
      } else {
        if (!fs.existsSync(file)) throw new UserError(`no model at ${file}`);
        job = { kind: 'validate', model: file, arch: params.arch || ws.settings.target || DEFAULT_ARCH_NAME, naive: params.naive ?? false, batch: params.batch ?? ws.settings.batch, baseDir: ctx.baseDir(), ...(params.weights ? { weights: params.weights } : {}) };
      }
      return await longJob<ValidateResult>(connection, ctx, params, `Validating ${path.basename(file)}`, job, token, script);
    } catch (e) {
      return asResponseError(connection, `validating ${params?.uri}`, e);
    }
  });

  /** The timing of a document: the edit loop's, or a run now (not open, autoSimulate off). */
  const timingOf = async (uri: string): Promise<{ a: Analysis; timing?: DocumentTiming; reason?: string }> => {
    const run = await ws.currentRun(uri, 60_000);
    if (run?.timing) return { a: run.analysis, timing: run.timing };
    if (run && run.skipped && run.skipped !== 'dnnvm.autoSimulate is off') return { a: run.analysis, reason: run.skipped };
    return ws.simulateNow(uri);
  };

  connection.onRequest(SIMULATION_REQUEST, async (params: SimulationParams): Promise<SimulationSummary | ResponseError<void>> => {
    try {
      const { a, timing } = params.steady ? await ws.simulateNow(params.uri, true) : await timingOf(params.uri);
      if (!timing) return { arch: a.program.arch.name, cores: a.program.arch.cores, cycles: 0, seconds: 0, fps: 0, opsPerSecond: 0, instructions: a.program.instrs.length, status: 'error', layers: [] };
      return timing.summary(a.program);
    } catch (e) {
      return asResponseError(connection, `simulating ${params?.uri}`, e);
    }
  });

  connection.onRequest(TRACE_REQUEST, async (params: TraceParams, token: CancellationToken): Promise<TraceResult | ResponseError<void>> => {
    try {
      const a = ws.analysis(params.uri) ?? ws.analyzeFile(URI.toPath(params.uri));
      const errors = a.program.diagnostics.filter((d) => d.severity === 'error');
      if (errors.length) throw new UserError(`the program has ${errors.length} assembler error${errors.length === 1 ? '' : 's'} (the first on line ${a.index.position(errors[0]!.start).line + 1}: ${errors[0]!.message}): no trace until it assembles`);
      if (a.program.instrs.length === 0) throw new UserError('the program has no instructions: nothing to trace');
      const key = `trace:${params.uri}`;
      const sub = token.onCancellationRequested(() => ws.timingLane.cancel(key));
      try {
        return await ws.timingLane.run<TraceResult>(key, { kind: 'trace', program: ws.packAnalysis(a), maxInstructions: ws.limits.maxInstructions });
      } finally {
        sub.dispose();
      }
    } catch (e) {
      return asResponseError(connection, `tracing ${params?.uri}`, e);
    }
  });

  connection.onRequest(XGRAPH_REQUEST, async (params: XGraphParams): Promise<XGraphResult | ResponseError<void>> => {
    try {
      const file = pathOf(params.uri);
      if (/\.dnnasm$/i.test(file)) {
        const manifest = manifestBeside(file);
        if (!manifest) throw new UserError(`${path.basename(file)} has no package manifest beside it, so there is no XGraph for it: compile its model to get one`);
        const open = ws.documents.get(params.uri) ? await timingOf(params.uri).catch(() => undefined) : undefined;
        return xgraphFromManifest(manifest, open?.a, open?.timing);
      }
      // A model: the package beside it if it was compiled from this very file, else the canonical graph.
      const name = path.basename(file).replace(/\.(onnx|prototxt)$/i, '');
      const pkg = path.join(path.dirname(file), `${name}.manifest.json`);
      if (fs.existsSync(pkg)) {
        const m = readJson(pkg) as { modelSha256?: string };
        if (m.modelSha256 === sha256(fs.readFileSync(file))) {
          const asmUri = URI.fromPath(path.join(path.dirname(file), `${name}.dnnasm`));
          const open = ws.documents.get(asmUri) ? await timingOf(asmUri).catch(() => undefined) : undefined;
          return xgraphFromManifest(pkg, open?.a, open?.timing);
        }
      }
      const arch = resolveArch(ws.settings.target || DEFAULT_ARCH_NAME, ctx.baseDir());
      const g = canonicalize(loadModel(file), arch);
      return xgraphResult(g, arch.name, [], new Map());
    } catch (e) {
      return asResponseError(connection, `the XGraph of ${params?.uri}`, e);
    }
  });
}

/** Layer markers per segment (segment-relative first instruction), for validating a document. */
function layerMarks(a: Analysis, segmentIndices: readonly number[]): LayerMark[][] {
  return segmentIndices.map((si) => {
    const seg = a.program.segments[si]!;
    const next = a.program.segments[si + 1]?.line ?? Infinity;
    return a.program.layers
      .filter((l) => l.line > seg.line && l.line < next)
      .map((l) => ({ name: l.name, nodes: l.nodes, ...(l.group ? { group: l.group } : {}), first: Math.max(0, l.first - seg.first) }));
  });
}

const jsonCache = new Map<string, { mtimeMs: number; doc: unknown }>();
function readJson(file: string): unknown {
  const st = fs.statSync(file);
  const hit = jsonCache.get(file);
  if (hit && hit.mtimeMs === st.mtimeMs) return hit.doc;
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  jsonCache.set(file, { mtimeMs: st.mtimeMs, doc });
  return doc;
}

/** The XGraph of a package's manifest, with the nodes' latencies from the open assembly's timing if there is one. */
function xgraphFromManifest(file: string, a: Analysis | undefined, timing: DocumentTiming | undefined): XGraphResult {
  return xgraphOfManifest(readJson(file), file, a ? nodeLayers(a.program, timing) : undefined);
}
