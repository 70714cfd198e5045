import { describe, expect, it } from 'vitest';
import { markdownReport, type Machine } from './report';
import type { BenchRow } from './types';

const m: Machine = { cpu: 'cpu', cores: 2, memoryGiB: 24, node: 'v20', platform: 'linux', date: 'today', commit: 'abc', loadAverage: [1, 2, 3] };
const rows: BenchRow[] = [
  { group: 'A', name: 'a | b', value: 12, unit: 'ms', min: 10, max: 14, runs: 5, budget: '<= 10 ms', met: false },
  { group: 'Per model', name: 'x: import', value: 1, unit: 'ms', runs: 5 },
];

describe('markdownReport', () => {
  const md = markdownReport(m, rows, false, ['run note'], {
    tables: [{ group: 'Per model', replacesRows: true, columns: ['model', 'import'], align: ['l', 'r'], rows: [['x', '1 ms']] }],
    notes: [{ group: 'Paper', text: 'Their figures, quoted.' }],
    groupOrder: ['Paper', 'A'],
  });

  it('orders groups as asked, then as they appear', () => {
    const heads = [...md.matchAll(/^## (.+)$/gm)].map((x) => x[1]);
    expect(heads).toEqual(['Paper', 'A', 'Per model', 'Notes']);
  });

  it('escapes pipes in cells and marks a missed budget', () => {
    expect(md).toContain('| a \\| b | 12.0 ms | 10.0 ms | 14.0 ms | 5 | <= 10 ms | **no** |');
  });

  it('shows a replacing table instead of the rows, and free-text notes under their group', () => {
    expect(md).toContain('| model | import |\n| --- | ---: |\n| x | 1 ms |');
    expect(md).not.toContain('x: import');
    expect(md).toMatch(/## Paper\n\nTheir figures, quoted\./);
    expect(md).toContain('Load average when written (1, 5, 15 min): 1, 2, 3');
  });
});
