// `dnnvm bench [--quick]`: the benchmark suite. Writes BENCHMARKS.md and bench/results.json at the
// repository root (or --out DIR).

import * as path from 'node:path';
import { benchAssembler } from '../bench/asm-bench';
import { benchSimulators } from '../sim/bench';
import { benchFrontends } from '../frontend/bench';
import { machine, markdownReport } from '../bench/report';
import type { BenchRow } from '../bench/types';
import { writeFileAtomic } from '../util/fsx';
import { optFlag, optString, type ParsedArgs } from './args';
import type { CliIO } from './io';

/** A suite of rows; each section runs in turn and reports as it goes. */
const SECTIONS: { name: string; run: (quick: boolean) => Promise<BenchRow[]> }[] = [
  { name: 'assembler', run: benchAssembler },
  { name: 'frontends', run: benchFrontends },
  { name: 'simulators', run: benchSimulators },
];

export async function runBench(p: ParsedArgs, io: CliIO): Promise<number> {
  const quick = optFlag(p, 'quick');
  const repo = path.resolve(__dirname, '..');
  const outDir = path.resolve(io.cwd, optString(p, 'out') ?? repo);
  const rows: BenchRow[] = [];
  for (const s of SECTIONS) {
    io.err(`bench: ${s.name}...\n`);
    const got = await s.run(quick);
    for (const r of got) io.err(`  ${r.name}: ${r.value.toFixed(2)} ${r.unit}${r.budget ? ` (budget ${r.budget}: ${r.met ? 'met' : 'NOT met'})` : ''}\n`);
    rows.push(...got);
  }
  const m = machine(repo);
  writeFileAtomic(path.join(outDir, 'BENCHMARKS.md'), markdownReport(m, rows, quick));
  writeFileAtomic(path.join(outDir, 'bench', 'results.json'), JSON.stringify({ machine: m, quick, rows }, null, 2) + '\n');
  io.out(`wrote ${path.join(outDir, 'BENCHMARKS.md')} and bench/results.json (${rows.length} rows)\n`);
  return 0;
}
