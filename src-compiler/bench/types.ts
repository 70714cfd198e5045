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
