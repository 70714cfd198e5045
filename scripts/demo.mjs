// `npm start`: the most complete real demo there is so far: print the target, assemble the bundled
// hand-written conv3x3 program, disassemble it back, simulate its timing and run it bit-exactly.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as os from 'node:os';
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'dnnvm-demo-'));
const run = (...args) => {
  console.log(`\n$ dnnvm ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'dnnvm.js'), ...args], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) process.exit(r.status ?? 2);
};
run('arch', 'ZU9');
run('asm', 'test-fixtures/programs/conv3x3.dnnasm', '-o', path.join(out, 'conv3x3.dnnbin'));
run('disasm', path.join(out, 'conv3x3.dnnbin'), '-o', path.join(out, 'conv3x3.canonical.dnnasm'));
run('sim', 'test-fixtures/programs/conv3x3.dnnasm', '--trace', path.join(out, 'conv3x3.trace.json'));
run('run', 'test-fixtures/programs/conv3x3.dnnasm', '--output', path.join(out, 'conv3x3.output.bin'));
console.log(`\nwritten: ${out}`);
