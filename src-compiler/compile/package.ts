// Program packages: everything a compiled model needs besides its instructions.
//
//   <name>.dnnasm          the program (all DPU segments; `.segment` separates them)
//   <name>.dnnbin          the instruction words (segments back to back), no header
//   <name>.weights.bin     DDR register 1: filters and biases
//   <name>.input.bin       DDR register 0: the seeded validation input, quantized (HWC int8)
//   <name>.manifest.json   the rest: target, DDR regions and tensor places, segments and host steps,
//                          quantization (calibration statistics, fix positions), the XGraph with its
//                          fusion groups, the golden checksums per layer
//
// Files are written atomically (a temporary file, then a rename), the manifest last, so that a
// package is either the old one or the new one, never half of each.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { archJson } from '../arch/json';
import { bytesFromWords } from '../isa/encoding';
import { runInt8 } from '../ref/int8';
import { generatedSamples } from '../quant/calibration';
import { xgraphToJson } from '../xgraph/serialize';
import { writeFileAtomic } from '../util/fsx';
import { UserError } from '../util/errors';
import { segmentText, segmentWords, regionSymbol, type Compiled } from './compile';
import { nchwToHwc } from './runtime';
import { layerOutputNodes } from './emit';

export const PACKAGE_FORMAT = 'dnnvm-package';
export const PACKAGE_VERSION = 1;

export interface PackageFiles {
  readonly asm: string;
  readonly bin: string;
  readonly weights: string;
  readonly input: string;
  readonly manifest: string;
}

export function packageFiles(dir: string, name: string): PackageFiles {
  const p = (ext: string) => path.join(dir, `${name}${ext}`);
  return { asm: p('.dnnasm'), bin: p('.dnnbin'), weights: p('.weights.bin'), input: p('.input.bin'), manifest: p('.manifest.json') };
}

export function sha256(data: Uint8Array | Int8Array): string {
  return createHash('sha256').update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)).digest('hex');
}

export interface GoldenLayer {
  readonly segment: number;
  /** Index of the layer marker in its segment. */
  readonly layer: number;
  readonly name: string;
  /** The feature map the layer leaves in DDR (HWC bytes) and its checksum. */
  readonly tensor: string;
  readonly sha256: string;
}

/** The assembly of the whole program: every segment, separated by `.segment` when there are several. */
export function programText(c: Compiled, files: { weights: string; input: string }): string {
  if (c.segments.length === 1) return segmentText(c, c.segments[0]!, files);
  return c.segments
    .map((s, k) => {
      const text = segmentText(c, s, files);
      // Directives (target, regions) once, at the top; every segment starts with its .segment line.
      const body = k === 0 ? text : text.split('\n').filter((l) => !/^\.(arch|ddr)\b/.test(l)).join('\n');
      const cut = body.indexOf('\n.layer');
      return cut < 0 ? body : `${body.slice(0, cut + 1)}.segment seg${k}\n${body.slice(cut + 1)}`;
    })
    .join('\n');
}

export interface WriteOptions {
  /** Compute golden checksums with the integer reference (slow for big models). Default true. */
  readonly golden?: boolean;
  readonly seed?: number;
  /** Write the .dnnasm too (default true). An editor writes it itself, so as not to replace hand edits. */
  readonly writeAsm?: boolean;
}

