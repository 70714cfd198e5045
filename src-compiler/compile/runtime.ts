// The runtime: runs a compiled model on one input, as a host driving the DPU would. It fills the DDR
// image (quantized input, weights), runs each DPU segment on the functional simulator and each host
// step with the integer reference's host path between them, and reads the outputs back.

import type { SimLayer, SimProblem, SimRegion } from '../sim/program';
import { programFromInstrs } from '../sim/program';
import { FunctionalMachine } from '../sim/functional';
import { DdrImage } from '../sim/memory';
import { floatOf, runHostNode, type IntValue } from '../ref/int8';
import { quantize } from '../ref/dpu-math';
import { CancelledError } from '../util/errors';
import type { Compiled, CompiledSegment } from './compile';
import { regionSymbol } from './compile';
import type { DdrPlace } from './ddr';
import { REG_WEIGHTS } from './ddr';
import type { FeatureMap } from './lower';

/** The SimRegions of a compiled program (named as in its assembly). */
export function simRegions(c: Compiled): SimRegion[] {
  return [...c.ddr.regions.map((r) => ({ name: regionSymbol(r.name), reg: r.reg, offset: r.offset, size: r.size })), { name: 'weights', reg: REG_WEIGHTS, offset: 0, size: Math.max(1, c.weights.length) }];
}

export function simLayers(seg: CompiledSegment): SimLayer[] {
  return seg.layers.map((l, i) => ({ name: l.name, first: l.first, end: seg.layers[i + 1]?.first ?? seg.instrs.length - 1 }));
}

/** HWC bytes of a feature map from a DDR image. */
export function readFmap(ddr: DdrImage, place: DdrPlace, f: FeatureMap): Int8Array {
  const out = new Int8Array(f.h * f.w * f.c);
  const region = ddr.containing(place.reg, place.offset);
  if (!region) throw new Error(`runtime: no DDR region holds ${f.name}`);
  for (let p = 0; p < f.h * f.w; p++) {
    const at = place.offset + p * place.pixelStride - region.offset;
    out.set(region.data.subarray(at, at + f.c), p * f.c);
  }
  return out;
}

export function writeFmap(ddr: DdrImage, place: DdrPlace, f: FeatureMap, hwc: Int8Array): void {
  const region = ddr.containing(place.reg, place.offset);
  if (!region) throw new Error(`runtime: no DDR region holds ${f.name}`);
  for (let p = 0; p < f.h * f.w; p++) {
    const at = place.offset + p * place.pixelStride - region.offset;
    region.data.set(hwc.subarray(p * f.c, (p + 1) * f.c), at);
    if (region.init) region.init.fill(1, at, at + f.c);
  }
}

/** NCHW (batch 1) <-> HWC. */
export function nchwToHwc(x: Int8Array, f: FeatureMap): Int8Array {
  const out = new Int8Array(x.length);
  const hw = f.h * f.w;
  for (let c = 0; c < f.c; c++) for (let p = 0; p < hw; p++) out[p * f.c + c] = x[c * hw + p]!;
  return out;
}

export function hwcToNchw(x: Int8Array, f: FeatureMap): Int8Array {
  const out = new Int8Array(x.length);
  const hw = f.h * f.w;
  for (let c = 0; c < f.c; c++) for (let p = 0; p < hw; p++) out[c * hw + p] = x[p * f.c + c]!;
  return out;
}

export interface RunOptions {
  readonly checkRaces?: boolean;
  readonly isCancelled?: () => boolean;
  /** Called when a DPU layer (a layer marker) has finished, with the machine's DDR. */
  readonly onLayer?: (segment: CompiledSegment, layer: number, ddr: DdrImage) => void;
}

export interface RunResult {
  /** Model outputs: int8 (with fix) when the DPU produced them, float when the host did. */
  readonly outputs: Map<string, IntValue>;
  readonly problems: SimProblem[];
  readonly macs: number;
  readonly executed: number;
  readonly ddr: DdrImage;
}

export function runCompiled(c: Compiled, inputs: ReadonlyMap<string, Float32Array>, opts: RunOptions = {}): RunResult {
  const { lowered: lg, ddr: layout, q } = c;
  const g = q.graph;
  const ddr = new DdrImage(simRegions(c), (r) => (r.name === 'weights' ? c.weights : undefined));
  const host = new Map<string, IntValue>();
  // Inputs: quantized where the DPU reads them, kept as float for host steps.
  for (const name of g.inputs) {
    const x = inputs.get(name);
    if (!x) throw new Error(`runtime: no data for input ${name}`);
    const tq = q.tensors.get(name)!;
    const shape = g.tensors.get(name)!.shape;
    if (tq.kind === 'int8') {
      const int8 = Int8Array.from(x, (v) => quantize(v, tq.fix));
      host.set(name, { shape, int8, fix: tq.fix });
      const f = lg.fmaps.get(name);
      if (f) writeFmap(ddr, layout.places.get(name)!, f, nchwToHwc(int8, f));
    } else host.set(name, { shape, float: x });
  }
  const problems: SimProblem[] = [];
  let macs = 0;
  let executed = 0;
  const valueOf = (name: string): IntValue => {
    const f = lg.fmaps.get(name);
    if (f && layout.places.has(name) && !host.has(name)) {
      const int8 = hwcToNchw(readFmap(ddr, layout.places.get(name)!, f), f);
      return { shape: g.tensors.get(name)!.shape, int8, fix: f.fix };
    }
    const v = host.get(name);
    if (!v) throw new Error(`runtime: no value for ${name}`);
    return v;
  };
  let segIndex = 0;
  for (const step of lg.steps) {
    if (opts.isCancelled?.()) throw new CancelledError();
    if (step.kind === 'host') {
      const outs = runHostNode(q, step.op.node, valueOf);
      step.op.outputs.forEach((o, k) => {
        const v = outs[k]!;
        const f = lg.fmaps.get(o);
        if (f && v.int8 && layout.places.has(o)) writeFmap(ddr, layout.places.get(o)!, f, nchwToHwc(v.int8, f));
        else host.set(o, v);
      });
      continue;
    }
    const seg = c.segments[segIndex++]!;
    const p = programFromInstrs(seg.instrs, c.arch, simLayers(seg), simRegions(c));
    const m = new FunctionalMachine(p, ddr, { checkRaces: opts.checkRaces ?? true, ...(opts.isCancelled ? { isCancelled: opts.isCancelled } : {}) });
    let layer = 0;
    while (m.step()) {
      while (opts.onLayer && layer < p.layers.length && m.pc >= p.layers[layer]!.end) opts.onLayer(seg, layer++, ddr);
    }
    while (opts.onLayer && layer < p.layers.length) opts.onLayer(seg, layer++, ddr);
    const r = m.result();
    problems.push(...r.problems);
    macs += r.macs;
    executed += r.executed;
  }
  const outputs = new Map<string, IntValue>();
  for (const o of g.outputs) {
    const v = valueOf(o);
    floatOf(v);
    outputs.set(o, v);
  }
  return { outputs, problems, macs, executed, ddr };
}
