// The `dnnasm` launch configuration: checked field by field (an invalid one is an error naming the
// field), then the program loaded: a .dnnasm, or a compiled package's manifest (its .dnnasm), one
// segment of it, on a target, with its DDR data and an optional input file.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveArch } from '../arch/load';
import type { Arch } from '../arch/model';
import { assembleFile, diagnosticLocation } from '../asm/file';
import { readManifest } from '../compile/package';
import { loadDdrImage, type SuppliedRegion } from '../sim/ddr-files';
import { DdrImage } from '../sim/memory';
import { programFromAsm, type SimProgram } from '../sim/program';
import { UserError } from '../util/errors';

export interface LaunchConfig {
  /** A .dnnasm file, or a program package's .manifest.json. */
  readonly program: string;
  /** Target architecture (preset, DPU configuration or file); default: the program's .arch, else ZU9. */
  readonly arch?: string;
  /** A file whose bytes go to the DDR region named `input` (default: the region's file=). */
  readonly input?: string;
  readonly stopOnEntry?: boolean;
  /** Cores running the program at once (default: all of the architecture's, as `dnnvm sim`). */
  readonly cores?: number;
  /** Which `.segment` to run (name or 0-based index); default the first. */
  readonly segment?: string | number;
  /** Memory for step-back snapshots and undo logs, in MiB (default 512). */
  readonly snapshotMemoryMB?: number;
  /** Folder relative paths are resolved against (default: the adapter's working folder). */
  readonly cwd?: string;
}

/** A launch configuration problem: `field` is the attribute at fault. */
export class LaunchError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`launch configuration, '${field}': ${message}`);
    this.name = 'LaunchError';
  }
}

const FIELDS = ['program', 'arch', 'input', 'stopOnEntry', 'cores', 'segment', 'snapshotMemoryMB', 'cwd'] as const;
/** Attributes VS Code (or another client) adds to every launch configuration. */
const GENERIC = new Set(['type', 'request', 'name', 'preLaunchTask', 'postDebugTask', 'internalConsoleOptions', 'debugServer', 'presentation', 'noDebug', 'serverReadyAction', 'windows', 'osx', 'linux']);

function closest(name: string, options: readonly string[]): string | undefined {
  const lev = (a: string, b: string) => {
    const d = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      let prev = d[0]!;
      d[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const t = d[j]!;
        d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
        prev = t;
      }
    }
    return d[b.length]!;
  };
  let best: string | undefined;
  let bestD = Infinity;
  for (const o of options) {
    const dist = lev(name, o);
    if (dist < bestD) {
      bestD = dist;
      best = o;
    }
  }
  return bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/** Check the shape of a launch request's arguments; throws LaunchError naming the first bad field. */
export function checkLaunchConfig(raw: unknown): LaunchConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new LaunchError('program', 'the launch arguments are not an object');
  const a = raw as Record<string, unknown>;
  for (const key of Object.keys(a)) {
    if (key.startsWith('__') || GENERIC.has(key) || (FIELDS as readonly string[]).includes(key)) continue;
    const near = closest(key, FIELDS);
    throw new LaunchError(key, `unknown attribute${near ? `; did you mean '${near}'?` : ''} (a dnnasm launch takes ${FIELDS.join(', ')})`);
  }
  const str = (k: string, required: boolean): string | undefined => {
    const v = a[k];
    if (v === undefined || v === null) {
      if (required) throw new LaunchError(k, `missing: give the ${k === 'program' ? '.dnnasm file or package .manifest.json to debug' : 'value'}`);
      return undefined;
    }
    if (typeof v !== 'string' || v.trim() === '') throw new LaunchError(k, `must be a non-empty string, not ${JSON.stringify(v)}`);
    return v;
  };
  const program = str('program', true)!;
  const arch = str('arch', false);
  const input = str('input', false);
  const cwd = str('cwd', false);
  if (a['stopOnEntry'] !== undefined && typeof a['stopOnEntry'] !== 'boolean') throw new LaunchError('stopOnEntry', `must be true or false, not ${JSON.stringify(a['stopOnEntry'])}`);
  const cores = a['cores'];
  if (cores !== undefined && (typeof cores !== 'number' || !Number.isInteger(cores) || cores < 1 || cores > 8))
    throw new LaunchError('cores', `must be a whole number of cores from 1 to 8 (at most the architecture's), not ${JSON.stringify(cores)}`);
  const seg = a['segment'];
  if (seg !== undefined && !(typeof seg === 'string' && seg.trim() !== '') && !(typeof seg === 'number' && Number.isInteger(seg) && seg >= 0))
    throw new LaunchError('segment', `must be a segment name or a 0-based index, not ${JSON.stringify(seg)}`);
  const mem = a['snapshotMemoryMB'];
  if (mem !== undefined && (typeof mem !== 'number' || !Number.isFinite(mem) || mem < 16 || mem > 65536))
    throw new LaunchError('snapshotMemoryMB', `must be a number of MiB from 16 to 65536, not ${JSON.stringify(mem)}`);
  return {
    program,
    ...(arch !== undefined ? { arch } : {}),
    ...(input !== undefined ? { input } : {}),
    ...(cwd !== undefined ? { cwd } : {}),
    ...(a['stopOnEntry'] !== undefined ? { stopOnEntry: a['stopOnEntry'] as boolean } : {}),
    ...(cores !== undefined ? { cores: cores as number } : {}),
    ...(seg !== undefined ? { segment: seg as string | number } : {}),
    ...(mem !== undefined ? { snapshotMemoryMB: mem as number } : {}),
  };
}