/** Writes the package and returns its manifest. */
export function writePackage(c: Compiled, dir: string, name: string, opts: WriteOptions = {}): Record<string, unknown> {
  const f = packageFiles(dir, name);
  fs.mkdirSync(dir, { recursive: true });
  const rel = (p: string) => path.basename(p);
  const g = c.q.graph;
  const seed = opts.seed ?? 7;
  const input = generatedSamples(g, 1, seed)[0]!;
  // The quantized input in its DDR layout: the bytes of the input region.
  const inputRegion = c.ddr.regions.find((r) => r.reg === 0);
  const inputBlob = new Int8Array(inputRegion?.size ?? 0);
  for (const name of g.inputs) {
    const fm = c.lowered.fmaps.get(name);
    const tq = c.q.tensors.get(name);
    const place = c.ddr.places.get(name);
    if (!fm || tq?.kind !== 'int8' || !place || place.reg !== 0) continue;
    const q = Int8Array.from(input.get(name)!, (v) => Math.max(-128, Math.min(127, Math.floor(v * 2 ** tq.fix + 0.5))));
    const hwc = nchwToHwc(q, fm);
    for (let px = 0; px < fm.h * fm.w; px++) inputBlob.set(hwc.subarray(px * fm.c, (px + 1) * fm.c), place.offset + px * place.pixelStride);
  }
  let golden: GoldenLayer[] | undefined;
  if (opts.golden !== false) {
    const ref = runInt8(c.q, input, { keepAll: true });
    golden = [];
    c.segments.forEach((s, si) =>
      s.layers.forEach((l, li) => {
        for (const node of layerOutputNodes(l)) {
          const op = c.lowered.ops.find((o) => o.node.name === node);
          const fm = op && c.lowered.fmaps.get(op.output);
          const v = op && ref.get(op.output)?.int8;
          if (!op || !fm || !v || !c.ddr.places.has(op.output)) continue;
          golden!.push({ segment: si, layer: li, name: l.name, tensor: op.output, sha256: sha256(nchwToHwc(v, fm)) });
        }
      }),
    );
  }
  const words = c.segments.map(segmentWords);
  const all = new Uint32Array(words.reduce((a, w) => a + w.length, 0));
  let w0 = 0;
  const segs = c.segments.map((s, k) => {
    all.set(words[k]!, w0);
    const r = { index: k, name: c.segments.length > 1 ? `seg${k}` : 'main', firstWord: w0, words: words[k]!.length, instructions: s.instrs.length, tokens: s.tokens, layers: s.layers.map((l) => ({ name: l.name, nodes: l.nodes, group: l.group, first: l.first })) };
    w0 += words[k]!.length;
    return r;
  });
  const manifest = {
    format: PACKAGE_FORMAT,
    version: PACKAGE_VERSION,
    model: path.relative(dir, path.resolve(c.model)),
    modelSha256: sha256(fs.readFileSync(c.model)),
    arch: archJson(c.arch),
    mode: c.mode,
    ...(c.batch > 1 ? { batch: c.batch } : {}),
    files: { asm: rel(f.asm), bin: rel(f.bin), weights: rel(f.weights), input: rel(f.input) },
    regions: [...c.ddr.regions.map((r) => ({ ...r, name: regionSymbol(r.name) })), { name: 'weights', reg: 1, offset: 0, size: c.weights.length }],
    tensors: Object.fromEntries(
      [...c.lowered.fmaps].map(([name, fm]) => {
        const p = c.ddr.places.get(name);
        return [name, { c: fm.c, h: fm.h, w: fm.w, fix: fm.fix, ...(p ? { ddr: { reg: p.reg, offset: p.offset, pixelStride: p.pixelStride, buffer: p.buffer } } : { onChip: true }) }];
      }),
    ),
    inputs: g.inputs.map((n) => ({ name: n, shape: g.tensors.get(n)!.shape, fix: c.lowered.fmaps.get(n)?.fix })),
    outputs: g.outputs.map((n) => ({ name: n, shape: g.tensors.get(n)!.shape, fix: c.lowered.fmaps.get(n)?.fix })),
    segments: segs,
    steps: c.lowered.steps.map((s) => (s.kind === 'dpu' ? { kind: 'dpu', segment: c.segments.findIndex((x) => x.index === s.segment.index) } : { kind: 'host', node: s.op.node.name, op: s.op.node.op })),
    quantization: {
      method: c.q.calibration.method,
      calibrationInputs: c.q.calibration.inputs,
      stats: Object.fromEntries(c.q.calibration.stats),
      fix: Object.fromEntries([...c.q.tensors].flatMap(([k, v]) => (v.kind === 'int8' ? [[k, v.fix]] : []))),
    },
    fusionGroups: c.segments.flatMap((s) => s.groups.map((gr) => ({ name: gr.name, template: gr.template, nodes: gr.nodes, ...(gr.parallel ? { parallel: gr.parallel } : {}) }))),
    xgraph: xgraphToJson(c.q.graph),
    golden: golden ? { seed, layers: golden } : undefined,
    compile: { seconds: c.seconds, timings: c.timings },
  };
  writeFileAtomic(f.weights, new Uint8Array(c.weights.buffer, c.weights.byteOffset, c.weights.byteLength));
  writeFileAtomic(f.input, new Uint8Array(inputBlob.buffer));
  writeFileAtomic(f.bin, bytesFromWords(all));
  const asm = programText(c, { weights: rel(f.weights), input: rel(f.input) });
  if (opts.writeAsm !== false) writeFileAtomic(f.asm, asm);
  writeFileAtomic(f.manifest, JSON.stringify({ ...manifest, asmSha256: sha256(Buffer.from(asm)) }, null, 1) + '\n');
  return { ...manifest, asmSha256: sha256(Buffer.from(asm)), asmText: asm };
}

export interface Manifest {
  readonly format: string;
  readonly version: number;
  readonly model: string;
  readonly modelSha256: string;
  readonly arch: { readonly name: string };
  readonly mode: 'optimized' | 'naive';
  /** Images per run (`--batch`); absent means 1. */
  readonly batch?: number;
  readonly files: { readonly asm: string; readonly bin: string; readonly weights: string; readonly input: string };
  readonly quantization: { readonly calibrationInputs: number; readonly stats: Readonly<Record<string, number>> };
  readonly golden?: { readonly seed: number; readonly layers: readonly GoldenLayer[] };
  /** sha256 of the assembly text this package generated (an edited file differs). */
  readonly asmSha256: string;
  readonly segments: readonly { readonly index: number; readonly name: string; readonly firstWord: number; readonly words: number; readonly instructions: number }[];
}

/** Reads and checks a manifest. */
export function readManifest(file: string): Manifest {
  let doc: unknown;
  try {
    doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`cannot read the package manifest: ${(e as Error).message}`, { file });
  }
  const m = doc as Manifest;
  if (!m || m.format !== PACKAGE_FORMAT) throw new UserError(`not a dnnvm program package manifest (format is not '${PACKAGE_FORMAT}')`, { file });
  if (m.version !== PACKAGE_VERSION) throw new UserError(`package version ${m.version}; this dnnvm reads version ${PACKAGE_VERSION}: compile the model again`, { file });
  return m;
}
