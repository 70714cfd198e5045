// `npm run setup:e2e`: install code-server (a real VS Code workbench and extension host) into the
// machine's cache for the end-to-end tests. Idempotent: a finished install is reused.
//
//   tsx scripts/install-code-server.ts [--force]
//
// System packages come first (Debian, as root): apt-get install -y chromium libkrb5-dev ripgrep
// (.ci/run does that). This script checks them and says so when one is missing.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  CODE_SERVER_ALLOWED_SCRIPTS,
  CODE_SERVER_TOP_SCRIPTS,
  CODE_SERVER_VERSION,
  RIPGREP_CACHE,
  codeServerBin,
  codeServerDir,
  findCodeServer,
  markerFile,
  missingSystemTools,
  tryRun,
} from './code-server';

const APT = 'apt-get update && apt-get install -y chromium libkrb5-dev ripgrep';

function fail(message: string): never {
  console.error(`setup:e2e: ${message}`);
  process.exit(1);
}

function preflight(): void {
  const major = Number(process.versions.node.split('.')[0]);
  // code-server's postinstall refuses any other major version, after minutes of downloading.
  if (major !== 20) fail(`code-server ${CODE_SERVER_VERSION} needs Node 20; this is Node ${process.versions.node}`);
  const missing = missingSystemTools();
  if (!tryRun('rg', ['--version'])) missing.push('ripgrep (rg)');
  // kerberos builds from source against the MIT Kerberos headers (no prebuilt binary can be downloaded here).
  if (!fs.existsSync('/usr/include/gssapi/gssapi.h') && !tryRun('krb5-config', ['--version'])) missing.push('libkrb5-dev (gssapi headers)');
  if (missing.length) fail(`missing ${missing.join(', ')}. Install them (as root): ${APT}`);
  const tools = ['g++', 'make', 'python3'].filter((t) => !tryRun(t, ['--version']));
  // node-gyp compiles code-server's native modules (spdlog, node-pty, kerberos, ...).
  if (tools.length) fail(`missing ${tools.join(', ')} to build native modules. Install them (as root): apt-get install -y build-essential python3`);
}

/**
 * @vscode/ripgrep's postinstall downloads rg from GitHub, which these machines cannot reach. It looks in
 * its cache folder (under os.tmpdir() of the installing process) first, so put Debian's rg there.
 */
function seedRipgrepCache(): void {
  const rg = tryRun('sh', ['-c', 'command -v rg']);
  if (!rg) fail(`ripgrep (rg) not found. Install it (as root): ${APT}`);
  const dir = path.join(os.tmpdir(), RIPGREP_CACHE.dir);
  const file = path.join(dir, RIPGREP_CACHE.file);
  if (fs.existsSync(file)) return;
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-'));
  fs.copyFileSync(rg, path.join(stage, 'rg'));
  fs.chmodSync(path.join(stage, 'rg'), 0o755);
  fs.mkdirSync(dir, { recursive: true });
  const r = spawnSync('tar', ['czf', file, '-C', stage, 'rg'], { stdio: 'inherit' });
  fs.rmSync(stage, { recursive: true, force: true });
  if (r.status !== 0) fail(`could not write ${file}`);
}

/** Files that exist only if a native module's install script really ran (npm skips blocked ones silently). */
const NATIVE_OUTPUTS = [
  'lib/vscode/node_modules/@vscode/spdlog/build/Release/spdlog.node',
  'lib/vscode/node_modules/node-pty/build/Release/pty.node',
  'lib/vscode/node_modules/@vscode/ripgrep/bin/rg',
  'lib/vscode/node_modules/kerberos/build/Release/kerberos.node',
  'lib/vscode/node_modules/native-watchdog/build/Release/watchdog.node',
];

