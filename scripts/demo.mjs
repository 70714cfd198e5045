// `npm start`: the main job on the built-in model. Writes the project's GoogLeNet (weights from a
// fixed seed), compiles it for ZU9 (fusion, strategy search, code generation), simulates it in the
// steady state and prints the per-layer table and the totals, and leaves the package (assembly,
// binary, weights, input, manifest with the XGraph and its fusion groups) in demo-output/, with the
// XGraph drawn as an SVG (fusion groups as boxes, nodes coloured by their steady-state latency).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const out = path.join(root, 'demo-output');
fs.mkdirSync(out, { recursive: true });
const run = (...args) => {
  console.log(`\n$ dnnvm ${args.map((a) => (path.isAbsolute(a) ? path.relative(root, a) : a)).join(' ')}`);
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'dnnvm.js'), ...args], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) process.exit(r.status ?? 2);
};
const model = path.join(out, 'googlenet.prototxt');
const pkg = path.join(out, 'googlenet.ZU9');
run('model', 'googlenet', '-o', model);
run('compile', model, '--arch', 'ZU9', '-o', pkg);
// --steady: the latencies of the steady state the compile just reported, so that the picture and the table agree.
const svg = path.join(pkg, 'googlenet.xgraph.svg');
run('xgraph', pkg, '-o', svg, '--steady');
console.log(`\nXGraph view: ${path.relative(root, svg)} (open it in a browser)`);
console.log(`\nopen ${path.relative(root, path.join(pkg, 'googlenet.dnnasm'))} in VS Code (with this extension) to edit and step through it`);
