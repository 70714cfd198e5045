#!/usr/bin/env node
'use strict';
// The `dnnvm` command: runs the bundled CLI (dist/cli.js, built by `npm run build`, which `npm ci` runs).
const path = require('node:path');
const fs = require('node:fs');
const bundle = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(bundle)) {
  process.stderr.write(`dnnvm: ${bundle} is missing; run \`npm run build\` in ${path.dirname(__dirname)}\n`);
  process.exit(2);
}
// A reader that goes away (`dnnvm arch | head`) is not an error.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (e) => {
    if (e && e.code === 'EPIPE') process.exit(0);
    throw e;
  });
require(bundle)
  .main(process.argv.slice(2))
  .then((code) => process.exit(code), (e) => {
    process.stderr.write(`dnnvm: internal error: ${e && e.message}\n`);
    process.exit(2);
  });