export interface LoadedDebugProgram {
  /** The .dnnasm the instructions come from (absolute). */
  readonly file: string;
  /** The manifest, when the program is a package. */
  readonly manifest?: string;
  readonly program: SimProgram;
  readonly arch: Arch;
  readonly cores: number;
  readonly segment: { readonly name: string; readonly index: number; readonly count: number };
  /** Source lines (1-based) of the whole file that hold instructions of other segments. */
  readonly otherSegmentLines: ReadonlyMap<number, string>;
  /** A fresh DDR image with the program's initial data (one per simulated core). */
  newDdr(): DdrImage;
  /** Warnings to show (e.g. assembler warnings). */
  readonly warnings: readonly string[];
}

/** The program of one segment: its instructions, layers and lines; the DDR regions are the file's. */
export function segmentProgram(p: SimProgram, first: number, end: number): SimProgram {
  const instrs = p.instrs.slice(first, end);
  const endIndex = instrs.findIndex((i) => i.spec.mnemonic === 'END');
  const word0 = p.wordOffsets[first] ?? 0;
  return {
    arch: p.arch,
    instrs,
    ...(p.lines ? { lines: p.lines.slice(first, end) } : {}),
    ...(p.cols ? { cols: p.cols.slice(first, end) } : {}),
    wordOffsets: Int32Array.from(p.wordOffsets.subarray(first, end), (w) => w - word0),
    layers: p.layers.filter((l) => l.first >= first && l.first < end).map((l) => ({ ...l, first: l.first - first, end: Math.min(l.end, end) - first })),
    regions: p.regions,
    count: endIndex < 0 ? instrs.length : endIndex + 1,
    endIndex,
    batch: p.batch,
  };
}

/** A copy of a DDR image: the same regions, data and initialized bytes. */
export function cloneDdr(d: DdrImage): DdrImage {
  const copy = new DdrImage(
    d.regions.map((r) => ({ name: r.name, reg: r.reg, offset: r.offset, size: r.size, ...(r.line !== undefined ? { line: r.line } : {}) })),
    () => undefined,
  );
  d.regions.forEach((r, k) => {
    const c = copy.regions[k]!;
    c.data.set(r.data);
    c.init = r.init ? r.init.slice() : undefined;
  });
  return copy;
}

