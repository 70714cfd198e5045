import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BenchContext } from '../bench/types';
import { runBench, testSection, type BenchSection } from './bench-cmd';
import type { CliIO } from './io';

const repo = path.resolve(__dirname, '..', '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dnnvm-bench-cmd-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function io(): CliIO & { text: () => string } {
  let all = '';
  return { out: (t) => (all += t), err: (t) => (all += t), cwd: tmp, interactive: false, text: () => all };
}

describe('dnnvm bench', () => {
  it('reports a section that fails as not measured, runs the rest, and exits 1', async () => {
    const sections: BenchSection[] = [
      { name: 'broken', group: 'Broken group', run: async () => Promise.reject(new Error('no Chromium here')) },
      { name: 'fine', group: 'Fine', run: async (quick) => [{ group: 'Fine', name: 'a thing', value: 5, unit: 'ms', min: 4, max: 6, runs: quick ? 2 : 5, budget: '<= 1 ms', met: false }] },
    ];
    const out = path.join(tmp, 'fail');
    const o = io();
    const code = await runBench({ positional: [], options: new Map<string, string | true>([['quick', true], ['out', out]]) }, o, sections);
    expect(code).toBe(1);
    const md = fs.readFileSync(path.join(out, 'BENCHMARKS.md'), 'utf8');
    expect(md).toMatch(/## Broken group\n\n\*\*Not measured\*\*: the broken section failed in this run: no Chromium here/);
    expect(md).toContain('| a thing | 5.00 ms | 4.00 ms | 6.00 ms | 2 | <= 1 ms | **NOT met** |');
    expect(md).toContain('Sections that failed and are not measured: broken.');
    const json = JSON.parse(fs.readFileSync(path.join(out, 'bench', 'results.json'), 'utf8'));
    expect(json.failed).toEqual(['broken']);
    expect(json.rows).toHaveLength(1);
    expect(o.text()).toContain('bench: not measured (failed): broken');
  });

  it('runs a section exported by a TypeScript module in a process of its own (tsx) and takes its rows', async () => {
    const mod = path.join(tmp, 'section.ts');
    fs.writeFileSync(
      mod,
      [
        "import type { BenchRow } from '" + path.join(repo, 'src-compiler', 'bench', 'types') + "';",
        'export async function benchThing(quick: boolean): Promise<BenchRow[]> {',
        "  console.error('progress line');",
        "  return [{ group: 'T', name: `quick=${quick}`, value: 1, unit: 'ms', runs: 5 }];",
        '}',
      ].join('\n'),
    );
    const lines: string[] = [];
    const ctx: BenchContext = { outDir: tmp, log: (l) => lines.push(l) };
    const rows = await testSection(mod, 'benchThing', repo)(true, ctx);
    expect(rows).toEqual([{ group: 'T', name: 'quick=true', value: 1, unit: 'ms', runs: 5 }]);
    expect(lines.join('\n')).toContain('progress line');
    await expect(testSection(mod, 'benchMissing', repo)(false, ctx)).rejects.toThrow(/exited with 1/);
    expect(lines.join('\n')).toContain('does not export a function benchMissing');
  });
});
