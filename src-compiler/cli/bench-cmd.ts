// `dnnvm bench [--quick]`: the benchmark suite. Writes BENCHMARKS.md and bench/results.json at the
// repository root (or --out DIR), and the plots the sections draw beside them.

import * as path from 'node:path';
import { benchAssembler } from '../bench/asm-bench';
import { benchCompiler } from '../bench/compile-bench';
import { benchPaper } from '../bench/paper-bench';
import { benchRuntime } from '../bench/runtime-bench';
import { benchSimulators } from '../sim/bench';
import { benchFrontends } from '../frontend/bench';
import { machine, markdownReport } from '../bench/report';
import type { BenchContext, BenchNote, BenchRow, BenchTable, SectionResult } from '../bench/types';
import { writeFileAtomic } from '../util/fsx';
import { optFlag, optString, type ParsedArgs } from './args';
import type { CliIO } from './io';

/** A suite of rows; each section runs in turn and reports as it goes. A section gives rows, or rows
 * with tables and notes for its part of the report. */
const SECTIONS: { name: string; run: (quick: boolean, ctx: BenchContext) => Promise<BenchRow[] | SectionResult> }[] = [
  { name: 'assembler', run: benchAssembler },
  { name: 'frontends', run: benchFrontends },
  { name: 'simulators', run: benchSimulators },
  { name: 'compiler (every shared model)', run: benchCompiler },
  { name: 'modeled throughput (paper table)', run: benchPaper },
  { name: 'functional simulation vs onnxruntime-node', run: benchRuntime },
];

export async function runBench(p: ParsedArgs, io: CliIO): Promise<number> {
  const quick = optFlag(p, 'quick');
  const repo = path.resolve(__dirname, '..');
  const outDir = path.resolve(io.cwd, optString(p, 'out') ?? repo);
  const rows: BenchRow[] = [];
  const tables: BenchTable[] = [];
  const notes: BenchNote[] = [];
  // Groups in section order; within a section, its rows' groups, then its tables' and notes'.
  const groupOrder: string[] = [];
  const ctx: BenchContext = { outDir, log: (line) => io.err(`${line}\n`) };
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (const s of SECTIONS) {
    io.err(`bench: ${s.name}...\n`);
    const t = performance.now();
    const got = await s.run(quick, ctx);
    const res: SectionResult = Array.isArray(got) ? { rows: got } : got;
    for (const r of res.rows) io.err(`  ${r.name}: ${r.value.toFixed(2)} ${r.unit}${r.budget ? ` (budget ${r.budget}: ${r.met ? 'met' : 'NOT met'})` : ''}\n`);
    io.err(`  (${((performance.now() - t) / 1000).toFixed(1)} s)\n`);
    groupOrder.push(...[...res.rows, ...(res.tables ?? []), ...(res.notes ?? [])].map((x) => x.group));
    rows.push(...res.rows);
    tables.push(...(res.tables ?? []));
    notes.push(...(res.notes ?? []));
  }
  const m = machine(repo);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const runNotes = [`The whole run took ${seconds.toFixed(0)} s of wall time and ${cpuSeconds.toFixed(0)} s of CPU time (this process, all threads): on a shared machine the difference is time spent waiting for a core.`];
  writeFileAtomic(path.join(outDir, 'BENCHMARKS.md'), markdownReport(m, rows, quick, runNotes, { tables, notes, groupOrder }));
  writeFileAtomic(path.join(outDir, 'bench', 'results.json'), JSON.stringify({ machine: m, quick, seconds, cpuSeconds, rows, tables, notes }, null, 2) + '\n');
  io.out(`wrote ${path.join(outDir, 'BENCHMARKS.md')} and bench/results.json (${rows.length} rows) in ${seconds.toFixed(0)} s\n`);
  return 0;
}
