// Copy the README's screenshots from the last end-to-end run (test-results/e2e/, written by
// `npm run test:e2e`) into docs/images/, where the README (the extension's marketplace page) shows them.
//
//   npm run test:e2e && node scripts/update-screenshots.mjs

import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const from = path.join(root, 'test-results', 'e2e');
const to = path.join(root, 'docs', 'images');

/** e2e screenshot -> README image. */
export const SCREENSHOTS = {
  '05-model-compiled.png': 'vscode-compiled.png',
  '07-compare-hand-edits.png': 'vscode-hand-edits.png',
  '10-hover-timing.png': 'vscode-hover-timing.png',
  '08-xgraph.png': 'vscode-xgraph.png',
};

const missing = Object.keys(SCREENSHOTS).filter((f) => !fs.existsSync(path.join(from, f)));
if (missing.length) {
  console.error(`update-screenshots: ${missing.join(', ')} not in ${from}: run npm run test:e2e first`);
  process.exit(1);
}
fs.mkdirSync(to, { recursive: true });
for (const [src, dst] of Object.entries(SCREENSHOTS)) {
  fs.copyFileSync(path.join(from, src), path.join(to, dst));
  console.log(`${dst} <- test-results/e2e/${src}`);
}
