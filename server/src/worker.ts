// The language server's worker threads: the simulators and the compiler run here, so that the main
// thread keeps answering (hover, completion, edits) while they work, and so that a newer edit can
// cancel them: the main thread writes into a shared flag the id of the one job it still wants; the job
// polls it (the simulators' and the compiler's isCancelled) and gives up when it changes. A worker
// that dies or hangs is replaced; the server itself never goes down with it.
//
// Jobs and their results are plain data (typed arrays for the programs, see transport.ts).

import * as path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { resolveArch } from '../../src-compiler/arch/load';
import { DEFAULT_ARCH_NAME, boardByName } from '../../src-compiler/arch/presets';
import { programFromInstrs } from '../../src-compiler/sim/program';
import { pingPongProgram } from '../../src-compiler/sim/testing/build';
import { compileModel, type Compiled } from '../../src-compiler/compile/compile';
import type { LayerMark } from '../../src-compiler/compile/emit';
import { packageFiles, programText, readManifest, sha256, writePackage } from '../../src-compiler/compile/package';
import { simulateCompiled } from '../../src-compiler/compile/report';
import { reusableCalibration } from '../../src-compiler/cli/compile-cmd';
import { validateCompiled } from '../../src-compiler/compile/validate';
import { checkSegments, documentDdr } from '../../src-compiler/ide/check';
import { FileCache, manifestBeside } from '../../src-compiler/ide/package';
import { simulateSegments } from '../../src-compiler/ide/simulation';
import { chromeTrace } from '../../src-compiler/sim/trace';
import { simulateTiming } from '../../src-compiler/sim/timing';
import { CancelledError, UserError } from '../../src-compiler/util/errors';
import { resetLimits, setLimits, type Limits } from '../../src-compiler/util/limits';
import type { CompileParams, CompileResult, SimulationSummary, ValidateResult } from './protocol';
import { unpackSegments, type PackedProgram } from './transport';
import { collectGarbage } from './gc';

export interface WorkerInit {
  readonly role: 'dnnvm-worker';
  /** Int32Array(1): the id of the job that may run; anything else cancels it. */
  readonly flag: SharedArrayBuffer;
  /** Honour injected faults (tests of the server's isolation only). */
  readonly faults: boolean;
}

export type Fault = 'throw' | 'exit' | 'hang';

export type Job =
  | { readonly kind: 'warmup' }
  | { readonly kind: 'timing'; readonly program: PackedProgram; readonly cores?: number; readonly maxInstructions: number; readonly steady?: boolean; readonly fault?: Fault }
  | { readonly kind: 'trace'; readonly program: PackedProgram; readonly cores?: number; readonly maxInstructions: number }
  | { readonly kind: 'functional'; readonly program: PackedProgram; readonly file: string; readonly budgetMs: number; readonly maxProblems?: number; readonly fault?: Fault }
  | { readonly kind: 'compile'; readonly params: CompileParams; readonly baseDir: string }
  | {
      readonly kind: 'validate';
      readonly model?: string;
      readonly arch?: string;
      readonly naive?: boolean;
      readonly batch?: number;
      readonly weights?: string;
      readonly baseDir: string;
      /** A document of a package: its program (no errors) and its layers per segment. */
      readonly document?: { readonly file: string; readonly program: PackedProgram; readonly layers: readonly (readonly LayerMark[])[] };
    };

export type WorkerMessage =
  | { readonly id: number; readonly type: 'result'; readonly value: unknown }
  | { readonly id: number; readonly type: 'error'; readonly cancelled: boolean; readonly message: string; readonly user?: { readonly line?: number } }
  | { readonly id: number; readonly type: 'progress'; readonly stage: string; readonly done: number; readonly total: number };

/** What a functional job returns when it could not start (a region's file is missing, ...). */
export interface FunctionalSetupProblem {
  readonly setupProblem: { readonly message: string; readonly line?: number };
}

