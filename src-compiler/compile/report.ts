// The timing report of a compiled model: every DPU segment simulated in throughput mode in the steady
// state (all cores, staggered, several images each, sharing the DDR; sim/timing.ts
// simulateSteadyState), per-layer latency of core 0's last image with the model's own operation
// counts, totals.
// Host steps run on the CPU between segments and are not timed.

import type { Arch } from '../arch/model';
import { programFromInstrs } from '../sim/program';
import { simulateSteadyState, type TimingResult } from '../sim/timing';
import { limits } from '../util/limits';
import type { Compiled } from './compile';
import { simLayers, simRegions } from './runtime';

export interface LayerReport {
  readonly segment: number;
  readonly name: string;
  /** Fusion group ('' for a layer alone). */
  readonly group: string;
  readonly nodes: readonly string[];
  /** Operations of the model (2 per MAC). */
  readonly ops: number;
  /** How much later the program ends because of this layer (these add up to the total). */
  readonly cycles: number;
  readonly seconds: number;
  readonly opsPerSecond: number;
  /** The fewest cycles the layer's work allows: CONV and MISC work at their peaks, its DDR bytes at
   * the most one core can move. */
  readonly rooflineCycles: number;
  /** rooflineCycles over the window its instructions ran in on core 0 (first start to last end). */
  readonly rooflineFraction: number;
  readonly bound: string;
}

export interface CompiledTiming {
  readonly arch: Arch;
  readonly cores: number;
  /** Cycles per run on one core in the steady state (segments one after another). */
  readonly cycles: number;
  readonly seconds: number;
  /** Images per run (the compile's batch). */
  readonly images: number;
  readonly fps: number;
  /** Ops per run (the batch's images together). */
  readonly totalOps: number;
  /** Device ops per second: ops x cores / seconds. */
  readonly opsPerSecond: number;
  readonly rooflineFraction: number;
  readonly instructions: number;
  readonly layers: LayerReport[];
  readonly segments: readonly TimingResult[];
  readonly status: TimingResult['status'];
}

export function simulateCompiled(c: Compiled, opts: { cores?: number; isCancelled?: () => boolean } = {}): CompiledTiming {
  const arch = c.arch;
  const cores = opts.cores ?? arch.cores;
  const f = arch.frequencyMHz * 1e6;
  const opsOf = new Map(c.lowered.ops.map((o) => [o.node.name, o.ops]));
  const layers: LayerReport[] = [];
  const results: TimingResult[] = [];
  let cycles = 0;
  let minCycles = 0;
  let instructions = 0;
  let status: TimingResult['status'] = 'complete';
  c.segments.forEach((seg, si) => {
    const p = programFromInstrs(seg.instrs, arch, simLayers(seg), simRegions(c), c.batch);
    const r = simulateSteadyState(p, { cores, maxCycles: limits().simulatedCycles, ...(opts.isCancelled ? { isCancelled: opts.isCancelled } : {}) });
    results.push(r);
    if (r.status !== 'complete') status = r.status;
    cycles += r.period;
    instructions += seg.instrs.length;
    // The program's roofline: each layer's (from the timing simulator: engines at peak, DDR at one
    // core's most) summed per engine, and the cores together also cannot move more than the board's
    // DDR: cores x bytes / DDR rate per image and core.
    const d = arch.derived;
    const coreRate = d.coreDdrBytesPerCycle;
    let segConv = 0;
    let segMisc = 0;
    let segBytes = 0;
    r.layers.forEach((l, k) => {
      const mark = seg.layers[k]!;
      const ops = mark.nodes.reduce((s, n) => s + (opsOf.get(n) ?? 0), 0);
      const secs = l.incrementalCycles / f;
      segConv += l.convPeakCycles;
      segMisc += l.miscPeakCycles;
      segBytes += l.ddrBytes;
      layers.push({
        segment: si,
        name: mark.name,
        group: mark.group ?? '',
        nodes: mark.nodes,
        ops,
        cycles: l.incrementalCycles,
        seconds: secs,
        opsPerSecond: secs > 0 ? (ops * cores) / secs : 0,
        rooflineCycles: l.rooflineCycles,
        rooflineFraction: l.rooflineFraction,
        bound: l.bound,
      });
    });
    minCycles += Math.max(segConv, segMisc, segBytes / coreRate, (cores * segBytes) / d.ddrBytesPerCycle);
  });
  const totalOps = c.lowered.ops.reduce((s, o) => s + o.ops, 0);
  const seconds = cycles / f;
  return {
    arch,
    cores,
    cycles,
    seconds,
    images: c.batch,
    fps: seconds > 0 ? (cores * c.batch) / seconds : 0,
    totalOps,
    opsPerSecond: seconds > 0 ? (totalOps * cores) / seconds : 0,
    rooflineFraction: cycles > 0 ? minCycles / cycles : 0,
    instructions,
    layers,
    segments: results,
    status,
  };
}
