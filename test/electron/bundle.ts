// Bundle the extension-host suite (test/electron/suite/) into out/electron-suite/index.js: VS Code's
// extension host loads plain CommonJS. Used by `npm run test:electron` and by the end-to-end tests,
// which run the same suite in code-server's extension host.

import * as esbuild from 'esbuild';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');

export async function bundleSuite(): Promise<string> {
  const outfile = path.join(ROOT, 'out', 'electron-suite', 'index.js');
  await esbuild.build({
    entryPoints: [path.join(ROOT, 'test', 'electron', 'suite', 'index.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true,
    // vscode is provided by the extension host; mocha loads its own files at run time, so it is
    // required from node_modules rather than bundled.
    external: ['vscode', 'mocha'],
    define: {
      'process.env.DNNVM_FIXTURES_DIR': JSON.stringify(path.join(ROOT, 'test-fixtures', 'programs')),
      'process.env.DNNVM_SHARED_MODELS': JSON.stringify(path.resolve(ROOT, '..', 'shared', 'models')),
    },
    logLevel: 'warning',
  });
  return outfile;
}
