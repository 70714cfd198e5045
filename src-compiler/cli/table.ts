// Plain-text tables and SI-prefixed numbers for CLI output.

/** Left-aligned text columns, right-aligned numbers; `wrap[i]` > 0 wraps column i at that width. */
export function table(header: string[], rows: string[][], wrap: number[] = []): string {
  const cols = header.length;
  const wrapped: string[][][] = rows.map((r) => r.map((cell, i) => (wrap[i] ? wrapText(cell, wrap[i]!) : [cell])));
  const width = header.map((h, i) => Math.max(h.length, ...wrapped.map((r) => Math.max(...r[i]!.map((l) => l.length)))));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => /^[-+]?[\d.,]+(\s?[a-zA-Z/%]*)?$/.test(r[i] ?? '') || r[i] === ''));
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(width[i]!) : i === cols - 1 ? c : c.padEnd(width[i]!)))
      .join('  ')
      .trimEnd();
  const out = [fmt(header), width.map((w) => '-'.repeat(w)).join('  ')];
  for (const r of wrapped) {
    const h = Math.max(...r.map((c) => c.length));
    for (let k = 0; k < h; k++) out.push(fmt(r.map((c) => c[k] ?? '')));
  }
  return out.join('\n') + '\n';
}

function wrapText(s: string, w: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of s.split(' ')) {
    if (line && line.length + 1 + word.length > w) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  out.push(line);
  return out;
}

/** 1.23 G, 456 M, ... with a unit. */
export function si(v: number, unit: string, digits = 3): string {
  const prefixes: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [f, p] of prefixes) if (Math.abs(v) >= f) return `${(v / f).toPrecision(digits)} ${p}${unit}`;
  return `${Number(v.toPrecision(digits))} ${unit}`;
}
