// Packaging the extension the way users get it (`npm run package`, @vscode/vsce) and looking inside
// the result, so the end-to-end run tests the .vsix, not the working tree.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..', '..');

/** The .vsix budget (issue 7): at most 5 MB. */
export const VSIX_BUDGET_BYTES = 5 * 1024 * 1024;

export interface Vsix {
  file: string;
  bytes: number;
  entries: string[];
  packMs: number;
}

/** Run `npm run package` with the .vsix written to `outDir`; the script's own flags are the ones tested. */
export function packageVsix(outDir: string): Vsix {
  const { version, name } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; name: string };
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `${name}-${version}.vsix`);
  fs.rmSync(file, { force: true });
  const started = performance.now();
  const r = spawnSync('npm', ['run', '--silent', 'package', '--', '--out', file], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
  const packMs = performance.now() - started;
  if (r.error || r.status !== 0 || !fs.existsSync(file)) {
    throw new Error(`npm run package failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stdout}${r.stderr}`);
  }
  return { file, bytes: fs.statSync(file).size, entries: zipEntries(file), packMs };
}

/** Names in a zip's central directory (a .vsix is a zip); enough of the format for a listing. */
export function zipEntries(file: string): string[] {
  const buf = fs.readFileSync(file);
  // End of central directory: signature 0x06054b50, searched backwards past a comment of up to 64 KiB.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${file} is not a zip file (no end of central directory)`);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error(`${file}: bad central directory entry ${i}`);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    names.push(buf.toString('utf8', p + 46, p + 46 + nameLen));
    p += 46 + nameLen + extraLen + commentLen;
  }
  return names;
}
