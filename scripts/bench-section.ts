// Runs one benchmark section that lives with the tests (it drives the built language server, the
// debug engine with Chromium, or VS Code) and writes its rows as JSON, for `dnnvm bench`:
//
//   node --import tsx scripts/bench-section.ts MODULE EXPORT OUT.json [--quick]
//
// MODULE is a path from the repository root (test/lsp/bench.ts), EXPORT the function it exports
// ((quick: boolean) => Promise<BenchRow[]>). Those modules import the test harness and resolve files
// from their own folder, so they run from source under tsx in a process of their own rather than
// bundled into dist/cli.js; their progress goes to stderr, which the bench command passes through.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BenchRow } from '../src-compiler/bench/types';

async function main(argv: string[]): Promise<void> {
  const quick = argv.includes('--quick');
  const [mod, fn, out] = argv.filter((a) => a !== '--quick');
  if (!mod || !fn || !out) throw new Error('usage: bench-section.ts MODULE EXPORT OUT.json [--quick]');
  const root = path.resolve(__dirname, '..');
  const m = require(path.resolve(root, mod)) as Record<string, unknown>;
  const run = m[fn];
  if (typeof run !== 'function') throw new Error(`${mod} does not export a function ${fn}`);
  const rows = (await run(quick)) as BenchRow[];
  if (!Array.isArray(rows)) throw new Error(`${mod} ${fn} did not return an array of rows`);
  fs.writeFileSync(out, JSON.stringify(rows));
}

main(process.argv.slice(2)).then(
  // The sections close what they start; exit anyway, so that a stray handle cannot hold the bench up.
  () => process.exit(0),
  (e) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
