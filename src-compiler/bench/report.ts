// BENCHMARKS.md and bench/results.json: every figure measured by the run that writes them, with the
// machine, the date and the commit, each budget with whether it is met.

import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import type { BenchNote, BenchRow, BenchTable } from './types';

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
  readonly date: string;
  readonly commit: string;
  /** 1, 5 and 15 minute load averages when the report was written: the machine is shared, and a
   * load above the core count stretches every wall-clock figure. */
  readonly loadAverage: readonly number[];
}

export function machine(repo: string): Machine {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (dirty) commit += ' (with uncommitted changes)';
  } catch {
    /* not a git checkout */
  }
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    date: new Date().toISOString(),
    commit,
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

function fmt(v: number | undefined, unit: string): string {
  if (v === undefined || !Number.isFinite(v)) return '';
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : Math.abs(v) >= 1 ? 2 : 3;
  const s = v >= 1e6 && unit.endsWith('/s') ? `${(v / 1e6).toFixed(2)} M` : v.toFixed(digits);
  return `${s} ${unit}`.replace(' M ', ' M');
}

/** A markdown table cell: pipes and line breaks would end the cell or the row. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function markdownTable(t: BenchTable): string[] {
  const align = t.columns.map((_, i) => (t.align?.[i] === 'r' ? '---:' : '---'));
  return [`| ${t.columns.map(cell).join(' | ')} |`, `| ${align.join(' | ')} |`, ...t.rows.map((r) => `| ${r.map(cell).join(' | ')} |`)];
}

/** Tables and notes that belong to groups of the report (besides the median/min/max rows). */
export interface ReportExtras {
  readonly tables?: readonly BenchTable[];
  readonly notes?: readonly BenchNote[];
  /** Order of the groups (e.g. by section); groups not named follow in the order they appear. */
  readonly groupOrder?: readonly string[];
}

export function markdownReport(m: Machine, rows: readonly BenchRow[], quick: boolean, notes: readonly string[] = [], extras: ReportExtras = {}): string {
  const out: string[] = [
    '# Benchmarks',
    '',
    'Written by `npm run bench` (`dnnvm bench`); every figure below was measured by that run. Medians',
    'with min and max over the runs; a budget that is not met says so.',
    '',
    `- Date: ${m.date}`,
    `- Commit: ${m.commit}`,
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.platform}`,
    ...(m.loadAverage?.length ? [`- Load average when written (1, 5, 15 min): ${m.loadAverage.join(', ')} (the machine is shared; wall times stretch when the load exceeds the core count)`] : []),
    `- Node: ${m.node}`,
    `- Mode: ${quick ? 'quick (a subset, fewer runs)' : 'full'}`,
    '',
  ];
  const tables = extras.tables ?? [];
  const groupNotes = extras.notes ?? [];
  // Groups in the given order, then in the order they first appear.
  const groups = [...new Set([...(extras.groupOrder ?? []), ...rows.map((r) => r.group), ...tables.map((t) => t.group), ...groupNotes.map((n) => n.group)])];
  for (const g of groups) {
    out.push(`## ${g}`, '');
    const mine = rows.filter((x) => x.group === g);
    const own = tables.filter((t) => t.group === g);
    if (mine.length && !own.some((t) => t.replacesRows)) {
      out.push('| measurement | median | min | max | runs | budget | met? |', '| --- | ---: | ---: | ---: | ---: | --- | --- |');
      for (const r of mine)
        out.push(`| ${cell(r.name + (r.detail ? ` (${r.detail})` : ''))} | ${fmt(r.value, r.unit)} | ${fmt(r.min, r.unit)} | ${fmt(r.max, r.unit)} | ${r.runs ?? ''} | ${r.budget ?? ''} | ${r.met === undefined ? '' : r.met ? 'met' : '**NOT met**'} |`);
      out.push('');
    }
    for (const t of own) out.push(...markdownTable(t), '');
    for (const n of groupNotes.filter((x) => x.group === g)) out.push(n.text, '');
  }
  if (notes.length) out.push('## Notes', '', ...notes.map((n) => `- ${n}`), '');
  return out.join('\n');
}
