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
  /** The fewest cycles the layer's work allows on its engines and the DDR (sim/timing.ts). */
  readonly rooflineCycles: number;
  /** rooflineCycles / cycles (above 1 when the layer's work overlapped its neighbours'). */
  readonly rooflineFraction: number;
  readonly bound: string;
}

export interface CompiledTiming {
  readonly arch: Arch;
  readonly cores: number;
  /** Cycles per image on one core in the steady state (segments one after another). */
  readonly cycles: number;
  readonly seconds: number;
  readonly fps: number;
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
    const p = programFromInstrs(seg.instrs, arch, simLayers(seg), simRegions(c));
    const r = simulateSteadyState(p, { cores, maxCycles: limits().simulatedCycles, ...(opts.isCancelled ? { isCancelled: opts.isCancelled } : {}) });
    results.push(r);
    if (r.status !== 'complete') status = r.status;
    cycles += r.period;
    instructions += seg.instrs.length;
    r.layers.forEach((l, k) => {
      const mark = seg.layers[k]!;
      const ops = mark.nodes.reduce((s, n) => s + (opsOf.get(n) ?? 0), 0);
      const secs = l.incrementalCycles / f;
      // Against the layer's share of the program (its +cycles), so that the fractions and the
      // total agree; a layer whose work hid under its neighbours' shows more than 100%.
      minCycles += l.rooflineCycles;
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
        rooflineFraction: l.incrementalCycles > 0 ? l.rooflineCycles / l.incrementalCycles : 0,
        bound: l.bound,
      });
    });
  });
  const totalOps = c.lowered.ops.reduce((s, o) => s + o.ops, 0);
  const seconds = cycles / f;
  return {
    arch,
    cores,
    cycles,
    seconds,
    fps: seconds > 0 ? cores / seconds : 0,
    totalOps,
    opsPerSecond: seconds > 0 ? (totalOps * cores) / seconds : 0,
    rooflineFraction: cycles > 0 ? minCycles / cycles : 0,
    instructions,
    layers,
    segments: results,
    status,
  };
}
