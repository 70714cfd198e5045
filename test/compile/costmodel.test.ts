// The cost model (fusion.ts estimateGroup) against the timing simulator: every group the compiler
// chooses for every shared model, generated alone and simulated on one core, agrees with its estimate
// within 10%, and so does every pair of groups chosen to run at the same time. Quantization does not change instruction timing, so the models are quantized from
// constant statistics (no float runs) and compiled at their own input size.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { boardByName } from '../../src-compiler/arch/presets';
import { ProgramBuilder } from '../../src-compiler/compile/emit';
import { generateGroup, type GroupContext, type GroupSpec } from '../../src-compiler/compile/codegen';
import { estimateParallel, generateParallel } from '../../src-compiler/compile/parallel';
import { compileQuantized } from '../../src-compiler/compile/compile';
import { estimateGroup } from '../../src-compiler/compile/fusion';
import { Blob } from '../../src-compiler/compile/weights';
import { loadModel } from '../../src-compiler/frontend/load';
import { canonicalize } from '../../src-compiler/passes/canonicalize';
import { quantizeFromStats } from '../../src-compiler/quant/quantize';
import { programFromInstrs } from '../../src-compiler/sim/program';
import { simulateTiming } from '../../src-compiler/sim/timing';
import { SHARED_MODELS, sharedModel } from '../support/models';

/** Every model of ../shared/models, with an input size for the ones too big to generate quickly. */
function sharedModelFiles(): [string, number?][] {
  const out: [string, number?][] = [];
  for (const dir of ['caffe', 'onnx', 'onnx/mnist8', 'onnx/light']) {
    const abs = path.join(SHARED_MODELS, dir);
    if (!fs.existsSync(abs)) continue;
    for (const f of fs.readdirSync(abs).sort()) {
      if (!/\.(prototxt|onnx)$/.test(f)) continue;
      out.push([`${dir}/${f}`, /yolov2/.test(f) ? 224 : undefined]);
    }
  }
  return out;
}

const TOLERANCE = 0.1;

describe('cost model within 10% of the timing simulator on every chosen group', () => {
  for (const [file, size] of sharedModelFiles())
    it(file, () => {
      const model = sharedModel(file);
      const raw = loadModel(model);
      const input = raw.inputs[0]!;
      const g = size ? loadModel(model, { inputShapes: { [input]: [1, raw.tensors.get(input)!.shape[1]!, size, size] } }) : raw;
      for (const archName of ['ZU9', 'ZU2']) {
        const arch = boardByName(archName)!;
        const canon = canonicalize(g, arch);
        const stats = new Map<string, number>();
        for (const t of canon.tensors.keys()) stats.set(t, 4);
        const q = quantizeFromStats(canon, stats, 1);
        const c = compileQuantized(model, g, q, { arch });
        const bw = Math.min(arch.derived.axiBytesPerCyclePerCore, arch.derived.ddrBytesPerCycle);
        const off: string[] = [];
        let groups = 0;
        let worst = 0;
        for (const seg of c.segments)
          for (const ch of seg.fusion?.chosen ?? []) {
            if (ch.spec.stages.length === 0) continue;
            groups++;
            const estimate = estimateGroup(c.ddr, ch.spec, arch, bw);
            const b = new ProgramBuilder(arch);
            const ctx: GroupContext = { arch, b, places: c.ddr.places, blob: new Blob(), spaces: new Map(), nextRing: 0, nextBuffer: 0, lastInit: new Map(), augment: true };
            generateGroup(ctx, ch.spec);
            const sim = simulateTiming(programFromInstrs(b.finish().instrs, arch), { cores: 1 });
            expect(sim.status).toBe('complete');
            const err = (estimate - sim.cycles) / sim.cycles;
            if (Math.abs(err) > Math.abs(worst)) worst = err;
            if (Math.abs(err) > TOLERANCE) off.push(`${ch.spec.name}: estimate ${estimate.toFixed(0)}, simulated ${sim.cycles.toFixed(0)} cycles (${(err * 100).toFixed(1)}%)`);
          }
        // Groups run at the same time: the estimate of the pair, against the pair generated alone.
        for (const seg of c.segments)
          for (const pair of seg.fusion?.parallel ?? []) {
            const [a, b] = pair.groups.map((name) => seg.fusion!.chosen.find((ch) => ch.spec.name === name)!.spec) as [GroupSpec, GroupSpec];
            const est = estimateParallel(c.ddr, a, b, arch, bw);
            if (typeof est === 'string') throw new Error(`${pair.groups.join(' | ')}: ${est}`);
            const b2 = new ProgramBuilder(arch);
            const ctx: GroupContext = { arch, b: b2, places: c.ddr.places, blob: new Blob(), spaces: new Map(), nextRing: 0, nextBuffer: 0, lastInit: new Map(), augment: true };
            generateParallel(ctx, a, b, est.split, bw);
            const sim = simulateTiming(programFromInstrs(b2.finish().instrs, arch), { cores: 1 });
            expect(sim.status).toBe('complete');
            groups++;
            const err = (est.cycles - sim.cycles) / sim.cycles;
            if (Math.abs(err) > Math.abs(worst)) worst = err;
            if (Math.abs(err) > TOLERANCE) off.push(`${pair.groups.join(' | ')}: estimate ${est.cycles.toFixed(0)}, simulated ${sim.cycles.toFixed(0)} cycles (${(err * 100).toFixed(1)}%)`);
          }
        const dropped = c.segments.reduce((n, s) => n + (s.fusion?.droppedByWindow ?? 0), 0);
        console.log(`${file} ${archName}: ${groups} groups, worst error ${(worst * 100).toFixed(1)}%, ${dropped} candidates beyond the strategy window`);
        expect(off, `${archName}: groups whose estimate is off by more than 10%`).toEqual([]);
      }
    });
});
