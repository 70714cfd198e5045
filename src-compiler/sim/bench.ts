// Benchmark rows for `npm run bench`: how fast the simulators run (BRIEF section 4 budgets: timing
// simulation >= 5 M instructions/s, functional simulation >= 1 GMAC/s). Each figure is the median of
// several runs after a warm-up; program generation and assembly are not timed.

import { boardByName } from '../arch/presets';
import { runFunctional } from './functional';
import { DdrImage } from './memory';
import { programFromInstrs } from './program';
import { pingPongProgram } from './testing/build';
import { seededBytes } from './testing/reference';
import { assembleOrThrow } from './testing/run-layer';
import { tileLayer, type ConvLayer } from './testing/tiler';
import { simulateTiming } from './timing';

export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  budget?: string;
  met?: boolean;
  detail?: string;
}

const RUNS = 7;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Milliseconds of `f`, median of RUNS runs after one warm-up. */
function timeMs(f: () => void): number {
  f();
  const ms: number[] = [];
  for (let k = 0; k < RUNS; k++) {
    const t0 = performance.now();
    f();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

export async function benchSimulators(): Promise<BenchRow[]> {
  const arch = boardByName('ZU9')!;
  const rows: BenchRow[] = [];

  // Timing: a double-buffered LOAD/CONV/SAVE conv pipeline of 200,000 tiles (600,002 instructions).
  const tiles = 200_000;
  const p = programFromInstrs(pingPongProgram(arch, tiles), arch, [{ name: 'pipeline', first: 0, end: 3 * tiles + 2 }]);
  const one = timeMs(() => simulateTiming(p, { cores: 1 }));
  const oneRate = p.count / (one / 1000);
  rows.push({
    name: 'timing simulation, one core',
    value: oneRate,
    unit: 'instructions/s',
    budget: '>= 5 M instructions/s',
    met: oneRate >= 5e6,
    detail: `${p.count.toLocaleString('en-US')} instructions (LOAD/CONV/SAVE ping-pong on ZU9) in ${one.toFixed(0)} ms, median of ${RUNS}`,
  });
  const all = timeMs(() => simulateTiming(p, { cores: arch.cores }));
  rows.push({
    name: `timing simulation, throughput mode (${arch.cores} cores sharing DDR)`,
    value: (p.count * arch.cores) / (all / 1000),
    unit: 'instruction executions/s',
    detail: `the same program on all ${arch.cores} cores of ZU9 in ${all.toFixed(0)} ms (${(p.count / (all / 1000) / 1e6).toFixed(2)} M program instructions/s), median of ${RUNS}`,
  });

  // Functional: a ResNet-style 3x3 convolution, 56x56x64 -> 64, tiled over the whole image.
  const layer: ConvLayer = { kind: 'conv', h: 56, w: 56, c: 64, k: 64, kh: 3, kw: 3, sh: 1, sw: 1, pads: { top: 1, left: 1, bottom: 1, right: 1 }, act: 'relu', shiftCut: 8, shiftBias: 4 };
  const program = assembleOrThrow(tileLayer(layer, arch, { maxLength: 56 }).text, arch);
  const data: Record<string, Int8Array> = {
    input: seededBytes(1, 56 * 56 * 64),
    weights: seededBytes(2, 64 * 9 * 64),
    bias: seededBytes(3, 64),
  };
  let macs = 0;
  let ok = true;
  const f = (checkRaces: boolean) =>
    timeMs(() => {
      const r = runFunctional(program, new DdrImage(program.regions, (x) => data[x.name]), { checkRaces });
      macs = r.macs;
      ok &&= r.ok;
    });
  const checked = f(true);
  const rate = macs / (checked / 1000);
  rows.push({
    name: 'functional simulation, one core',
    value: rate,
    unit: 'MAC/s',
    budget: '>= 1 GMAC/s',
    met: ok && rate >= 1e9,
    detail: `3x3 conv 56x56x64 -> 64 on ZU9 (${program.count} instructions, ${(macs / 1e6).toFixed(1)} M MACs) in ${checked.toFixed(0)} ms with race checks, median of ${RUNS}${ok ? '' : '; THE RUN REPORTED ERRORS'}`,
  });
  const unchecked = f(false);
  rows.push({
    name: 'functional simulation, one core, race checks off',
    value: macs / (unchecked / 1000),
    unit: 'MAC/s',
    detail: `the same program in ${unchecked.toFixed(0)} ms, median of ${RUNS}`,
  });
  return rows;
}
