// BENCHMARKS.md and bench/results.json: every figure measured by the run that writes them, with the
// machine, the date and the commit, each budget with whether it is met.

import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import type { BenchRow } from './types';

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
  readonly date: string;
  readonly commit: string;
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
  };
}

function fmt(v: number | undefined, unit: string): string {
  if (v === undefined || !Number.isFinite(v)) return '';
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : Math.abs(v) >= 1 ? 2 : 3;
  const s = v >= 1e6 && unit.endsWith('/s') ? `${(v / 1e6).toFixed(2)} M` : v.toFixed(digits);
  return `${s} ${unit}`.replace(' M ', ' M');
}

export function markdownReport(m: Machine, rows: readonly BenchRow[], quick: boolean, notes: readonly string[] = []): string {
  const out: string[] = [
    '# Benchmarks',
    '',
    'Written by `npm run bench` (`dnnvm bench`); every figure below was measured by that run. Medians',
    'with min and max over the runs; a budget that is not met says so.',
    '',
    `- Date: ${m.date}`,
    `- Commit: ${m.commit}`,
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.platform}`,
    `- Node: ${m.node}`,
    `- Mode: ${quick ? 'quick (a subset, fewer runs)' : 'full'}`,
    '',
  ];
  const groups = [...new Set(rows.map((r) => r.group))];
  for (const g of groups) {
    out.push(`## ${g}`, '', '| measurement | median | min | max | runs | budget | met |', '| --- | ---: | ---: | ---: | ---: | --- | --- |');
    for (const r of rows.filter((x) => x.group === g))
      out.push(`| ${r.name}${r.detail ? ` (${r.detail})` : ''} | ${fmt(r.value, r.unit)} | ${fmt(r.min, r.unit)} | ${fmt(r.max, r.unit)} | ${r.runs ?? ''} | ${r.budget ?? ''} | ${r.met === undefined ? '' : r.met ? 'yes' : '**no**'} |`);
    out.push('');
  }
  if (notes.length) out.push('## Notes', '', ...notes.map((n) => `- ${n}`), '');
  return out.join('\n');
}
