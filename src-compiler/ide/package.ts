// The program package beside a .dnnasm, as the editor uses it: golden checksums per layer, and the
// host steps that run between DPU segments (from the manifest's XGraph), so that an edited program can
// be checked against what its model computes, layer by layer.
//
// The golden of a layer is the sha256 of the HWC bytes of the feature map it leaves in DDR, from the
// integer reference on the package's own input (package.ts). DDR buffers are reused, so a layer's
// output is hashed as soon as its instructions have run.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { readManifest, sha256, type Manifest } from '../compile/package';
import { hwcToNchw, nchwToHwc, readFmap, writeFmap } from '../compile/runtime';
import type { DdrPlace } from '../compile/ddr';
import type { FeatureMap } from '../compile/lower';
import type { QuantizedGraph, TensorQuant } from '../quant/types';
import { runHostNode, type IntValue } from '../ref/int8';
import type { DdrImage } from '../sim/memory';
import { XGRAPH_FORMAT, type XGraphJson } from '../xgraph/serialize';
import type { XGraph, XTensor } from '../xgraph/types';

/** `<dir>/<name>.manifest.json` for `<dir>/<name>.dnnasm`, if there is one. */
export function manifestBeside(asmFile: string): string | undefined {
  const m = path.join(path.dirname(asmFile), `${path.basename(asmFile).replace(/\.dnnasm$/i, '')}.manifest.json`);
  return fs.existsSync(m) ? m : undefined;
}

interface TensorEntry {
  readonly c: number;
  readonly h: number;
  readonly w: number;
  readonly fix: number;
  readonly ddr?: { readonly reg: number; readonly offset: number; readonly pixelStride: number; readonly buffer?: string };
}

interface FullManifest extends Manifest {
  readonly tensors?: Readonly<Record<string, TensorEntry>>;
  readonly steps?: readonly ({ readonly kind: 'dpu'; readonly segment: number } | { readonly kind: 'host'; readonly node: string; readonly op: string })[];
  readonly xgraph?: unknown;
  readonly quantization: Manifest['quantization'] & { readonly fix?: Readonly<Record<string, number>> };
  readonly fusionGroups?: readonly { readonly name: string; readonly template: string; readonly nodes: readonly string[] }[];
}

export interface GoldenLayerCheck {
  readonly name: string;
  readonly tensor: string;
  readonly sha256: string;
  readonly fmap: FeatureMap;
  readonly place: DdrPlace;
}

/** A package's golden checksums and host steps, read once per manifest version. */
export class ProgramPackage {
  readonly manifest: FullManifest;
  private graph: XGraph | undefined | null = null;

  constructor(readonly file: string) {
    this.manifest = readManifest(file) as FullManifest;
  }

  get name(): string {
    return path.basename(this.file);
  }

  segmentName(index: number): string | undefined {
    return this.manifest.segments[index]?.name;
  }

  /** The goldens of layer `name` of segment `segment` that have a DDR place: one per map the layer
   * leaves in DDR (two when two fusion groups run at the same time). */
  goldens(segment: number, name: string): GoldenLayerCheck[] {
    const out: GoldenLayerCheck[] = [];
    for (const g of this.manifest.golden?.layers ?? []) {
      if (g.segment !== segment || g.name !== name) continue;
      const t = this.manifest.tensors?.[g.tensor];
      if (!t?.ddr) continue;
      out.push({ name: g.name, tensor: g.tensor, sha256: g.sha256, fmap: { name: g.tensor, c: t.c, h: t.h, w: t.w, fix: t.fix }, place: { reg: t.ddr.reg, offset: t.ddr.offset, pixelStride: t.ddr.pixelStride, buffer: t.ddr.buffer ?? g.tensor } });
    }
    return out;
  }

  get goldenCount(): number {
    return this.manifest.golden?.layers.length ?? 0;
  }

  /** The host nodes that run after DPU segment `segment` and before the next one (in order). */
  hostStepsAfter(segment: number): string[] {
    const steps = this.manifest.steps ?? [];
    const at = steps.findIndex((s) => s.kind === 'dpu' && s.segment === segment);
    const out: string[] = [];
    if (at < 0) return out;
    for (let k = at + 1; k < steps.length && steps[k]!.kind === 'host'; k++) out.push((steps[k] as { node: string }).node);
    return out;
  }

  /** Host nodes that run before the first DPU segment. */
  hostStepsBefore(): string[] {
    const steps = this.manifest.steps ?? [];
    const out: string[] = [];
    for (const s of steps) {
      if (s.kind === 'dpu') break;
      out.push(s.node);
    }
    return out;
  }

