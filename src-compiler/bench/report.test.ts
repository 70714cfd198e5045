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

  it('escapes pipes in cells and marks a missed budget as NOT met', () => {
    expect(md).toContain('| a \\| b | 12.0 ms | 10.0 ms | 14.0 ms | 5 | <= 10 ms | **NOT met** |');
  });

  it('marks a met budget as met, and a row without a budget with neither', () => {
    const r = markdownReport(m, [
      { group: 'B', name: 'fast', value: 3, unit: 'ms', min: 2, max: 4, runs: 5, budget: '<= 10 ms', met: true },
      { group: 'B', name: 'free', value: 3, unit: 'ms', min: 2, max: 4, runs: 5 },
    ], true);
    expect(r).toContain('| fast | 3.00 ms | 2.00 ms | 4.00 ms | 5 | <= 10 ms | met |');
    expect(r).toContain('| free | 3.00 ms | 2.00 ms | 4.00 ms | 5 |  |  |');
    expect(r).not.toContain('NOT met');
  });

  it('starts with the machine, the Node version, the date, the commit and the mode', () => {
    const head = md.slice(0, md.indexOf('\n## '));
    expect(head).toContain('- Date: today');
    expect(head).toContain('- Commit: abc');
    expect(head).toContain('- Machine: cpu, 2 cores, 24 GiB, linux');
    expect(head).toContain('- Node: v20');
    expect(head).toContain('- Mode: full');
    expect(markdownReport(m, rows, true)).toContain('- Mode: quick');
  });

  it('shows a replacing table instead of the rows, and free-text notes under their group', () => {
    expect(md).toContain('| model | import |\n| --- | ---: |\n| x | 1 ms |');
    expect(md).not.toContain('x: import');
    expect(md).toMatch(/## Paper\n\nTheir figures, quoted\./);
    expect(md).toContain('Load average when written (1, 5, 15 min): 1, 2, 3');
  });
});
