// Run the extension-host suite of `npm run test:electron` (mocha, through the VS Code API) inside
// code-server's extension host: VS Code's web workbench accepts extensionDevelopmentPath and
// extensionTestsPath in its `payload` URL parameter, as remote paths. So the suite that needs a
// downloaded VS Code elsewhere is exercised here too, on every `npm test`.

import * as fs from 'node:fs';
import { bundleSuite, ROOT } from '../../electron/bundle';
import { RESULT_MARKER, type SuiteResult } from '../../electron/suite/result';
import type { Session } from './session';

export async function runExtensionHostSuite(s: Session, timeoutMs = 120_000): Promise<SuiteResult & { console: string[] }> {
  const suite = await bundleSuite();
  // A folder of its own: a window on the first folder would find the extension already active.
  const folder = `${s.workspace}-suite`;
  fs.cpSync(s.workspace, folder, { recursive: true });
  const authority = new URL(s.server.url).host;
  const payload = [
    ['extensionDevelopmentPath', `vscode-remote://${authority}${ROOT}`],
    ['extensionTestsPath', `vscode-remote://${authority}${suite}`],
  ];
  const page = await s.browser.newPage({ viewport: { width: 1280, height: 800 } });
  const lines: string[] = [];
  try {
    const result = await new Promise<SuiteResult>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the extension-host suite did not report within ${timeoutMs} ms; console:\n${lines.slice(-40).join('\n')}`)), timeoutMs);
      page.on('console', (m) => {
        const text = m.text();
        lines.push(text);
        const at = text.indexOf(RESULT_MARKER);
        if (at < 0) return;
        clearTimeout(timer);
        try {
          resolve(JSON.parse(text.slice(at + RESULT_MARKER.length)) as SuiteResult);
        } catch (e) {
          reject(new Error(`unreadable suite result ${JSON.stringify(text)}: ${(e as Error).message}`));
        }
      });
      page.on('close', () => {
        clearTimeout(timer);
        reject(new Error(`the workbench closed before the suite reported; console:\n${lines.slice(-40).join('\n')}`));
      });
      page.goto(`${s.server.url}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`).catch(reject);
    });
    return { ...result, console: lines };
  } finally {
    // The workbench closes its window itself when the tests end; close it in every other case.
    if (!page.isClosed()) await page.close().catch(() => undefined);
  }
}
