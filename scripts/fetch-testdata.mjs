#!/usr/bin/env node
// Fetch ONNX's own conformance tests (Debian's libonnx-testdata, ONNX 1.12: backend tests `node/` and
// `pytorch-converted/`) into .cache/onnx-testdata, once. Used by CI and by the conformance test suite.
//
//   node scripts/fetch-testdata.mjs          fetch if missing; print the data folder
//
// The package is downloaded with `apt-get download` and unpacked with `dpkg -x`, without installing it.
// If the package lists are missing, `apt-get update` runs first (this needs root, as in CI). If the data
// cannot be had, the script exits 1 with the reason, and the conformance tests fail with it.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const cache = path.join(root, '.cache', 'onnx-testdata');
const data = path.join(cache, 'usr', 'share', 'libonnx-testdata', 'data');

export function onnxTestdataDir() {
  return data;
}

function have() {
  return fs.existsSync(path.join(data, 'node')) && fs.existsSync(path.join(data, 'pytorch-converted'));
}

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

export function fetchOnnxTestdata() {
  if (have()) return data;
  const dl = path.join(cache, 'deb');
  fs.mkdirSync(dl, { recursive: true });
  let r = run('apt-get', ['download', 'libonnx-testdata'], dl);
  if (!r.ok && typeof process.getuid === 'function' && process.getuid() === 0) {
    // Fresh machines may have no package lists yet.
    const u = run('apt-get', ['update'], dl);
    if (u.ok) r = run('apt-get', ['download', 'libonnx-testdata'], dl);
  }
  const debs = fs.readdirSync(dl).filter((f) => /^libonnx-testdata_.*\.deb$/.test(f));
  if (!r.ok && debs.length === 0)
    throw new Error(`could not download Debian's libonnx-testdata with apt-get (run 'apt-get update' as root first?):\n${r.out.trim()}`);
  const x = run('dpkg', ['-x', path.join(dl, debs.sort().at(-1)), cache], dl);
  if (!x.ok) throw new Error(`could not unpack ${debs.at(-1)} with dpkg -x:\n${x.out.trim()}`);
  if (!have()) throw new Error(`${debs.at(-1)} does not contain ${path.relative(cache, data)}/node and pytorch-converted`);
  return data;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    console.log(fetchOnnxTestdata());
  } catch (e) {
    console.error(`fetch-testdata: ${e.message}`);
    process.exit(1);
  }
}
