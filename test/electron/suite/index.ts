// Entry point that VS Code's extension host loads with --extensionTestsPath (@vscode/test-electron, or
// code-server in the end-to-end tests): runs the mocha suite and rejects when a test fails, so VS Code
// exits non-zero.

import Mocha from 'mocha';
import { RESULT_MARKER, type SuiteResult } from './result';
import { registerExtensionTests } from './workbench.suite';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: true, timeout: 60_000 });
  // The suite is bundled into this file: it adds its tests to the root suite through mocha's API
  // (no globals, no mocha.addFile()).
  registerExtensionTests(mocha.suite);
  return new Promise((resolve, reject) => {
    const result: SuiteResult = { passed: [], failed: [] };
    const runner = mocha.run((failures) => {
      console.log(`${RESULT_MARKER} ${JSON.stringify(result)}`);
      if (failures) reject(new Error(`${failures} extension-host test(s) failed`));
      else resolve();
    });
    runner.on('pass', (t) => result.passed.push(t.title));
    runner.on('fail', (t, err: Error) => result.failed.push({ title: t.title, error: String(err?.message ?? err) }));
  });
}
