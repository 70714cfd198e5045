// `dnnvm compile MODEL` and `dnnvm validate MODEL`.

import * as path from 'node:path';
import { resolveArch } from '../arch/load';
import { DEFAULT_ARCH_NAME } from '../arch/presets';
import { compileModel, type Compiled, type CompileOptions } from '../compile/compile';
import * as fs from 'node:fs';
import { packageFiles, readManifest, sha256, writePackage } from '../compile/package';
import { simulateCompiled, type CompiledTiming } from '../compile/report';
import { validateCompiled } from '../compile/validate';
import { MAX_BATCH } from '../asm/directives';
import { UserError } from '../util/errors';
import { optFlag, optString, type ParsedArgs } from './args';
import { displayPath } from './asm-cmd';
import type { CliIO } from './io';
import { si, table } from './table';

/** Progress on stderr: one line per stage, redrawn in place on a terminal. */
function progress(io: CliIO): (stage: string, done: number, total: number) => void {
  let last = '';
  return (stage, done, total) => {
    const text = total > 1 ? `${stage} ${done}/${total}` : stage;
    if (text === last) return;
    last = text;
    if (io.interactive) io.err(`\r\x1b[K${text}`);
  };
}

/** Input shapes given as --input-shape name=1x3x224x224 (for models whose inputs are symbolic, or smaller images). */
function inputShapes(p: ParsedArgs): Record<string, number[]> | undefined {
  const v = optString(p, 'input-shape');
  if (!v) return undefined;
  const m = /^([^=]+)=(\d+(?:x\d+)*)$/.exec(v);
  if (!m) throw new UserError(`--input-shape must be NAME=DxDxDxD (e.g. data=1x3x224x224), got '${v}'`);
  return { [m[1]!]: m[2]!.split('x').map(Number) };
}

/** Compile options from the command line (shared by compile and validate). */
export function compileSetup(p: ParsedArgs, io: CliIO, usage: string): { file: string; opts: CompileOptions } {
  const file = p.positional[0];
  if (!file || p.positional.length > 1) throw new UserError(`usage: ${usage}`);
  const abs = path.resolve(io.cwd, file);
  const arch = resolveArch(optString(p, 'arch') ?? DEFAULT_ARCH_NAME, io.cwd);
  const weights = optString(p, 'weights');
  const shapes = inputShapes(p);
  const batchText = optString(p, 'batch');
  const batch = batchText === undefined ? 1 : Number(batchText);
  if (!/^\d+$/.test(batchText ?? '1') || batch < 1 || batch > MAX_BATCH) throw new UserError(`--batch must be a whole number of images from 1 to ${MAX_BATCH}, got '${batchText}'`);
  // Interrupt (Ctrl-C) cancels at the next stage or group boundary, leaving existing files untouched.
  let cancelled = false;
  const onSigint = () => (cancelled = true);
  process.once('SIGINT', onSigint);
  return {
    file: abs,
    opts: {
      arch,
      naive: optFlag(p, 'naive'),
      batch,
      ...(optFlag(p, 'no-parallel') ? { parallel: false } : {}),
      load: { ...(weights ? { weights: path.resolve(io.cwd, weights) } : {}), ...(shapes ? { inputShapes: shapes } : {}) },
      onProgress: progress(io),
      isCancelled: () => cancelled,
    },
  };
}

export function timingJson(c: Compiled, t: CompiledTiming) {
  return {
    model: c.model,
    arch: c.arch.name,
    mode: c.mode,
    batch: c.batch,
    cores: t.cores,
    compileSeconds: c.seconds,
    compileTimings: c.timings,
    cycles: t.cycles,
    seconds: t.seconds,
    instructions: t.instructions,
    totalOps: t.totalOps,
    opsPerSecond: t.opsPerSecond,
    fps: t.fps,
    rooflineFraction: t.rooflineFraction,
    status: t.status,
    segments: c.segments.length,
    layers: t.layers.map((l) => ({ name: l.name, group: l.group, nodes: l.nodes, cycles: l.cycles, seconds: l.seconds, ops: l.ops, opsPerSecond: l.opsPerSecond, rooflineFraction: l.rooflineFraction, bound: l.bound })),
    hostLayers: c.lowered.steps.flatMap((st) => (st.kind === 'host' ? [{ name: st.op.node.name, op: st.op.node.op, reason: st.op.node.deviceReason ?? null }] : [])),
    fusionGroups: c.segments.flatMap((s) => s.groups.map((g) => ({ name: g.name, template: g.template, nodes: g.nodes, ...(g.parallel ? { parallel: g.parallel } : {}) }))),
    parallelGroups: c.segments.flatMap((s) => s.fusion?.parallel ?? []).map((p) => ({ groups: p.groups, bankSplit: p.split, estimatedCycles: p.cycles, estimatedCyclesApart: p.apartCycles })),
    fusionCandidates: c.segments.flatMap((s) => s.fusion?.candidates ?? []).map((k) => ({ template: k.template, nodes: k.nodes, estimatedCycles: k.cycles })),
  };
}