export function runWorker(init: WorkerInit): void {
  const port = parentPort!;
  const flag = new Int32Array(init.flag);
  const files = new FileCache();
  port.on('message', (m: { id: number; job: Job; limits?: Limits }) => {
    // The main thread's limits (the dnnvm.limits.* settings), already checked there.
    resetLimits();
    if (m.limits) setLimits({ ...m.limits });
    const isCancelled = () => Atomics.load(flag, 0) !== m.id;
    const progress = (stage: string, done: number, total: number) => port.postMessage({ id: m.id, type: 'progress', stage, done, total } satisfies WorkerMessage);
    try {
      const value = run(m.job, { isCancelled, progress, files, faults: init.faults });
      port.postMessage({ id: m.id, type: 'result', value } satisfies WorkerMessage);
    } catch (e) {
      const cancelled = e instanceof CancelledError;
      const user = e instanceof UserError ? { ...(e.location.line !== undefined ? { line: e.location.line } : {}) } : undefined;
      // A bad input says where, as the command line does (file:line:col: message); a bug keeps its stack for the log.
      const message = e instanceof UserError ? located(e) : cancelled ? (e as Error).message : ((e as Error).stack ?? String(e));
      port.postMessage({ id: m.id, type: 'error', cancelled, message, ...(user ? { user } : {}) } satisfies WorkerMessage);
    }
    // A job's garbage (see gc.ts) goes now, while the lane waits for the next job.
    if (m.job.kind !== 'warmup') collectGarbage?.();
  });
}

function located(e: UserError): string {
  const l = e.location;
  return l.file ? `${l.file}${l.line !== undefined ? `:${l.line}${l.col !== undefined ? `:${l.col}` : ''}` : ''}: ${e.message}` : e.message;
}

interface Ctx {
  readonly isCancelled: () => boolean;
  readonly progress: (stage: string, done: number, total: number) => void;
  readonly files: FileCache;
  readonly faults: boolean;
}

function injected(f: Fault | undefined, ctx: Ctx): void {
  if (!f || !ctx.faults) return;
  if (f === 'throw') throw new Error('injected fault (a test of the server\'s isolation)');
  if (f === 'exit') process.exit(3);
  if (f === 'hang') for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
}

function run(job: Job, ctx: Ctx): unknown {
  switch (job.kind) {
    case 'warmup': {
      // Get the simulator's hot loops compiled before the first real edit needs them.
      const arch = boardByName(DEFAULT_ARCH_NAME)!;
      const p = programFromInstrs(pingPongProgram(arch, 400), arch);
      const t0 = performance.now();
      for (let k = 0; k < 30 && performance.now() - t0 < 400 && !ctx.isCancelled(); k++) simulateTiming(p, { isCancelled: ctx.isCancelled });
      return null;
    }
    case 'timing': {
      injected(job.fault, ctx);
      const segs = unpackSegments(job.program);
      return simulateSegments(segs, { ...(job.cores ? { cores: job.cores } : {}), isCancelled: ctx.isCancelled, maxInstructions: job.maxInstructions, ...(job.steady ? { steady: true } : {}) });
    }
    case 'trace':
      return { json: traceJson(job.program, job.cores, job.maxInstructions, ctx) };
    case 'functional': {
      injected(job.fault, ctx);
      const segs = unpackSegments(job.program);
      let ddr;
      try {
        ddr = documentDdr(job.program.regions, path.dirname(job.file), ctx.files);
      } catch (e) {
        if (!(e instanceof UserError)) throw e;
        return { setupProblem: { message: e.message, ...(e.location.line !== undefined ? { line: e.location.line } : {}) } } satisfies FunctionalSetupProblem;
      }
      const manifest = manifestBeside(job.file);
      let pkg;
      let note: string | undefined;
      if (manifest) {
        try {
          pkg = ctx.files.package(manifest);
        } catch (e) {
          note = `${path.basename(manifest)} is beside this file but cannot be used: ${(e as Error).message}`;
        }
      }
      const deadline = Date.now() + job.budgetMs;
      const r = checkSegments(segs, ddr, { isCancelled: ctx.isCancelled, deadline, ...(pkg ? { pkg } : {}), ...(job.maxProblems ? { maxProblems: job.maxProblems } : {}) });
      return { ...r, ...(note ? { packageNote: note } : {}) };
    }
    case 'compile':
      return compileJob(job.params, job.baseDir, ctx);
    case 'validate':
      return validateJob(job, ctx);
  }
}

/** The most instruction slices a trace holds for every core; beyond, core 0's only. */
export const TRACE_MAX_SLICES = 2_000_000;

