// `npm run test:electron`: the extension-host test suite (mocha) in a real VS Code desktop, through
// @vscode/test-electron, the way extension authors usually test. It downloads VS Code (into
// .vscode-test/), so it runs only where update.code.visualstudio.com is reachable; on the project's
// build machines it is not (ENVIRONMENT.md), which is why `npm test` runs the same kind of checks in
// code-server + Chromium instead (test/e2e/). It is not part of `npm test` or CI.
//
//   VSCODE_VERSION=1.100.3 npm run test:electron     (default: stable)
//   VSCODE_EXECUTABLE=/path/to/code npm run test:electron   (use an installed VS Code, no download)

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { writeWorkspace } from '../e2e/harness/fixtures';
import { ROOT, bundleSuite } from './bundle';

async function main(): Promise<number> {
  // The extension under test is the built working tree (dist/), as VS Code loads it in development.
  await import(path.join(ROOT, 'scripts', 'build.mjs'));
  const suite = await bundleSuite();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dnnvm-electron-'));
  const workspace = path.join(tmp, 'dnnvm-demo');
  writeWorkspace(workspace);
  try {
    return await runTests({
      extensionDevelopmentPath: ROOT,
      extensionTestsPath: suite,
      ...(process.env.VSCODE_EXECUTABLE ? { vscodeExecutablePath: process.env.VSCODE_EXECUTABLE } : { version: process.env.VSCODE_VERSION ?? 'stable' }),
      // An idle timeout for the download, so an unreachable server fails instead of hanging.
      timeout: 30_000,
      launchArgs: [
        workspace,
        '--disable-extensions', // only the extension under development
        '--disable-workspace-trust',
        '--skip-welcome',
        '--skip-release-notes',
        `--user-data-dir=${path.join(tmp, 'user-data')}`,
      ],
    });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`test:electron failed: ${e instanceof Error ? e.message : String(e)}`);
    console.error('(it needs to download VS Code; where that is impossible, `npm test` runs the end-to-end checks in code-server)');
    process.exit(1);
  },
);
