// How the extension-host suite reports its outcome in one console line. code-server forwards the
// extension host's console to the browser, where the end-to-end test reads it (test/e2e/harness/).

export const RESULT_MARKER = 'DNNVM-SUITE-RESULT';

export interface SuiteResult {
  passed: string[];
  failed: { title: string; error: string }[];
}