function traceJson(pp: PackedProgram, cores: number | undefined, maxInstructions: number, ctx: Ctx): string {
  const segs = unpackSegments(pp);
  let offsetUs = 0;
  const events: unknown[] = [];
  let metadata: Record<string, unknown> = {};
  segs.forEach((s, k) => {
    // Every core's slices, unless that makes a trace no viewer opens (millions of slices): then core 0's.
    const all = s.program.count * (cores ?? pp.arch.cores) <= TRACE_MAX_SLICES;
    const r = simulateTiming(s.program, { ...(cores ? { cores } : {}), recordAllCores: all, bandwidthTimeline: true, isCancelled: ctx.isCancelled, maxInstructions });
    const t = chromeTrace(s.program, r);
    for (const e of t.traceEvents) {
      // Process and thread names once; every segment's slices after the ones before it.
      if (e.ph === 'M' && k > 0) continue;
      events.push(e.ts !== undefined ? { ...e, ts: e.ts + offsetUs, ...(segs.length > 1 ? { args: { ...(e.args ?? {}), segment: s.name } } : {}) } : e);
    }
    if (k === 0) metadata = { ...t.metadata, ...(segs.length > 1 ? { segments: segs.map((x) => x.name) } : {}) };
    offsetUs += (r.cycles / r.frequencyHz) * 1e6;
  });
  return JSON.stringify({ traceEvents: events, displayTimeUnit: 'ns', metadata });
}

/** Line numbers for `where()` texts of a program without lines ("instruction 7 (word 35)"). */
function withLines(message: string, lineOf: (segment: number, instr: number) => number | undefined, segment: number): string {
  return message.replace(/instruction (\d+) \(word \d+\)/g, (all, k: string) => {
    const line = lineOf(segment, Number(k));
    return line !== undefined ? `line ${line}` : all;
  });
}

function summaryOf(c: Compiled, asmText: string, isCancelled: () => boolean): SimulationSummary {
  const t = simulateCompiled(c, { isCancelled });
  const markerLines: number[] = [];
  asmText.split('\n').forEach((l, i) => {
    if (l.startsWith('.layer ')) markerLines.push(i);
  });
  return {
    arch: c.arch.name,
    cores: t.cores,
    cycles: t.cycles,
    seconds: t.seconds,
    fps: t.fps,
    opsPerSecond: t.opsPerSecond,
    instructions: t.instructions,
    status: t.status,
    layers: t.layers.map((l, k) => ({ name: l.name, line: markerLines[k] ?? -1, cycles: l.cycles, ops: l.ops, opsPerSecond: l.opsPerSecond, rooflineFraction: l.rooflineFraction })),
  };
}

const STAGE_SHARE: Record<string, [number, number]> = { import: [0, 2], canonicalize: [2, 4], quantize: [4, 70], generate: [70, 90] };

function compileProgress(ctx: Ctx): (stage: string, done: number, total: number) => void {
  return (stage, done, total) => {
    const [a, b] = STAGE_SHARE[stage] ?? [90, 90];
    ctx.progress(stage, a + ((b - a) * done) / Math.max(1, total), 100);
  };
}

function compileJob(p: CompileParams, baseDir: string, ctx: Ctx): CompileResult {
  const arch = resolveArch(p.arch || DEFAULT_ARCH_NAME, baseDir);
  const model = path.resolve(baseDir, p.model);
  const dir = p.outDir ? path.resolve(baseDir, p.outDir) : path.dirname(model);
  const name = path.basename(model).replace(/\.(onnx|prototxt)$/i, '');
  const files = packageFiles(dir, name);
  // An earlier package of the same model gives its calibration statistics (the slow part), as dnnvm compile does.
  const stats = p.recalibrate ? undefined : reusableCalibration(files.manifest, model, undefined);
  const c = compileModel(model, {
    arch,
    naive: p.naive ?? false,
    ...(p.batch ? { batch: p.batch } : {}),
    load: p.weights ? { weights: path.resolve(baseDir, p.weights) } : {},
    ...(stats ? { calibrationStats: stats } : {}),
    onProgress: compileProgress(ctx),
    isCancelled: ctx.isCancelled,
  });
  if (ctx.isCancelled()) throw new CancelledError();
  let previousAsmSha256: string | undefined;
  try {
    previousAsmSha256 = readManifest(files.manifest).asmSha256;
  } catch {
    /* no package yet, or one this version cannot read */
  }
  ctx.progress('writing the package', 92, 100);
  // From here on the files are written (each atomically); cancellation waits for the package.
  const m = writePackage(c, dir, name, { writeAsm: false, golden: true }) as { asmSha256: string; asmText: string };
  ctx.progress('simulating', 98, 100);
  return {
    dir,
    asmPath: files.asm,
    asmText: m.asmText,
    asmSha256: m.asmSha256,
    ...(previousAsmSha256 ? { previousAsmSha256 } : {}),
    manifestPath: files.manifest,
    summary: summaryOf(c, m.asmText, () => false),
  };
}

