// Where the end-to-end tests find code-server (VS Code's own server and workbench, from npm), and how
// `npm run setup:e2e` installs it. Shared by scripts/install-code-server.ts and test/e2e/.
//
// code-server lives in a cache outside the project's node_modules: it is ~500 MB with native modules,
// takes minutes to install, and is a test tool, not a dependency of the extension. The cache is shared
// by every clone and worktree on the machine (and by consecutive CI runs on the same machine).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';

/** 4.100.x is the newest code-server that runs on Node 20 (it bundles VS Code 1.100). */
export const CODE_SERVER_VERSION = '4.100.3';

/**
 * The packages of VS Code inside code-server 4.100.3 (lib/vscode, pinned by its npm-shrinkwrap.json)
 * whose install scripts must run: code-server's postinstall installs them, and they build or fetch
 * native parts. npm 11 blocks dependency install scripts unless approved; approving
 * exactly these versions keeps the approval narrow. The win32-only modules (@vscode/windows-*) are not
 * approved and not needed on Linux; npm lists them as unreviewed.
 */
export const CODE_SERVER_ALLOWED_SCRIPTS = [
  '@parcel/watcher@2.5.1', // file watching
  '@vscode/deviceid@0.1.1',
  '@vscode/ripgrep@1.15.11', // search; its download is served from a cache seeded with Debian's rg
  '@vscode/spdlog@0.15.1', // logging, loaded by the server at startup
  'kerberos@2.1.1', // proxy authentication; builds against libkrb5-dev
  'native-watchdog@1.4.2',
  'node-pty@1.1.0-beta33', // terminals; its postinstall calls npx (needs npm_config_yes)
];

/** Install scripts in code-server's own dependency tree (its npm-shrinkwrap.json). */
export const CODE_SERVER_TOP_SCRIPTS = [
  'argon2@0.31.2', // password hashing in code-server (loaded at startup even with --auth none)
];

/** The ripgrep release @vscode/ripgrep 1.15.11 downloads from GitHub in its postinstall. */
export const RIPGREP_CACHE = {
  dir: `vscode-ripgrep-cache-1.15.11`,
  file: `ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz`,
};

/** The cache folder for this code-server version; DNNVM_CODE_SERVER_DIR overrides it. */
export function codeServerDir(): string {
  if (process.env.DNNVM_CODE_SERVER_DIR) return path.resolve(process.env.DNNVM_CODE_SERVER_DIR);
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cache, 'dnnvm-workbench', `code-server-${CODE_SERVER_VERSION}`);
}

/** Written last by the installer, after code-server answered --version: a half-done install has none. */
export function markerFile(dir = codeServerDir()): string {
  return path.join(dir, '.dnnvm-installed');
}

export function codeServerBin(dir = codeServerDir()): string {
  return path.join(dir, 'node_modules', '.bin', 'code-server');
}

/** The installed code-server, or undefined when `npm run setup:e2e` has not run (or did not finish). */
export function findCodeServer(): string | undefined {
  const bin = codeServerBin();
  return fs.existsSync(markerFile()) && fs.existsSync(bin) ? bin : undefined;
}

/** Debian's Chromium; CHROMIUM_PATH overrides it. Playwright's own browser download cannot work here. */
export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH || '/usr/bin/chromium';
}

/** The system commands the end-to-end run needs, each with the Debian package that provides it. */
export function missingSystemTools(): string[] {
  const missing: string[] = [];
  if (!fs.existsSync(chromiumPath())) missing.push(`chromium (${chromiumPath()})`);
  return missing;
}

/** Run a command and return its trimmed stdout, or undefined when it fails. */
export function tryRun(cmd: string, args: string[], timeoutMs = 30_000): string | undefined {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch {
    return undefined;
  }
}
