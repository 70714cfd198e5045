// The compiler driver: model -> XGraph -> canonical -> quantized -> lowered -> fusion groups -> code ->
// assembly text and binary, with progress reports and cancellation between stages and groups.

import type { Arch } from '../arch/model';
import { formatInstr } from '../asm/format';
import { encodeProgram, type Instr } from '../isa/encoding';
import { loadModel, type LoadOptions } from '../frontend/load';
import { canonicalize } from '../passes/canonicalize';
import { generatedSamples, type Sample } from '../quant/calibration';
import { quantizeGraph } from '../quant/quantize';
import type { QuantizedGraph } from '../quant/types';
import { CancelledError } from '../util/errors';
import type { XGraph } from '../xgraph/types';
import { layoutDdr, type DdrLayout } from './ddr';
import { ProgramBuilder, type LayerMark } from './emit';
import { generateCopy, generateGroup, stageOf, type GroupContext, type GroupSpec } from './codegen';
import { lower, type LoweredGraph, type Segment } from './lower';
import { Blob } from './weights';

export interface CompileOptions {
  readonly arch: Arch;
  /** DNNVM's unfused baseline: one layer at a time, every intermediate through DDR, concat as a copy. */
  readonly naive?: boolean;
  readonly load?: LoadOptions;
  /** Calibration inputs (default: 4 seeded random inputs). */
  readonly calibration?: readonly Sample[];
  readonly seed?: number;
  readonly onProgress?: (stage: string, done: number, total: number) => void;
  readonly isCancelled?: () => boolean;
}

export interface FusionGroup {
  readonly name: string;
  readonly nodes: readonly string[];
  /** Which template produced it ('single' for one layer alone). */
  readonly template: string;
}

export interface CompiledSegment {
  readonly index: number;
  readonly instrs: Instr[];
  readonly comments: (string | undefined)[];
  readonly layers: LayerMark[];
  readonly groups: readonly FusionGroup[];
  readonly tokens: number;
}

export interface Compiled {
  readonly model: string;
  readonly arch: Arch;
  readonly mode: 'optimized' | 'naive';
  readonly graph: XGraph;
  readonly q: QuantizedGraph;
  readonly lowered: LoweredGraph;
  readonly ddr: DdrLayout;
  readonly segments: readonly CompiledSegment[];
  readonly weights: Int8Array;
  readonly seconds: number;
  /** Seconds per stage of the compiler. */
  readonly timings: Readonly<Record<string, number>>;
}

/** Compile a model file. */
export function compileModel(file: string, opts: CompileOptions): Compiled {
  const t: Record<string, number> = {};
  const t0 = performance.now();
  const step = <T>(name: string, f: () => T): T => {
    if (opts.isCancelled?.()) throw new CancelledError();
    opts.onProgress?.(name, 0, 1);
    const s = performance.now();
    const r = f();
    t[name] = (performance.now() - s) / 1000;
    return r;
  };
  const g = step('import', () => loadModel(file, opts.load ?? {}));
  const canon = step('canonicalize', () => canonicalize(g, opts.arch));
  const q = step('quantize', () => quantizeGraph(canon, opts.calibration ?? generatedSamples(canon, 4, opts.seed ?? 1)));
  return compileQuantized(file, g, q, opts, t, t0);
}

/** Compile an already quantized graph (tests and the language server reuse the front half). */
export function compileQuantized(model: string, g: XGraph, q: QuantizedGraph, opts: CompileOptions, t: Record<string, number> = {}, t0 = performance.now()): Compiled {
  const naive = opts.naive ?? false;
  let s = performance.now();
  const lg = lower(q, opts.arch);
  const ddr = layoutDdr(lg, !naive);
  t['lower'] = (performance.now() - s) / 1000;
  s = performance.now();
  const blob = new Blob();
  const segments: CompiledSegment[] = [];
  const dpuSegments = lg.steps.flatMap((st) => (st.kind === 'dpu' ? [st.segment] : []));
  let done = 0;
  const total = lg.ops.length;
  for (const seg of dpuSegments) segments.push(compileSegment(lg, ddr, seg, blob, opts, naive, () => opts.onProgress?.('generate', ++done, total)));
  t['generate'] = (performance.now() - s) / 1000;
  return { model, arch: opts.arch, mode: naive ? 'naive' : 'optimized', graph: g, q, lowered: lg, ddr, segments, weights: blob.bytes(), seconds: (performance.now() - t0) / 1000, timings: t };
}