export function loadDebugProgram(cfg: LaunchConfig, baseDir = process.cwd()): LoadedDebugProgram {
  const cwd = cfg.cwd ? path.resolve(baseDir, cfg.cwd) : baseDir;
  if (cfg.cwd && !fs.existsSync(cwd)) throw new LaunchError('cwd', `folder ${cwd} does not exist`);
  const given = path.resolve(cwd, cfg.program);
  if (!fs.existsSync(given)) throw new LaunchError('program', `${given} does not exist: give a .dnnasm file or a package's .manifest.json`);
  let file = given;
  let manifest: string | undefined;
  if (/\.json$/i.test(given)) {
    let m;
    try {
      m = readManifest(given);
    } catch (e) {
      throw new LaunchError('program', e instanceof UserError ? `${given}: ${e.message}` : (e as Error).message);
    }
    manifest = given;
    file = path.resolve(path.dirname(given), m.files.asm);
    if (!fs.existsSync(file)) throw new LaunchError('program', `the package ${path.basename(given)} names ${m.files.asm}, which is not in ${path.dirname(given)}: compile the model again`);
  } else if (!/\.dnnasm$/i.test(given))
    throw new LaunchError('program', `${path.basename(given)} is neither a .dnnasm file nor a package .manifest.json (a .dnnbin has no source lines to step through: disassemble it with dnnvm disasm)`);

  let arch: Arch | undefined;
  if (cfg.arch !== undefined) {
    try {
      arch = resolveArch(cfg.arch, cwd);
    } catch (e) {
      throw new LaunchError('arch', (e as Error).message);
    }
  }
  let a;
  try {
    a = assembleFile(file, arch);
  } catch (e) {
    throw new LaunchError('program', (e as Error).message);
  }
  const errors = a.program.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    const shown = errors.slice(0, 3).map((d) => {
      const l = diagnosticLocation(a, d);
      return `${l.file}:${l.line}:${l.col}: ${d.message}`;
    });
    throw new LaunchError('program', `the program does not assemble (${errors.length} error${errors.length === 1 ? '' : 's'}); fix ${errors.length === 1 ? 'it' : 'them'} first:\n${shown.join('\n')}${errors.length > 3 ? '\n...' : ''}`);
  }
  const warnings = a.program.diagnostics
    .filter((d) => d.severity === 'warning')
    .map((d) => {
      const l = diagnosticLocation(a, d);
      return `${l.file}:${l.line}:${l.col}: warning: ${d.message}`;
    });
  const full = programFromAsm(a.program, a.index);
  const segs = a.program.segments;
  let si = 0;
  if (cfg.segment !== undefined) {
    si = typeof cfg.segment === 'number' ? cfg.segment : segs.findIndex((s) => s.name === cfg.segment);
    if (si < 0 || si >= segs.length)
      throw new LaunchError('segment', `${JSON.stringify(cfg.segment)} is not a segment of ${path.basename(file)}; it has ${segs.map((s, k) => `${k}: ${s.name}`).join(', ')}`);
  }
  const seg = segs[si]!;
  const program = segs.length === 1 ? full : segmentProgram(full, seg.first, seg.end);
  if (program.count === 0) throw new LaunchError('program', `${segs.length > 1 ? `segment ${seg.name}` : path.basename(file)} has no instructions to run`);
  const otherSegmentLines = new Map<number, string>();
  segs.forEach((s, k) => {
    if (k === si) return;
    for (let i = s.first; i < s.end; i++) otherSegmentLines.set(full.lines![i]!, s.name);
  });
  const target = program.arch;
  const cores = cfg.cores ?? target.cores;
  if (cores > target.cores) throw new LaunchError('cores', `${cores} is more than ${target.name}'s ${target.cores} core${target.cores === 1 ? '' : 's'}: give 1..${target.cores}`);
  const supplied = new Map<string, SuppliedRegion>();
  if (cfg.input !== undefined) {
    const inputFile = path.resolve(cwd, cfg.input);
    let bytes: Uint8Array;
    try {
      bytes = fs.readFileSync(inputFile);
    } catch (e) {
      throw new LaunchError('input', `cannot read ${inputFile}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
    if (!program.regions.some((r) => r.name === 'input'))
      throw new LaunchError('input', `the program has no DDR region named 'input' to load ${path.basename(inputFile)} into (its regions: ${program.regions.map((r) => r.name).join(', ') || 'none'})`);
    supplied.set('input', { bytes, origin: `input ${inputFile}` });
  }
  let ddr: DdrImage;
  try {
    ddr = loadDdrImage(program, file, supplied);
  } catch (e) {
    const msg = (e as Error).message;
    throw new LaunchError(/^input /.test(msg) ? 'input' : 'program', e instanceof UserError && e.location.line ? `${file}:${e.location.line}: ${msg}` : msg);
  }
  return {
    file,
    ...(manifest ? { manifest } : {}),
    program,
    arch: target,
    cores,
    segment: { name: seg.name, index: si, count: segs.length },
    otherSegmentLines,
    newDdr: () => cloneDdr(ddr),
    warnings,
  };
}