function install(): void {
  const dir = codeServerDir();
  const stage = `${dir}.partial-${process.pid}`;
  fs.rmSync(stage, { recursive: true, force: true });
  fs.mkdirSync(stage, { recursive: true });
  // Two steps, because npm 11 blocks dependency install scripts unless approved, and approvals do not
  // reach nested installs. code-server's postinstall runs `npm install` again inside lib/vscode (and
  // lib/vscode/extensions), projects of their own whose package.json has no allowScripts. npm refuses
  // --allow-scripts on the command line and in npm_config_* variables for project installs, and a
  // parent npm exports its allow-scripts setting to its lifecycle scripts as exactly such a variable.
  // So: (1) install code-server with its own postinstall not approved; (2) run that postinstall here,
  // with the approved list in a config file used only by this install (the user's ~/.npmrc, with its
  // registry and cafile, still applies).
  fs.writeFileSync(
    path.join(stage, 'package.json'),
    JSON.stringify(
      {
        private: true,
        description: 'code-server for the DNNVM Workbench end-to-end tests (scripts/install-code-server.ts)',
        dependencies: { 'code-server': CODE_SERVER_VERSION },
        allowScripts: { 'code-server': false, ...Object.fromEntries(CODE_SERVER_TOP_SCRIPTS.map((p) => [p, true])) },
      },
      null,
      2,
    ) + '\n',
  );
  const npmrc = path.join(stage, 'npmrc');
  fs.writeFileSync(npmrc, `allow-scripts=${CODE_SERVER_ALLOWED_SCRIPTS.join(',')}\n`);
  console.log(`setup:e2e: installing code-server ${CODE_SERVER_VERSION} into ${dir} (takes a few minutes)`);
  const started = Date.now();
  const env = { ...process.env, npm_config_yes: 'true' /* node-pty's postinstall calls npx, which would stop to ask */ };
  const npm = (args: string[], cwd: string, extra: NodeJS.ProcessEnv = {}) =>
    spawnSync(args[0]!, args.slice(1), { cwd, stdio: 'inherit', timeout: 20 * 60_000, env: { ...env, ...extra } });
  let r = npm(['npm', 'install', '--no-audit', '--no-fund', '--loglevel=error'], stage);
  if (r.error || r.status !== 0) fail(`npm install of code-server failed (${r.error?.message ?? `exit ${r.status}`}); the partial install is in ${stage}`);
  const npmVersion = tryRun('npm', ['--version']) ?? '0';
  r = npm(['sh', './postinstall.sh'], path.join(stage, 'node_modules', 'code-server'), {
    npm_config_globalconfig: npmrc,
    // postinstall.sh reads the package manager and Node version from the user agent npm would set, and
    // insists on unsafe-perm as root (npm 11 no longer has the option; the script only reads the variable).
    npm_config_user_agent: `npm/${npmVersion} node/${process.version} ${process.platform} ${process.arch} workspaces/false`,
    npm_config_unsafe_perm: 'true',
  });
  if (r.error || r.status !== 0) fail(`code-server's postinstall failed (${r.error?.message ?? `exit ${r.status}`}); the partial install is in ${stage}`);
  const absent = NATIVE_OUTPUTS.filter((f) => !fs.existsSync(path.join(stage, 'node_modules', 'code-server', f)));
  if (absent.length) fail(`code-server installed but its native modules were not built (install scripts skipped or failed): ${absent.join(', ')}; see ${stage}`);
  // --config: without it code-server writes a default config (with a password) into ~/.config.
  const out = tryRun(codeServerBin(stage), ['--config', path.join(stage, 'config.yaml'), '--version'], 60_000);
  const version = out?.split('\n').find((l) => l.startsWith(`${CODE_SERVER_VERSION} `));
  if (!version) fail(`${codeServerBin(stage)} --version printed ${JSON.stringify(out)}, expected ${CODE_SERVER_VERSION}`);
  fs.writeFileSync(markerFile(stage), `${version}\n`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(stage, dir);
  console.log(`setup:e2e: code-server (${version}) ready in ${((Date.now() - started) / 1000).toFixed(0)} s: ${codeServerBin(dir)}`);
}

const force = process.argv.includes('--force');
preflight();
const found = findCodeServer();
if (found && !force) {
  console.log(`setup:e2e: code-server ${CODE_SERVER_VERSION} already installed: ${found}`);
} else {
  seedRipgrepCache();
  install();
}