function validateJob(job: Extract<Job, { kind: 'validate' }>, ctx: Ctx): ValidateResult {
  const problems: string[] = [];
  let c: Compiled;
  let lineOf = (_s: number, _i: number): number | undefined => undefined;
  if (job.document) {
    const doc = job.document;
    const manifestFile = manifestBeside(doc.file);
    if (!manifestFile) throw new UserError(`${path.basename(doc.file)} has no package manifest beside it (${path.basename(doc.file).replace(/\.dnnasm$/i, '')}.manifest.json): validate the model file instead, or compile it first`);
    const m = readManifest(manifestFile);
    const model = path.resolve(path.dirname(manifestFile), m.model);
    const stats = reusableCalibration(manifestFile, model, undefined);
    const compiled = compileModel(model, {
      arch: doc.program.arch,
      naive: m.mode === 'naive',
      ...(m.batch ? { batch: m.batch } : {}),
      ...(job.weights ? { load: { weights: path.resolve(job.baseDir, job.weights) } } : {}),
      ...(stats ? { calibrationStats: stats } : {}),
      onProgress: compileProgress(ctx),
      isCancelled: ctx.isCancelled,
    });
    const name = path.basename(manifestFile).replace(/\.manifest\.json$/, '');
    const files = packageFiles(path.dirname(manifestFile), name);
    if (sha256(Buffer.from(programText(compiled, { weights: path.basename(files.weights), input: path.basename(files.input) }))) !== m.asmSha256)
      problems.push(`compiling ${m.model} today gives other code than ${path.basename(manifestFile)} records (the model or the compiler changed): the references come from today's compilation; recompile the model before trusting a comparison of hand edits`);
    const segs = unpackSegments(doc.program);
    if (segs.length !== compiled.segments.length)
      throw new UserError(`this file has ${segs.length} DPU segment${segs.length === 1 ? '' : 's'} and the compiled model ${compiled.segments.length}: the references cannot be matched to the program`);
    c = {
      ...compiled,
      segments: compiled.segments.map((s, k) => ({ ...s, instrs: segs[k]!.program.instrs.slice(), layers: [...doc.layers[k]!] })),
    };
    lineOf = (s, i) => {
      const l = segs[s]?.program.lines?.[i];
      return l;
    };
  } else {
    const model = path.resolve(job.baseDir, job.model!);
    const arch = resolveArch(job.arch || DEFAULT_ARCH_NAME, job.baseDir);
    c = compileModel(model, { arch, naive: job.naive ?? false, ...(job.batch ? { batch: job.batch } : {}), ...(job.weights ? { load: { weights: path.resolve(job.baseDir, job.weights) } } : {}), onProgress: compileProgress(ctx), isCancelled: ctx.isCancelled });
  }
  ctx.progress('running the program and the references', 90, 100);
  const v = validateCompiled(c, { isCancelled: ctx.isCancelled });
  // The runtime's programs carry no lines; with one segment its instruction numbers are the document's.
  for (const pr of v.problems) if (pr.severity === 'error') problems.push(c.segments.length === 1 ? withLines(pr.message, lineOf, 0) : pr.message);
  const first = v.mismatches[0];
  return {
    bitExact: v.bitExact,
    layersChecked: v.layersChecked,
    ...(first ? { firstMismatch: { layer: first.layer, tensor: first.tensor, differing: first.differing, total: first.total } } : {}),
    problems,
    ...(v.float ? { float: { cosine: v.float.cosine, top1Agree: v.float.top1Agree } } : {}),
  };
}

if (workerData && (workerData as WorkerInit).role === 'dnnvm-worker') runWorker(workerData as WorkerInit);
