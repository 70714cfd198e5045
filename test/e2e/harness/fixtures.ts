// The workspace both end-to-end runners open (code-server here, test-electron where VS Code can be
// downloaded): the fixture program unchanged, and a copy with one planted error.

import * as fs from 'node:fs';
import * as path from 'node:path';

// The extension-host suite is bundled elsewhere (out/), so its bundle gets the folder at build time
// (test/electron/bundle.ts defines DNNVM_FIXTURES_DIR); everywhere else it is found from this file.
const FIXTURES = process.env.DNNVM_FIXTURES_DIR || path.resolve(__dirname, '..', '..', '..', 'test-fixtures', 'programs');

/** The fixture program, copied unchanged: it assembles without a diagnostic. */
export const GOOD_FILE = 'conv3x3.dnnasm';
/** The same program with one planted error: bank VB0[9] does not exist on ZU9 (VB0 has banks 0..7). */
export const BAD_FILE = 'bad.dnnasm';
export const PLANTED = { from: 'bank_id=VB0[0]', to: 'bank_id=VB0[9]' };

export function goodProgram(): string {
  return fs.readFileSync(path.join(FIXTURES, GOOD_FILE), 'utf8');
}

export function badProgram(): string {
  const good = goodProgram();
  if (good.split(PLANTED.from).length !== 2) throw new Error(`${GOOD_FILE} must contain "${PLANTED.from}" exactly once to plant the error`);
  return good.replace(PLANTED.from, PLANTED.to);
}

/** The data files the program's `.ddr` regions name (file="..."): without them its functional check cannot run. */
export const DATA_FILES = ['conv3x3.input.bin', 'conv3x3.weights.bin', 'conv3x3.bias.bin'];

/** Create `dir` holding both programs and their data. */
export function writeWorkspace(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, GOOD_FILE), goodProgram());
  fs.writeFileSync(path.join(dir, BAD_FILE), badProgram());
  for (const f of DATA_FILES) fs.copyFileSync(path.join(FIXTURES, f), path.join(dir, f));
}