/** Widest layer name the table prints whole. */
const NAME_COLUMN = 48;

/**
 * A layer's name for the table. A long one whose nodes share a path (`inception_4a/`) prints it once:
 * `inception_4a/3x3_reduce+3x3 | pool+pool_proj` for a pair of groups; what still does not fit is cut.
 */
export function tableName(name: string): string {
  if (name.length <= NAME_COLUMN) return name;
  const parts = name.split(/( \| |\+)/);
  const nodes = parts.filter((_, k) => k % 2 === 0);
  const dir = nodes[0]!.slice(0, nodes[0]!.lastIndexOf('/') + 1);
  const short = dir && nodes.every((n) => n.startsWith(dir) && n.length > dir.length) ? parts.map((p, k) => (k > 0 && k % 2 === 0 ? p.slice(dir.length) : p)).join('') : name;
  return short.length > NAME_COLUMN ? short.slice(0, NAME_COLUMN - 3) + '...' : short;
}

export function printTiming(io: CliIO, c: Compiled, t: CompiledTiming): void {
  const f = c.arch.frequencyMHz;
  io.out(
    table(
      ['layer', 'group', 'ops', 'cycles', 'latency', 'ops/s', 'roofline', 'bound'],
      t.layers.map((l) => [tableName(l.name), l.group, si(l.ops, 'OP'), Math.round(l.cycles).toLocaleString('en'), `${((l.cycles / f) | 0).toLocaleString('en')} us`, si(l.opsPerSecond, 'OP/s'), `${(100 * l.rooflineFraction).toFixed(0)}%`, l.bound]),
    ),
  );
  // Layers the DPU cannot run go to the CPU between DPU segments; say which and why.
  const host = c.lowered.steps.flatMap((st) => (st.kind === 'host' ? [st.op.node] : []));
  if (host.length > 0) {
    io.out(`\n${host.length} layer${host.length > 1 ? 's run' : ' runs'} on the host CPU, before, between or after the DPU segments (not in the cycle counts):\n`);
    for (const n of host.slice(0, 20)) io.out(`  ${n.name} (${n.op})${n.deviceReason ? `: ${n.deviceReason}` : ''}\n`);
    if (host.length > 20) io.out(`  ... and ${host.length - 20} more (--json lists them all)\n`);
  }
  io.out(
    `\n${displayPath(io, c.model)}: ${c.mode} for ${c.arch.name} (${t.cores} core${t.cores > 1 ? 's' : ''} in throughput mode${t.cores > 1 ? `, staggered, steady state over ${t.segments[0]?.images ?? 1} ${t.images > 1 ? `runs of ${t.images} images` : 'images'} each` : ''}; ${c.segments.length} DPU segment${c.segments.length > 1 ? 's' : ''})\n` +
      `total: ${Math.round(t.cycles).toLocaleString('en')} cycles${t.images > 1 ? ` per run of ${t.images} images` : ''} = ${((t.seconds / t.images) * 1e3).toFixed(2)} ms per image, ${t.fps.toFixed(1)} images/s, ${si(t.opsPerSecond, 'OP/s')} (${si(t.totalOps / t.images, 'OP')} per image, ${(100 * t.opsPerSecond / c.arch.derived.peakOpsPerSecond).toFixed(1)}% of peak), roofline fraction ${(100 * t.rooflineFraction).toFixed(0)}%\n` +
      `${t.instructions.toLocaleString('en')} instructions; compiled in ${c.seconds.toFixed(2)} s (${Object.entries(c.timings).map(([k, v]) => `${k} ${(v * 1000).toFixed(0)} ms`).join(', ')})\n`,
  );
}

/** Calibration statistics of an earlier package of the same model (same bytes, same input shapes). */
export function reusableCalibration(manifestFile: string, modelFile: string, shapes: Record<string, number[]> | undefined): Map<string, number> | undefined {
  if (!fs.existsSync(manifestFile)) return undefined;
  try {
    const m = readManifest(manifestFile) as unknown as { modelSha256: string; inputs: { name: string; shape: number[] }[]; quantization: { stats: Record<string, number> } };
    if (m.modelSha256 !== sha256(fs.readFileSync(modelFile))) return undefined;
    if (shapes && Object.entries(shapes).some(([n, s]) => JSON.stringify(m.inputs.find((i) => i.name === n)?.shape) !== JSON.stringify(s))) return undefined;
    if (!shapes && m.inputs.some((i) => i.shape[0] !== 1)) return undefined;
    return new Map(Object.entries(m.quantization.stats));
  } catch {
    return undefined;
  }
}

