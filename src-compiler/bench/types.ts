// What a benchmark measures: one row of BENCHMARKS.md.

export interface BenchRow {
  /** Section of the report, e.g. "Assembler". */
  readonly group: string;
  readonly name: string;
  /** The median of the runs. */
  readonly value: number;
  readonly unit: string;
  readonly min?: number;
  readonly max?: number;
  readonly runs?: number;
  /** The budget as text, e.g. "<= 500 ms", and whether the median meets it. */
  readonly budget?: string;
  readonly met?: boolean;
  readonly detail?: string;
}

export interface Timing {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly runs: number;
}

/** Run `fn` `runs` times after one warm-up; milliseconds. */
export async function timeRuns(runs: number, fn: () => unknown | Promise<unknown>): Promise<Timing> {
  await fn();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { median: ms[Math.floor(ms.length / 2)]!, min: ms[0]!, max: ms[ms.length - 1]!, runs };
}

/** timeRuns, plus the median process CPU time of the timed runs (milliseconds). */
export async function timeRunsCpu(runs: number, fn: () => unknown | Promise<unknown>): Promise<Timing & { cpuMs: number }> {
  await fn();
  const ms: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  return { median: median(ms), min: Math.min(...ms), max: Math.max(...ms), runs, cpuMs: median(cpu) };
}

/** A throughput row: `work` units per run of `t` (milliseconds), as units per second. The fastest run
 * gives the highest rate, so min and max swap. */
export function rateRow(group: string, name: string, work: number, t: Timing, unit: string, budget?: { text: string; min: number }, detail?: string): BenchRow {
  const rate = (ms: number) => work / (ms / 1000);
  return {
    group,
    name,
    value: rate(t.median),
    unit,
    min: rate(t.max),
    max: rate(t.min),
    runs: t.runs,
    ...(budget ? { budget: budget.text, met: rate(t.median) >= budget.min } : {}),
    ...(detail ? { detail } : {}),
  };
}

export function row(group: string, name: string, t: Timing, unit = 'ms', budget?: { text: string; max?: number; min?: number }, detail?: string): BenchRow {
  const met = budget ? (budget.max === undefined || t.median <= budget.max) && (budget.min === undefined || t.median >= budget.min) : undefined;
  return {
    group,
    name,
    value: t.median,
    unit,
    min: t.min,
    max: t.max,
    runs: t.runs,
    ...(budget ? { budget: budget.text, met } : {}),
    ...(detail ? { detail } : {}),
  };
}

/**
 * A table of the report that is not median/min/max: modeled figures next to published ones, or one
 * line per model with several timings. Cells are text, already formatted.
 */
export interface BenchTable {
  readonly group: string;
  readonly columns: readonly string[];
  /** Per column: 'r' right-aligns (numbers); default left. */
  readonly align?: readonly ('l' | 'r')[];
  readonly rows: readonly (readonly string[])[];
  /** Show this table instead of the group's median/min/max rows (they stay in results.json). */
  readonly replacesRows?: boolean;
}

/** A paragraph of free text under a group of the report. */
export interface BenchNote {
  readonly group: string;
  readonly text: string;
}

/** What a section of the suite gives back. */
export interface SectionResult {
  readonly rows: BenchRow[];
  readonly tables?: BenchTable[];
  readonly notes?: BenchNote[];
}

/** What a section may use besides `quick`: where the report goes (for files such as plots), a log. */
export interface BenchContext {
  readonly outDir: string;
  readonly log: (line: string) => void;
}
