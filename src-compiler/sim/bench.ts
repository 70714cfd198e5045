// Benchmark rows for `npm run bench`: how fast the simulators run (BRIEF section 4 budgets: timing
// simulation >= 5 M instructions/s, functional simulation >= 1 GMAC/s). Each figure is the median of
// several runs after a warm-up (min and max are the slowest and fastest runs' rates); generating and
// assembling the programs is not timed.

import { boardByName } from '../arch/presets';
import { runFunctional } from './functional';
import { DdrImage } from './memory';
import { programFromInstrs } from './program';
import { pingPongProgram } from './testing/build';
import { seededBytes } from './testing/reference';
import { assembleOrThrow } from './testing/run-layer';
import { tileLayer, type ConvLayer } from './testing/tiler';
import { simulateTiming } from './timing';
import { rateRow, timeRuns, type BenchRow, type Timing } from '../bench/types';

const GROUP = 'Simulators';


/** timeRuns, plus the process CPU time per run: on a loaded machine wall time says little alone. */
async function timed(runs: number, fn: () => void): Promise<Timing & { cpuMs: number }> {
  const c0 = process.cpuUsage();
  const t = await timeRuns(runs, fn);
  const c = process.cpuUsage(c0);
  return { ...t, cpuMs: (c.user + c.system) / 1000 / (runs + 1) };
}

export async function benchSimulators(quick = false): Promise<BenchRow[]> {
  const runs = quick ? 3 : 7;
  const arch = boardByName('ZU9')!;
  const rows: BenchRow[] = [];

  // Timing: a double-buffered LOAD/CONV/SAVE conv pipeline of 200,000 tiles (600,002 instructions).
  const tiles = quick ? 50_000 : 200_000;
  const p = programFromInstrs(pingPongProgram(arch, tiles), arch, [{ name: 'pipeline', first: 0, end: 3 * tiles + 2 }]);
  const one = await timed(runs, () => void simulateTiming(p, { cores: 1 }));
  rows.push(
    rateRow(GROUP, 'timing simulation, one core', p.count, one, 'instructions/s', { text: '>= 5 M instructions/s', min: 5e6 }, `${p.count.toLocaleString('en-US')} instructions (a LOAD/CONV/SAVE ping-pong on ZU9), ${one.median.toFixed(0)} ms wall, ${one.cpuMs.toFixed(0)} ms CPU per run`),
  );
  const all = await timed(runs, () => void simulateTiming(p, { cores: arch.cores }));
  rows.push(
    rateRow(
      GROUP,
      `timing simulation, throughput mode (${arch.cores} cores sharing the DDR)`,
      p.count * arch.cores,
      all,
      'instruction executions/s',
      undefined,
      `the same program on every core of ZU9, ${all.median.toFixed(0)} ms wall, ${all.cpuMs.toFixed(0)} ms CPU per run (${(p.count / (all.median / 1000) / 1e6).toFixed(2)} M program instructions/s)`,
    ),
  );

  // Functional: a ResNet-style 3x3 convolution, 56x56x64 -> 64, tiled over the whole image.
  const layer: ConvLayer = { kind: 'conv', h: 56, w: 56, c: 64, k: 64, kh: 3, kw: 3, sh: 1, sw: 1, pads: { top: 1, left: 1, bottom: 1, right: 1 }, act: 'relu', shiftCut: 8, shiftBias: 4 };
  const program = assembleOrThrow(tileLayer(layer, arch, { maxLength: 56 }).text, arch);
  const data: Record<string, Int8Array> = {
    input: seededBytes(1, 56 * 56 * 64),
    weights: seededBytes(2, 64 * 9 * 64),
    bias: seededBytes(3, 64),
  };
  let macs = 0;
  const run = (checkRaces: boolean) => {
    const r = runFunctional(program, new DdrImage(program.regions, (x) => data[x.name]), { checkRaces });
    if (!r.ok) throw new Error(`the functional benchmark program reports errors: ${r.problems[0]?.message}`);
    macs = r.macs;
  };
  const checked = await timed(runs, () => run(true));
  const what = `3x3 conv 56x56x64 -> 64 on ZU9 (${program.count} instructions, ${(macs / 1e6).toFixed(1)} M MACs)`;
  rows.push(rateRow(GROUP, 'functional simulation, one core', macs, checked, 'MAC/s', { text: '>= 1 GMAC/s', min: 1e9 }, `${what} with race checks, ${checked.median.toFixed(0)} ms wall, ${checked.cpuMs.toFixed(0)} ms CPU per run`));
  const unchecked = await timed(runs, () => run(false));
  rows.push(rateRow(GROUP, 'functional simulation, one core, race checks off', macs, unchecked, 'MAC/s', undefined, `${what}, ${unchecked.median.toFixed(0)} ms wall, ${unchecked.cpuMs.toFixed(0)} ms CPU per run`));
  return rows;
}
