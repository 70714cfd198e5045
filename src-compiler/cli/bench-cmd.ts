// `dnnvm bench [--quick]`: the benchmark suite. Writes BENCHMARKS.md and bench/results.json at the
// repository root (or --out DIR), and the plots the sections draw beside them.
//
// Sections of the compiler library run in this process. Sections that live with the tests (the
// language server through the protocol, the debugger, the extension in VS Code) drive the built
// server, Chromium or code-server with the test harness; they run from source under tsx in a process
// of their own (scripts/bench-section.ts), so they need a checkout with its dev dependencies, which
// `npm run bench` is for. A section that fails is reported as not measured, and the run exits 1.

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
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

type SectionRun = (quick: boolean, ctx: BenchContext) => Promise<BenchRow[] | SectionResult>;

/** The repository: dist/cli.js's parent. */
const REPO = path.resolve(__dirname, '..');

/**
 * A section exported by a module under test/ (`(quick) => Promise<BenchRow[]>`), run in a process of
 * its own by scripts/bench-section.ts under tsx; its progress (stderr) is passed through.
 */
export function testSection(module: string, fn: string, repo = REPO): SectionRun {
  return async (quick, ctx) => {
    const runner = path.join(repo, 'scripts', 'bench-section.ts');
    for (const f of [runner, path.resolve(repo, module)]) if (!fs.existsSync(f)) throw new Error(`${f} is missing (this section runs from a checkout of the repository)`);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dnnvm-bench-'));
    const out = path.join(tmp, 'rows.json');
    try {
      const args = ['--import', 'tsx', runner, module, fn, out, ...(quick ? ['--quick'] : [])];
      const code = await new Promise<number | null>((resolve, reject) => {
        const child = spawn(process.execPath, args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
        const pass = (d: Buffer) => {
          for (const line of String(d).split('\n')) if (line.trim()) ctx.log(`  ${line}`);
        };
        child.stdout.on('data', pass);
        child.stderr.on('data', pass);
        child.on('error', reject);
        child.on('close', resolve);
      });
      if (code !== 0 || !fs.existsSync(out)) throw new Error(`node --import tsx scripts/bench-section.ts ${module} ${fn} exited with ${code} (its output is above)`);
      return JSON.parse(fs.readFileSync(out, 'utf8')) as BenchRow[];
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  };
}

export interface BenchSection {
  readonly name: string;
  /** Where its rows go in the report if it fails before giving any. */
  readonly group: string;
  readonly run: SectionRun;
}

/** A suite of rows; each section runs in turn and reports as it goes. A section gives rows, or rows
 * with tables and notes for its part of the report. */
export const SECTIONS: readonly BenchSection[] = [
  { name: 'assembler', group: 'Assembler', run: benchAssembler },
  { name: 'frontends', group: 'Frontends', run: benchFrontends },
  { name: 'simulators', group: 'Simulators', run: benchSimulators },
  { name: 'compiler (every shared model)', group: 'Compiler', run: benchCompiler },
  { name: 'modeled throughput (paper table)', group: 'Modeled throughput: budgets', run: benchPaper },
  { name: 'functional simulation vs onnxruntime-node', group: 'Functional simulation of whole models vs onnxruntime-node', run: benchRuntime },
  { name: 'language server (over the protocol)', group: 'Language server (compiled ResNet-50 program, over the protocol)', run: testSection('test/lsp/bench.ts', 'benchLanguageServer') },
  { name: 'debugger (steps, timeline paint in Chromium)', group: 'Debugger', run: testSection('test/dap/bench.ts', 'benchDebugger') },
  // VS Code (code-server + Chromium, `npm run setup:e2e`): the .vsix size and open -> first
  // diagnostics; the ext branch's benchExtension adds the XGraph webview's rows in the same file.
  { name: 'extension (VS Code, .vsix)', group: 'Extension', run: testSection('test/e2e/bench.ts', 'benchExtension') },
];

export async function runBench(p: ParsedArgs, io: CliIO, sections: readonly BenchSection[] = SECTIONS): Promise<number> {
  const quick = optFlag(p, 'quick');
  const repo = REPO;
  const outDir = path.resolve(io.cwd, optString(p, 'out') ?? repo);
  const rows: BenchRow[] = [];
  const tables: BenchTable[] = [];
  const notes: BenchNote[] = [];
  // Groups in section order; within a section, its rows' groups, then its tables' and notes'.
  const groupOrder: string[] = [];
  const ctx: BenchContext = { outDir, log: (line) => io.err(`${line}\n`) };
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const failed: string[] = [];
  for (const s of sections) {
    io.err(`bench: ${s.name}...\n`);
    const t = performance.now();
    let res: SectionResult;
    try {
      const got = await s.run(quick, ctx);
      res = Array.isArray(got) ? { rows: got } : got;
    } catch (e) {
      // The rest of the suite still runs; the report says what was not measured and why.
      const why = e instanceof Error ? e.message : String(e);
      io.err(`  failed: ${why}\n`);
      failed.push(s.name);
      res = { rows: [], notes: [{ group: s.group, text: `**Not measured**: the ${s.name} section failed in this run: ${why}` }] };
    }
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
  const runNotes = [
    `The whole run took ${seconds.toFixed(0)} s of wall time and ${cpuSeconds.toFixed(0)} s of CPU time (this process, all threads; the language server, debugger and extension sections run in processes of their own, not counted): on a shared machine the difference is time spent waiting for a core.`,
    ...(failed.length ? [`Sections that failed and are not measured: ${failed.join('; ')}.`] : []),
  ];
  writeFileAtomic(path.join(outDir, 'BENCHMARKS.md'), markdownReport(m, rows, quick, runNotes, { tables, notes, groupOrder }));
  writeFileAtomic(path.join(outDir, 'bench', 'results.json'), JSON.stringify({ machine: m, quick, seconds, cpuSeconds, failed, rows, tables, notes }, null, 2) + '\n');
  io.out(`wrote ${path.join(outDir, 'BENCHMARKS.md')} and bench/results.json (${rows.length} rows) in ${seconds.toFixed(0)} s\n`);
  if (failed.length) io.err(`bench: not measured (failed): ${failed.join('; ')}\n`);
  return failed.length ? 1 : 0;
}