function compileSegment(lg: LoweredGraph, ddr: DdrLayout, seg: Segment, blob: Blob, opts: CompileOptions, naive: boolean, tick: () => void): CompiledSegment {
  const b = new ProgramBuilder(opts.arch);
  const ctx: GroupContext = { arch: opts.arch, b, places: ddr.places, blob, spaces: new Map(), nextRing: 0, nextBuffer: 0, lastInit: new Map() };
  const groups: FusionGroup[] = [];
  for (const op of seg.ops) {
    if (opts.isCancelled?.()) throw new CancelledError();
    tick();
    if (op.kind === 'concat') {
      if (ddr.inPlaceConcats.has(op.node.name)) continue;
      const out = lg.fmaps.get(op.output)!;
      b.mark(op.node.name, [op.node.name], undefined, `concatenation copied through the chip${naive ? ' (naive mode)' : ''}`);
      generateCopy(ctx, op.inputs.map((i) => lg.fmaps.get(i)!), out);
      groups.push({ name: op.node.name, nodes: [op.node.name], template: 'copy' });
      continue;
    }
    const spec: GroupSpec = { name: op.node.name, stages: [stageOf(op, lg.fmaps, opts.arch)], nodes: [op.node.name] };
    b.mark(op.node.name, spec.nodes, undefined);
    generateGroup(ctx, spec);
    groups.push({ name: op.node.name, nodes: spec.nodes, template: 'single' });
  }
  const fin = b.finish();
  return { index: seg.index, instrs: fin.instrs, comments: fin.comments, layers: fin.layers, groups, tokens: fin.tokens };
}

/** Binary of a segment. */
export function segmentWords(s: CompiledSegment): Uint32Array {
  return encodeProgram(s.instrs);
}

const quoteIfNeeded = (s: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? s : JSON.stringify(s));

/** The assembly text of a segment: target, DDR regions, layer markers, instructions. */
export function segmentText(c: Compiled, seg: CompiledSegment, files: { weights: string; input?: string }): string {
  const out: string[] = [];
  out.push(`; ${c.model}: DPU segment ${seg.index} compiled by dnnvm for ${c.arch.name} (${c.mode})`);
  out.push(`; ${seg.instrs.length} instructions, ${seg.layers.length} layers, ${seg.tokens} dependency tokens`);
  out.push(`.arch ${c.arch.name}`, '');
  for (const r of c.ddr.regions) {
    const name = regionSymbol(r.name);
    const file = r.name === 'weights' ? files.weights : r.reg === 0 && files.input ? files.input : undefined;
    out.push(`.ddr ${name} reg=${r.reg} offset=${r.offset} size=${r.size}${file ? ` file=${JSON.stringify(file)}` : ''}`);
  }
  out.push(`.ddr weights reg=1 offset=0 size=${Math.max(1, c.weights.length)} file=${JSON.stringify(files.weights)}`, '');
  let li = 0;
  seg.instrs.forEach((ins, i) => {
    while (li < seg.layers.length && seg.layers[li]!.first === i) {
      const l = seg.layers[li++]!;
      if (l.comment) out.push(`; ${l.comment}`);
      out.push(`.layer ${quoteIfNeeded(l.name)}${l.nodes.length ? ` nodes=${l.nodes.map(quoteIfNeeded).join(',')}` : ''}${l.group ? ` group=${quoteIfNeeded(l.group)}` : ''}`);
    }
    const comment = seg.comments[i];
    out.push(formatInstr(ins, c.arch) + (comment ? `  ; ${comment}` : ''));
  });
  return out.join('\n') + '\n';
}

/** Region names in assembly: identifiers. */
export function regionSymbol(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_').replace(/^([0-9])/, '_$1');
}
