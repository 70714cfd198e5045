// `npm run fuzz [-- CASES]`: a million cases per fuzz target (test/fuzz/targets.ts), bundled with
// esbuild and run in this process; prints cases, failures and the slowest case per target.
import * as esbuild from 'esbuild';
import * as path from 'node:path';
import * as os from 'node:os';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const cases = Number(process.argv[2] ?? 1_000_000);
const out = path.join(os.tmpdir(), `dnnvm-fuzz-${process.pid}.cjs`);
await esbuild.build({ entryPoints: [path.join(root, 'test/fuzz/targets.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: out, logLevel: 'warning', define: { __dirname: JSON.stringify(path.join(root, 'test/fuzz')) } });
const require = createRequire(import.meta.url);
const { FUZZ_TARGETS } = require(out);
const fc = require('fast-check');
let failed = false;
for (const t of FUZZ_TARGETS) {
  let slowest = 0;
  const t0 = Date.now();
  const r = fc.check(fc.property(t.arbitrary, (x) => {
    const s = performance.now();
    t.run(x);
    slowest = Math.max(slowest, performance.now() - s);
  }), { numRuns: cases });
  const status = r.failed ? `FAILED: ${fc.defaultReportMessage(r)}` : 'ok';
  if (r.failed || slowest >= 1000) failed = true;
  console.log(`${t.name}: ${r.numRuns} cases in ${((Date.now() - t0) / 1000).toFixed(1)} s, slowest ${slowest.toFixed(1)} ms: ${status}`);
}
process.exit(failed ? 1 : 0);
