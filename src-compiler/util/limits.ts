// Resource limits: how big an input the tool accepts before it refuses with a clear error, so that a
// file from anywhere cannot make it allocate without bound or run forever. Each limit has a default
// that the shared models and real programs stay far below, and can be raised:
//   CLI:      DNNVM_LIMITS="modelFileMB=4096,instructions=50000000" dnnvm ...
//   VS Code:  the dnnvm.limits.* settings (the language server passes them to setLimits)
// Every message that hits a limit names it and says how to raise it (limitHint).

export interface Limits {
  /** Megabytes of a model file (.onnx, .prototxt, .caffemodel) read. */
  readonly modelFileMB: number;
  /** Elements of one tensor (a typed array holds at most 2^31 - 1). */
  readonly tensorElements: number;
  /** Instructions of one program, assembled or decoded. */
  readonly instructions: number;
  /** Cycles the timing simulator runs before it stops with a partial result. */
  readonly simulatedCycles: number;
}

export const DEFAULT_LIMITS: Limits = Object.freeze({
  modelFileMB: 2048,
  tensorElements: 2 ** 28,
  instructions: 20_000_000,
  simulatedCycles: 1e12,
});

/** The hard ceilings no setting can pass (what the data structures can hold). */
export const LIMIT_CEILINGS: Limits = Object.freeze({ modelFileMB: 16384, tensorElements: 2 ** 31 - 1, instructions: 2 ** 28, simulatedCycles: 1e15 });

let current: Limits = DEFAULT_LIMITS;

export function limits(): Limits {
  return current;
}

/** Set some limits (the rest keep their values); values are clamped to the hard ceilings. Returns the
 * problems with what was given (unknown names, non-positive numbers), which are ignored. */
export function setLimits(given: Partial<Record<string, unknown>>): string[] {
  const problems: string[] = [];
  const next: Record<string, number> = { ...current };
  for (const [k, v] of Object.entries(given)) {
    if (!Object.hasOwn(DEFAULT_LIMITS, k)) {
      problems.push(`unknown limit '${k}' (limits: ${Object.keys(DEFAULT_LIMITS).join(', ')})`);
      continue;
    }
    const n = typeof v === 'string' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) {
      problems.push(`limit ${k} must be a positive number, got '${String(v)}'`);
      continue;
    }
    next[k] = Math.min(n, LIMIT_CEILINGS[k as keyof Limits]);
  }
  current = Object.freeze(next as unknown as Limits);
  return problems;
}

export function resetLimits(): void {
  current = DEFAULT_LIMITS;
}

/** Reads DNNVM_LIMITS ("name=value,name=value"). */
export function limitsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  const text = env['DNNVM_LIMITS'];
  if (!text) return [];
  const given: Record<string, string> = {};
  const problems: string[] = [];
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([A-Za-z]+)=(.+)$/.exec(part);
    if (!m) problems.push(`DNNVM_LIMITS: '${part}' is not name=value`);
    else given[m[1]!] = m[2]!;
  }
  return [...problems, ...setLimits(given).map((p) => `DNNVM_LIMITS: ${p}`)];
}

/** How to raise a limit, for messages. */
export function limitHint(name: keyof Limits): string {
  return `raise it with DNNVM_LIMITS="${name}=..." (CLI) or the dnnvm.limits.${name} setting (VS Code)`;
}