  /**
   * Run host node `name` on the DDR image: its int8 inputs are read from their DDR places, its outputs
   * written to theirs (float values stay in `values`). Throws with the reason when it cannot run.
   */
  runHost(name: string, ddr: DdrImage, values: Map<string, IntValue>): void {
    if (this.graph === null) this.graph = hostGraph(this.manifest.xgraph);
    const g = this.graph;
    if (!g) throw new Error(`the manifest has no readable XGraph, so host step ${name} cannot run`);
    const node = g.nodes.find((n) => n.name === name);
    if (!node) throw new Error(`host step ${name} is not a node of the manifest's XGraph`);
    const fix = this.manifest.quantization.fix ?? {};
    const tensors = new Map<string, TensorQuant>();
    for (const t of g.tensors.keys()) tensors.set(t, fix[t] !== undefined ? { kind: 'int8', fix: fix[t]! } : { kind: 'float' });
    const qg = { graph: g, tensors, nodes: new Map(), calibration: { method: 'max-abs', inputs: 0, stats: new Map() } } as QuantizedGraph;
    const place = (t: string) => {
      const e = this.manifest.tensors?.[t];
      return e?.ddr ? { f: { name: t, c: e.c, h: e.h, w: e.w, fix: e.fix }, p: { reg: e.ddr.reg, offset: e.ddr.offset, pixelStride: e.ddr.pixelStride, buffer: e.ddr.buffer ?? t } } : undefined;
    };
    const get = (t: string): IntValue => {
      const v = values.get(t);
      if (v) return v;
      const at = place(t);
      const shape = g.tensors.get(t)?.shape;
      if (!at || !shape || fix[t] === undefined) throw new Error(`host step ${name} reads ${t}, which is neither in DDR nor computed by an earlier host step`);
      return { shape, int8: hwcToNchw(readFmap(ddr, at.p, at.f), at.f), fix: fix[t] };
    };
    const outs = runHostNode(qg, node, get);
    node.outputs.forEach((o, k) => {
      const v = outs[k]!;
      const at = place(o);
      if (at && v.int8) writeFmap(ddr, at.p, at.f, nchwToHwc(v.int8, at.f));
      else values.set(o, v);
    });
  }
}

/** Infinity does not survive JSON: the XGraph JSON writes it as a string. */
function decodeNumbers<T>(v: T): T {
  if (v === 'Infinity') return Infinity as T;
  if (v === '-Infinity') return -Infinity as T;
  if (Array.isArray(v)) return v.map(decodeNumbers) as T;
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decodeNumbers(x)])) as T;
  return v;
}

/**
 * The parts of the manifest's XGraph the host steps need: nodes and tensor shapes. The manifest stores
 * no constant values, so a host node that reads a constant the model carried cannot run (generated
 * constants can: their generator is stored).
 */
function hostGraph(doc: unknown): XGraph | undefined {
  const d = doc as XGraphJson | undefined;
  if (!d || d.format !== XGRAPH_FORMAT || !Array.isArray(d.nodes) || !Array.isArray(d.tensors)) return undefined;
  const tensors = new Map<string, XTensor>(d.tensors.map((t) => [t.name, { ...t, data: undefined } as XTensor]));
  return { name: d.name, source: d.source, inputs: d.inputs, outputs: d.outputs, nodes: d.nodes.map((n) => decodeNumbers(n)), tensors, generatedWeights: d.generatedWeights };
}

/** sha256 of the HWC bytes of a feature map in DDR, or undefined if no region holds it. */
export function fmapChecksum(ddr: DdrImage, g: GoldenLayerCheck): string | undefined {
  const r = ddr.containing(g.place.reg, g.place.offset);
  const lastByte = g.place.offset + (g.fmap.h * g.fmap.w - 1) * g.place.pixelStride + g.fmap.c;
  if (!r || lastByte > r.offset + r.size) return undefined;
  return sha256(readFmap(ddr, g.place, g.fmap));
}

/** Cached bytes of files (the weights of a big model are read once per change of the file), the most
 * recently used first, at most `maxBytes` of them. */
export class FileCache {
  private readonly files = new Map<string, { mtimeMs: number; size: number; bytes: Uint8Array }>();
  private bytes = 0;

  constructor(readonly maxBytes = 512 * 2 ** 20) {}
  private readonly packages = new Map<string, { mtimeMs: number; pkg: ProgramPackage }>();

  /** The file's bytes; throws the fs error. */
  read(file: string): Uint8Array {
    const st = fs.statSync(file);
    const hit = this.files.get(file);
    if (hit) {
      this.files.delete(file);
      this.bytes -= hit.bytes.length;
      if (hit.mtimeMs === st.mtimeMs && hit.size === st.size) {
        this.files.set(file, hit);
        this.bytes += hit.bytes.length;
        return hit.bytes;
      }
    }
    const bytes = fs.readFileSync(file);
    this.files.set(file, { mtimeMs: st.mtimeMs, size: st.size, bytes });
    this.bytes += bytes.length;
    // Map order is insertion order: the least recently used go first.
    for (const [k, v] of this.files) {
      if (this.bytes <= this.maxBytes || k === file) break;
      this.files.delete(k);
      this.bytes -= v.bytes.length;
    }
    return bytes;
  }

  package(file: string): ProgramPackage {
    const st = fs.statSync(file);
    const hit = this.packages.get(file);
    if (hit && hit.mtimeMs === st.mtimeMs) return hit.pkg;
    const pkg = new ProgramPackage(file);
    this.packages.set(file, { mtimeMs: st.mtimeMs, pkg });
    if (this.packages.size > 8) this.packages.delete(this.packages.keys().next().value!);
    return pkg;
  }
}