export function runCompile(p: ParsedArgs, io: CliIO): number {
  const { file, opts } = compileSetup(p, io, 'dnnvm compile MODEL [--arch A] [--naive] [--batch N] [-o DIR] [--json]');
  const name = path.basename(file).replace(/\.(onnx|prototxt)$/i, '');
  const dir = path.resolve(io.cwd, optString(p, 'output') ?? `${name}.${opts.arch.name}${opts.naive ? '.naive' : ''}`);
  const files = packageFiles(dir, name);
  // Never replace hand edits: an assembly that is not the one the package's manifest says dnnvm wrote
  // stays, unless --force. Checked before compiling, so a refusal costs nothing.
  if (!optFlag(p, 'force') && fs.existsSync(files.asm)) {
    let written: string | undefined;
    try {
      written = (readManifest(files.manifest) as { asmSha256?: string }).asmSha256;
    } catch {
      written = undefined;
    }
    if (written !== sha256(fs.readFileSync(files.asm)))
      throw new UserError(
        `${displayPath(io, files.asm)} differs from the assembly dnnvm wrote there (${written ? 'it was edited since' : 'no package manifest vouches for it'}); it is not replaced. Compile to another folder with -o, move the file, or pass --force to replace it`,
        { file: files.asm },
      );
  }
  const stats = optFlag(p, 'recalibrate') ? undefined : reusableCalibration(files.manifest, file, inputShapes(p));
  const c = compileModel(file, { ...opts, ...(stats ? { calibrationStats: stats } : {}) });
  if (io.interactive) io.err('\r\x1b[Kwriting the package\n');
  writePackage(c, dir, name, { golden: !optFlag(p, 'no-golden') });
  const t = simulateCompiled(c, { isCancelled: opts.isCancelled! });
  if (optFlag(p, 'json')) {
    io.out(JSON.stringify({ ...timingJson(c, t), package: dir }, null, 1) + '\n');
    return 0;
  }
  printTiming(io, c, t);
  io.out(`package: ${displayPath(io, dir)}/ (${name}.dnnasm, .dnnbin, .weights.bin, .input.bin, .manifest.json)\n`);
  return 0;
}

export function runValidate(p: ParsedArgs, io: CliIO): number {
  const { file, opts } = compileSetup(p, io, 'dnnvm validate MODEL [--arch A] [--naive] [--batch N] [--json]');
  const c = compileModel(file, opts);
  const v = validateCompiled(c, { isCancelled: opts.isCancelled! });
  if (io.interactive) io.err('\r\x1b[K');
  const errors = v.problems.filter((x) => x.severity === 'error');
  const json = {
    model: c.model,
    arch: c.arch.name,
    mode: c.mode,
    bitExact: v.bitExact,
    layersChecked: v.layersChecked,
    mismatches: v.mismatches,
    problems: v.problems.map((x) => ({ severity: x.severity, code: x.code, message: x.message })),
    ...(v.float ? { float: v.float } : {}),
    macs: v.macs,
    seconds: v.seconds,
  };
  if (optFlag(p, 'json')) io.out(JSON.stringify(json, null, 1) + '\n');
  else {
    io.out(`${displayPath(io, file)}: ${c.mode} for ${c.arch.name}: ${v.layersChecked} layers checked against the integer reference\n`);
    for (const m of v.mismatches)
      io.out(`  layer ${m.layer}: ${m.tensor} differs in ${m.differing} of ${m.total} bytes; first at channel ${m.first.c}, row ${m.first.y}, column ${m.first.x}: ${m.first.got}, expected ${m.first.want}\n`);
    for (const e of errors.slice(0, 10)) io.out(`  ${e.message}\n`);
    io.out(v.bitExact ? '  bit-exact: yes\n' : `  bit-exact: NO (first layer that differs: ${v.mismatches[0]?.layer ?? '(a simulator error, above)'})\n`);
    if (v.float) for (const o of v.float.outputs) io.out(`  against the float model: output ${o.name} cosine ${o.cosine.toFixed(4)}, top-1 ${o.top1Agree ? 'agrees' : 'differs'}\n`);
  }
  return v.bitExact ? 0 : 1;
}

/** For tools: the model's name without its folder and extension. */
export function modelName(file: string): string {
  return path.basename(file).replace(/\.(onnx|prototxt)$/i, '');
}

