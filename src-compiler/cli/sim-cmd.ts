// `dnnvm sim` (timing simulation) and `dnnvm run` (functional execution).

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveArch } from '../arch/load';
import type { Arch } from '../arch/model';
import { boardByName, DEFAULT_ARCH_NAME } from '../arch/presets';
import { disassemble } from '../asm/disassemble';
import { assembleFile } from '../asm/file';
import { wordsFromBytes } from '../isa/encoding';
import { loadDdrImage, type SuppliedRegion } from '../sim/ddr-files';
import { runFunctional } from '../sim/functional';
import { programFromAsm, programFromWords, type SimProblem, type SimProgram } from '../sim/program';
import { simulateSteadyState, simulateTiming, type TimingResult } from '../sim/timing';
import { limits } from '../util/limits';
import { chromeTrace } from '../sim/trace';
import { segmentProgram } from '../debug/launch';
import { UserError, type SourceLocation } from '../util/errors';
import { writeFileAtomic } from '../util/fsx';
import { reportAssembly } from './asm-cmd';
import { optFlag, optString, type ParsedArgs } from './args';
import { printLocated, type CliIO } from './io';
import { si, table } from './table';

interface LoadedProgram {
  readonly file: string;
  readonly program: SimProgram;
  /** `.segment`s of an assembly (one for a binary or a program without them). */
  readonly segments?: readonly { readonly name: string; readonly first: number; readonly end: number }[];
}

/**
 * The segments to run: the one --segment names (a name or a 0-based index), or all of them. A
 * compiled model with host layers has several, the host steps between them in its package manifest.
 */
function chooseSegments(lp: LoadedProgram, p: ParsedArgs): LoadedProgram[] {
  const segs = lp.segments && lp.segments.length > 1 ? lp.segments : undefined;
  const want = optString(p, 'segment');
  if (!segs) {
    if (want !== undefined && want !== '0' && want !== (lp.segments?.[0]?.name ?? 'main')) throw new UserError(`--segment ${want}: ${path.basename(lp.file)} has one segment`, { file: lp.file });
    return [lp];
  }
  const one = (k: number): LoadedProgram => ({ file: lp.file, program: segmentProgram(lp.program, segs[k]!.first, segs[k]!.end), segments: [segs[k]!] });
  if (want === undefined) return segs.map((_, k) => one(k));
  const k = /^\d+$/.test(want) ? Number(want) : segs.findIndex((x) => x.name === want);
  if (k < 0 || k >= segs.length) throw new UserError(`--segment ${want}: ${path.basename(lp.file)} has segments ${segs.map((x, i) => `${i}: ${x.name}`).join(', ')}`, { file: lp.file });
  return [one(k)];
}

/** Assemble a .dnnasm or decode a .dnnbin; prints its diagnostics; undefined if it has errors. */
function loadProgram(file: string, archOpt: string | undefined, io: CliIO): LoadedProgram | undefined {
  const src = path.resolve(io.cwd, file);
  const arch = archOpt ? resolveArch(archOpt, io.cwd) : undefined;
  if (/\.dnnasm$/i.test(file)) {
    const a = assembleFile(src, arch);
    if (reportAssembly(a, io) > 0) {
      io.err(`${file}: the program has errors; nothing simulated\n`);
      return undefined;
    }
    return { file: src, program: programFromAsm(a.program, a.index), segments: a.program.segments };
  }
  if (/\.dnnbin$/i.test(file)) {
    let bytes: Uint8Array;
    try {
      bytes = fs.readFileSync(src);
    } catch (e) {
      throw new UserError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
    const target: Arch = arch ?? boardByName(DEFAULT_ARCH_NAME)!;
    const { words, error } = wordsFromBytes(bytes);
    const d = disassemble(words, target);
    for (const e of d.errors) printLocated(io, 'error', e.message, { file: src });
    if (error) printLocated(io, 'error', error, { file: src });
    if (d.errors.length > 0 || error) {
      io.err(`${file}: the binary has errors; nothing simulated\n`);
      return undefined;
    }
    return { file: src, program: programFromWords(words, target).program };
  }
  throw new UserError(`${file}: a program is a .dnnasm (assembly) or a .dnnbin (binary) file`);
}

function locationOf(lp: LoadedProgram, instr: number): SourceLocation {
  const p = lp.program;
  if (instr < 0 || !p.lines) return { file: lp.file };
  return { file: lp.file, line: p.lines[instr]!, col: p.cols?.[instr] ?? 1 };
}

/** Print problems as `file:line:col: severity: message [code]`; returns the number of errors. */
function reportProblems(lp: LoadedProgram, problems: readonly SimProblem[], io: CliIO): number {
  let errors = 0;
  for (const pr of problems) {
    if (pr.severity === 'error') errors++;
    printLocated(io, pr.severity, `${pr.message} [${pr.code}]`, locationOf(lp, pr.instr));
  }
  return errors;
}

function problemsJson(lp: LoadedProgram, problems: readonly SimProblem[]) {
  return problems.map((pr) => ({
    severity: pr.severity,
    code: pr.code,
    message: pr.message,
    instruction: pr.instr,
    ...(pr.instr >= 0 && lp.program.lines ? { line: lp.program.lines[pr.instr], col: lp.program.cols?.[pr.instr] ?? 1 } : {}),
    ...(pr.related ? { related: pr.related.map((i) => (lp.program.lines ? { instruction: i, line: lp.program.lines[i] } : { instruction: i })) } : {}),
  }));
}

function parseCores(p: ParsedArgs, arch: Arch): number {
  const text = optString(p, 'cores');
  if (text === undefined) return arch.cores;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > arch.cores) throw new UserError(`--cores ${text}: ${arch.name} has ${arch.cores} core${arch.cores === 1 ? '' : 's'}; give 1..${arch.cores}`);
  return n;
}

