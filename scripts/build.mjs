// Build: esbuild bundles the CLI, the language server and the extension client into dist/, and the
// ISA table regenerates the TextMate grammar and the architecture schema the editor uses.
//
//   node scripts/build.mjs            one build
//   node scripts/build.mjs --watch    rebuild on change

import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  absWorkingDir: root,
};

const entries = [
  // ELK (3.4 MB) stays out of the CLI bundle: only `dnnvm xgraph` needs it, and it loads it from
  // node_modules when it draws; every other command starts without parsing it.
  { entryPoints: ['src-compiler/cli/main.ts'], outfile: 'dist/cli.js', external: ['elkjs/lib/elk.bundled.js'] },
  { entryPoints: ['server/src/server.ts'], outfile: 'dist/server.js' },
  // The extension host loads the client on activation: minified, it parses faster (its map stays in dist/).
  { entryPoints: ['client/src/extension.ts'], outfile: 'dist/client.js', external: ['vscode'], minify: true },
  { entryPoints: ['server/src/debug/main.ts'], outfile: 'dist/debug-adapter.js' },
  { entryPoints: ['client/webview/timeline.ts'], outfile: 'dist/timeline.js', platform: 'browser', format: 'iife', target: 'es2022' },
  { entryPoints: ['scripts/gen-assets.ts'], outfile: 'dist/gen-assets.js' },
  // The XGraph webview: one minified browser bundle (ELK included), no source map in the package.
  { entryPoints: ['client/webview/xgraph/main.ts'], outfile: 'dist/webview/xgraph.js', platform: 'browser', format: 'iife', target: 'chrome120', minify: true, sourcemap: false },
].filter((e) => fs.existsSync(path.join(root, e.entryPoints[0])));

/** Stylesheets of the webviews, copied as they are. */
function copyWebviewAssets() {
  fs.mkdirSync(path.join(root, 'dist', 'webview'), { recursive: true });
  for (const [from, to] of [['client/webview/xgraph/xgraph.css', 'dist/webview/xgraph.css'], ['client/webview/model.css', 'dist/webview/model.css']]) {
    if (fs.existsSync(path.join(root, from))) fs.copyFileSync(path.join(root, from), path.join(root, to));
  }
}

copyWebviewAssets();
if (watch) {
  for (const e of entries) await (await esbuild.context({ ...common, ...e })).watch();
  console.log('watching for changes');
} else {
  await Promise.all(entries.map((e) => esbuild.build({ ...common, ...e })));
  // Generated editor assets (grammar, schema) come from the ISA table and the architecture model.
  const gen = path.join(root, 'dist', 'gen-assets.js');
  if (fs.existsSync(gen)) (await import(gen)).default.writeAssets(root);
}
