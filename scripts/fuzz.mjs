// `npm run fuzz [-- CASES]`: a million cases per fuzz target (test/fuzz/targets.ts), bundled with
// esbuild and run in this process; prints cases, failures and the slowest case per target, and writes
// the run's figures into SECURITY.md (between its fuzz-results markers), so that the numbers there are
// always those of the last run, never typed in.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const cases = Number(process.argv[2] ?? 1_000_000);
if (!Number.isInteger(cases) || cases <= 0) {
  console.error(`npm run fuzz: the number of cases per target must be a positive integer, not ${JSON.stringify(process.argv[2])} (e.g. npm run fuzz -- 100000)`);
  process.exit(2);
}
const out = path.join(os.tmpdir(), `dnnvm-fuzz-${process.pid}.cjs`);
await esbuild.build({ entryPoints: [path.join(root, 'test/fuzz/targets.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: out, logLevel: 'warning', define: { __dirname: JSON.stringify(path.join(root, 'test/fuzz')) } });
const require = createRequire(import.meta.url);
const { FUZZ_TARGETS } = require(out);
const fc = require('fast-check');
let failed = false;
const results = [];
const started = new Date();
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
  const seconds = (Date.now() - t0) / 1000;
  console.log(`${t.name}: ${r.numRuns} cases in ${seconds.toFixed(1)} s, slowest ${slowest.toFixed(1)} ms: ${status}`);
  results.push({ name: t.name, cases: r.numRuns, seconds, slowest, ok: !r.failed && slowest < 1000 });
}

// The report block of SECURITY.md.
const security = path.join(root, 'SECURITY.md');
if (fs.existsSync(security)) {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  } catch {}
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const lines = [
    '<!-- fuzz-results: written by `npm run fuzz`; do not edit by hand -->',
    `Last run: ${started.toISOString().slice(0, 10)}, commit ${commit}, ${cpu} (${os.cpus().length} cores), Node ${process.version}.`,
    '',
    '| target | cases | time | slowest case | result |',
    '| --- | ---: | ---: | ---: | --- |',
    ...results.map((x) => `| ${x.name} | ${x.cases.toLocaleString('en')} | ${x.seconds.toFixed(0)} s | ${x.slowest.toFixed(1)} ms | ${x.ok ? 'no exception, none over 1 s' : 'FAILED'} |`),
    '<!-- /fuzz-results -->',
  ];
  const text = fs.readFileSync(security, 'utf8');
  const re = /<!-- fuzz-results[\s\S]*?<!-- \/fuzz-results -->/;
  if (re.test(text)) {
    const tmp = `${security}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, text.replace(re, lines.join('\n')));
    fs.renameSync(tmp, security);
    console.log(`wrote the results into ${security}`);
  }
}
process.exit(failed ? 1 : 0);