export function simJson(r: TimingResult) {
  return {
    status: r.status,
    arch: r.arch,
    cores: r.cores,
    frequencyMHz: r.frequencyHz / 1e6,
    cycles: r.cycles,
    seconds: r.seconds,
    images: r.images,
    period: r.period,
    fps: r.fps,
    instructions: r.instructions,
    executed: r.executed,
    ops: r.ops,
    macs: r.macs,
    ddrBytes: r.ddrBytes,
    opsPerSecond: r.opsPerSecond,
    utilization: r.utilization,
    engines: r.engines,
    layers: r.layers.map((l) => ({
      name: l.name,
      ...(l.line !== undefined ? { line: l.line } : {}),
      instructions: Math.max(0, Math.min(l.end, r.instructions) - l.first),
      startCycle: l.startCycle,
      endCycle: l.endCycle,
      cycles: l.cycles,
      incrementalCycles: l.incrementalCycles,
      ops: l.ops,
      macs: l.macs,
      ddrBytes: l.ddrBytes,
      opsPerSecond: l.opsPerSecond,
      utilization: l.utilization,
      rooflineCycles: l.rooflineCycles,
      rooflineFraction: l.rooflineFraction,
      bound: l.bound,
    })),
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
/** 7.74 us, 12.3 ms, 1.20 s. */
function duration(seconds: number): string {
  if (seconds >= 1) return `${seconds.toPrecision(3)} s`;
  if (seconds >= 1e-3) return `${(seconds * 1e3).toPrecision(3)} ms`;
  if (seconds >= 1e-6) return `${(seconds * 1e6).toPrecision(3)} us`;
  return `${(seconds * 1e9).toPrecision(3)} ns`;
}
const int = (x: number) => Math.round(x).toLocaleString('en-US');

export function runSim(p: ParsedArgs, io: CliIO): number {
  const file = p.positional[0];
  if (!file || p.positional.length > 1) throw new UserError('usage: dnnvm sim PROGRAM [--arch A] [--cores N] [--steady] [--json] [--trace FILE.json]');
  const json = optFlag(p, 'json');
  const tracePath = optString(p, 'trace');
  const lp = loadProgram(file, optString(p, 'arch'), io);
  if (!lp) {
    if (json) io.out(JSON.stringify({ ok: false, error: 'the program does not assemble or decode; see stderr' }) + '\n');
    return 1;
  }
  const arch = lp.program.arch;
  const cores = parseCores(p, arch);
  const steady = optFlag(p, 'steady');
  const parts = chooseSegments(lp, p);
  if (tracePath && parts.length > 1) throw new UserError(`--trace: ${path.basename(lp.file)} has ${parts.length} segments; trace one with --segment NAME`, { file: lp.file });
  const simOptions = { cores, maxCycles: limits().simulatedCycles, ...(tracePath ? { recordAllCores: true, bandwidthTimeline: true } : {}) };
  const results = parts.map((part) => ({ part, r: steady ? simulateSteadyState(part.program, simOptions) : simulateTiming(part.program, simOptions) }));
  let errors = 0;
  for (const { part, r } of results) errors += reportProblems(part, r.problems, io);
  if (tracePath) {
    const out = path.resolve(io.cwd, tracePath);
    writeFileAtomic(out, JSON.stringify(chromeTrace(parts[0]!.program, results[0]!.r)));
    if (!json) io.err(`trace: ${path.relative(io.cwd, out) || out} (open it in ui.perfetto.dev or chrome://tracing)\n`);
  }
  if (json) {
    const one = (part: LoadedProgram, r: TimingResult) => ({ ...simJson(r), problems: problemsJson(part, r.problems) });
    const body =
      results.length === 1
        ? { ...one(results[0]!.part, results[0]!.r), ...(parts[0]!.segments?.length === 1 && lp.segments && lp.segments.length > 1 ? { segment: parts[0]!.segments[0]!.name } : {}) }
        : { segments: results.map(({ part, r }) => ({ segment: part.segments![0]!.name, ...one(part, r) })), period: results.reduce((a, x) => a + x.r.period, 0) };
    io.out(JSON.stringify({ ok: errors === 0, program: lp.file, ...body, ...(tracePath ? { trace: path.resolve(io.cwd, tracePath) } : {}) }) + '\n');
    return errors > 0 ? 1 : 0;
  }
  results.forEach(({ part, r }, k) => {
    if ((lp.segments?.length ?? 1) > 1) io.out(`${k > 0 ? '\n' : ''}segment ${part.segments![0]!.name}:\n`);
    printSim(io, part, r, cores);
  });
  if (results.length > 1) {
    const period = results.reduce((a, x) => a + x.r.period, 0);
    io.out(`\nall ${results.length} segments: ${int(period)} cycles = ${duration(period / results[0]!.r.frequencyHz)} per image on the DPU (the host steps between them are not timed)\n`);
  }
  return errors > 0 ? 1 : 0;
}

function printSim(io: CliIO, lp: LoadedProgram, r: TimingResult, cores: number): void {
  const arch = lp.program.arch;
  const d = arch.derived;
  const mode =
    cores <= 1
      ? '1 core'
      : r.images > 1
        ? `${cores} cores in throughput mode, steady state (staggered starts, ${r.images} images per core; per-instruction times of core 0's last image)`
        : `${cores} cores in throughput mode (each runs the program on its own image from cycle 0, sharing the DDR)`;
  io.out(`${path.relative(io.cwd, lp.file) || lp.file}: ${arch.name}, ${arch.dpu.name} at ${arch.frequencyMHz} MHz, ${mode}\n`);
  if (r.status !== 'complete') io.out(`the simulation did not complete (${r.status}); the figures cover what ran\n`);
  io.out('\n');
  if (r.layers.length > 0)
    io.out(
      table(
        ['layer', 'instrs', 'start', 'end', 'cycles', '+cycles', 'MACs', 'DDR bytes', 'ops/s', 'MAC util', 'roofline', 'bound'],
        r.layers.map((l) => [
          l.name,
          String(Math.max(0, Math.min(l.end, r.instructions) - l.first)),
          int(l.startCycle),
          int(l.endCycle),
          int(l.cycles),
          int(l.incrementalCycles),
          si(l.macs, ''),
          si(l.ddrBytes, 'B'),
          si(l.opsPerSecond, 'OP/s'),
          pct(l.utilization),
          pct(l.rooflineFraction),
          l.bound,
        ]),
      ) + '\n',
    );
  // A program compiled with --batch computes `.batch` images per run.
  const run = r.batch > 1 ? `run of ${r.batch} images` : 'image';
  io.out(
    `total: ${int(r.period)} cycles = ${duration(r.period / r.frequencyHz)} per ${run}${r.images > 1 ? ' on a core in the steady state' : ''}; ${int(r.fps)} images/s with ${cores} core${cores === 1 ? '' : 's'}; ` +
      `${si(r.opsPerSecond, 'OP/s')} (${pct(r.opsPerSecond / ((d.peakOpsPerSecond * cores) / arch.cores))} of peak); ` +
      `${si(r.ops, 'OP')} and ${si(r.ddrBytes, 'B')} of DDR traffic per ${run}; ${r.instructions} instructions\n`,
  );
  io.out(`engines (core 0): ${r.engines.map((e) => `${e.engine} ${pct(e.utilization)} busy (${e.instructions})`).join(', ')}\n`);
  io.out('columns: start/end = first start and last end of the layer on core 0; cycles = end - start (layers may overlap); +cycles = how much later the program finishes because of the layer (these add up); roofline = the fewest cycles its work allows / cycles\n');
}

export function runRun(p: ParsedArgs, io: CliIO): number {
  const file = p.positional[0];
  if (!file || p.positional.length > 1) throw new UserError('usage: dnnvm run PROGRAM [--input FILE] [--output FILE] [--arch A] [--json]');
  if (/\.dnnbin$/i.test(file))
    throw new UserError(`${file}: a .dnnbin holds only instructions; running it needs its DDR regions and data. Run the .dnnasm that declares them with .ddr (program packages come with the compiler)`);
  const json = optFlag(p, 'json');
  let lp = loadProgram(file, optString(p, 'arch'), io);
  if (!lp) {
    if (json) io.out(JSON.stringify({ ok: false, error: 'the program does not assemble; see stderr' }) + '\n');
    return 1;
  }
  if (lp.segments && lp.segments.length > 1 && optString(p, 'segment') === undefined)
    throw new UserError(
      `${path.basename(lp.file)} has ${lp.segments.length} segments (${lp.segments.map((x) => x.name).join(', ')}), with host layers between them that the assembly does not describe: run one with --segment NAME, or run the whole model with its host steps with dnnvm validate MODEL`,
      { file: lp.file },
    );
  const loaded = lp;
  lp = chooseSegments(loaded, p)[0]!;
  const supplied = new Map<string, SuppliedRegion>();
  const inputPath = optString(p, 'input');
  if (inputPath !== undefined) {
    const abs = path.resolve(io.cwd, inputPath);
    let bytes: Uint8Array;
    try {
      bytes = fs.readFileSync(abs);
    } catch (e) {
      throw new UserError(`--input ${inputPath}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
    supplied.set('input', { bytes, origin: `--input ${inputPath}` });
  }
  const ddr = loadDdrImage(lp.program, lp.file, supplied);
  const outputPath = optString(p, 'output');
  const output = ddr.byName('output');
  if (outputPath !== undefined && !output)
    throw new UserError(`--output: the program has no DDR region named 'output' (its regions: ${ddr.regions.map((r) => r.name).join(', ') || 'none'})`, { file: lp.file });
  const t0 = performance.now();
  const r = runFunctional(lp.program, ddr);
  const seconds = (performance.now() - t0) / 1000;
  const errors = reportProblems(lp, r.problems, io);
  const outBytes = output ? new Uint8Array(output.data.buffer, output.data.byteOffset, output.data.length) : undefined;
  const sha256 = outBytes ? crypto.createHash('sha256').update(outBytes).digest('hex') : undefined;
  if (errors === 0 && outputPath !== undefined) writeFileAtomic(path.resolve(io.cwd, outputPath), outBytes!);
  if (json) {
    io.out(
      JSON.stringify({
        ok: errors === 0,
        program: lp.file,
        arch: lp.program.arch.name,
        instructions: lp.program.count,
        executed: r.executed,
        macs: r.macs,
        seconds,
        macsPerSecond: seconds > 0 ? r.macs / seconds : 0,
        ...(output ? { output: { region: 'output', bytes: output.size, sha256, ...(errors === 0 && outputPath ? { file: path.resolve(io.cwd, outputPath) } : {}) } } : {}),
        problems: problemsJson(lp, r.problems),
      }) + '\n',
    );
    return errors > 0 ? 1 : 0;
  }
  if (errors > 0) {
    io.err(`${file}: ${errors} error${errors === 1 ? '' : 's'}; ${outputPath ? 'no output written' : 'the results are not valid'}\n`);
    return 1;
  }
  io.out(`${path.relative(io.cwd, lp.file) || lp.file}: ${r.executed} instructions, ${si(r.macs, 'MAC')} in ${duration(seconds)} on ${lp.program.arch.name} (one core, bit-exact)\n`);
  if (output) io.out(`output: region output, ${output.size} bytes, sha256 ${sha256}${outputPath ? `, written to ${outputPath}` : ''}\n`);
  return 0;
}
