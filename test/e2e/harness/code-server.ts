// A code-server (VS Code's server, workbench and extension host) of our own for one test run: a fresh
// user-data-dir and extensions-dir under a temp folder, the packaged extension installed into it, bound
// to a free port on 127.0.0.1, stopped by its process group whatever happens to the test.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CODE_SERVER_VERSION, chromiumPath, codeServerDir, findCodeServer } from '../../../scripts/code-server';

/** Why the end-to-end run cannot start on this machine, or undefined when it can. Never a silent skip. */
export function e2eUnavailable(): string | undefined {
  const missing: string[] = [];
  if (!findCodeServer()) missing.push(`code-server ${CODE_SERVER_VERSION} (not installed in ${codeServerDir()})`);
  if (!fs.existsSync(chromiumPath())) missing.push(`Chromium (${chromiumPath()})`);
  if (!missing.length) return undefined;
  return (
    `the end-to-end tests need ${missing.join(' and ')}. ` +
    `Install them: as root, apt-get update && apt-get install -y chromium libkrb5-dev ripgrep; then npm run setup:e2e ` +
    `(code-server into ${path.dirname(codeServerDir())}, a few minutes once). .ci/run does both.`
  );
}

/** User settings of the test profile: no trust dialog, no welcome page, nothing that reaches the network. */
const SETTINGS = {
  // Otherwise the workbench opens in Restricted Mode behind a trust dialog.
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'telemetry.telemetryLevel': 'off',
  'git.enabled': false,
  // Screenshots should show the file, not a minimap.
  'editor.minimap.enabled': false,
};

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export interface CodeServer {
  readonly url: string;
  readonly root: string;
  readonly logFile: string;
  /** The installed extensions (`publisher.name@version`), from --list-extensions. */
  readonly extensions: string[];
  /** The extension host's log so far (which extensions it activated, when and why). */
  extensionHostLog(): string;
  /** What an extension wrote to its output channel `channel` so far, in every extension host. */
  outputChannelLog(channel: string): string;
  /**
   * Wait until an extension host has started and activated its eager extensions; `hosts` counts the
   * extension hosts started so far (each window load starts one).
   */
  waitForExtensionHost(hosts?: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** The folders of the remote extension hosts under a user-data-dir: logs/<session>/exthost<n>, in order. */
function extensionHostDirs(userData: string): string[] {
  const logs = path.join(userData, 'logs');
  if (!fs.existsSync(logs)) return [];
  const dirs: string[] = [];
  for (const session of fs.readdirSync(logs).sort()) {
    const dir = path.join(logs, session);
    if (!fs.statSync(dir).isDirectory()) continue;
    for (const host of fs.readdirSync(dir).filter((d) => d.startsWith('exthost')).sort()) dirs.push(path.join(dir, host));
  }
  return dirs;
}

/** The remote extension host logs under a user-data-dir (one folder per session and host). */
function readExtensionHostLogs(userData: string): string {
  let text = '';
  for (const host of extensionHostDirs(userData)) {
    const file = path.join(host, 'remoteexthost.log');
    if (fs.existsSync(file)) text += fs.readFileSync(file, 'utf8');
  }
  return text;
}

/** An extension's output channel as the remote extension hosts logged it (output_logging_<time>/<n>-<name>.log). */
function readOutputChannelLogs(userData: string, channel: string): string {
  let text = '';
  for (const host of extensionHostDirs(userData))
    for (const out of fs.readdirSync(host).filter((d) => d.startsWith('output_logging_')).sort())
      for (const f of fs.readdirSync(path.join(host, out))) if (f.replace(/^\d+-/, '') === `${channel}.log`) text += fs.readFileSync(path.join(host, out, f), 'utf8');
  return text;
}

export interface StartOptions {
  vsix: string;
  workspace: string;
  /** code-server's output goes here (kept after the run to diagnose failures). */
  logFile: string;
  startTimeoutMs?: number;
}

function run(bin: string, args: string[], timeoutMs: number): string {
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: timeoutMs });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.error || r.status !== 0) throw new Error(`${path.basename(bin)} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}):\n${out}`);
  return out;
}

export async function startCodeServer(opts: StartOptions): Promise<CodeServer> {
  const reason = e2eUnavailable();
  if (reason) throw new Error(reason);
  const bin = findCodeServer()!;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dnnvm-e2e-'));
  const userData = path.join(root, 'user-data');
  const extensionsDir = path.join(root, 'extensions');
  // An explicit config file: otherwise code-server writes one with a password into ~/.config.
  const common = ['--config', path.join(root, 'config.yaml'), '--user-data-dir', userData, '--extensions-dir', extensionsDir];
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify(SETTINGS, null, 2));

  let extensions: string[];
  try {
    const installed = run(bin, [...common, '--install-extension', opts.vsix], 120_000);
    if (!/successfully installed/.test(installed)) throw new Error(`installing ${opts.vsix} did not report success:\n${installed}`);
    extensions = run(bin, [...common, '--list-extensions', '--show-versions'], 60_000)
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => /^[\w-]+\.[\w-]+@/.test(l));
  } catch (e) {
    fs.rmSync(root, { recursive: true, force: true });
    throw e;
  }

  fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const log = fs.openSync(opts.logFile, 'w');
  // Port 0: the kernel picks a free port and code-server prints it, so parallel runs never collide.
  // detached: code-server gets its own process group, so stop() also ends the extension host and the
  // language server it starts, and nothing else.
  const child: ChildProcess = spawn(
    bin,
    [...common, '--auth', 'none', '--bind-addr', '127.0.0.1:0', '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', opts.workspace],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const pid = child.pid;
  if (pid === undefined) {
    fs.closeSync(log);
    fs.rmSync(root, { recursive: true, force: true });
    throw new Error(`could not start ${bin}`);
  }
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  // Last resort if the test process dies without running its cleanup (a crashed worker, Ctrl+C).
  const killOnExit = () => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };
  process.once('exit', killOnExit);
  // code-server has a process group of its own, so a Ctrl+C or a SIGTERM to the test run does not
  // reach it: end it, then let the signal do what it would have done.
  const onSignal = (signal: NodeJS.Signals) => {
    killOnExit();
    for (const s of SIGNALS) process.removeListener(s, onSignal);
    process.kill(process.pid, signal);
  };
  for (const s of SIGNALS) process.once(s, onSignal);

  let output = '';
  let stopped = false;
  const onData = (b: Buffer) => {
    output += b.toString();
    // Output still buffered in the pipes can arrive after stop() closed the log.
    if (!stopped) fs.writeSync(log, b);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', killOnExit);
    for (const s of SIGNALS) process.removeListener(s, onSignal);
    if (!exited) {
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 5_000).unref());
      if ((await Promise.race([exitedPromise, timer])) === 'timeout') killOnExit();
    }
    // The group may outlive its leader (the extension host or the language server): end it too.
    killOnExit();
    fs.closeSync(log);
    fs.rmSync(root, { recursive: true, force: true });
  };

  const timeoutMs = opts.startTimeoutMs ?? 60_000;
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`code-server did not report its port within ${timeoutMs} ms; output:\n${output}`)), timeoutMs);
      const check = () => {
        const m = /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+)\//.exec(output);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      };
      child.stdout!.on('data', check);
      child.stderr!.on('data', check);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`code-server exited (${signal ?? `code ${code}`}) before listening; output:\n${output}`));
      });
    });
    // The port is open when it says so; /healthz confirms that the HTTP side answers.
    const health = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(10_000) });
    if (!health.ok) throw new Error(`code-server ${url}/healthz answered ${health.status}`);
    const extensionHostLog = () => readExtensionHostLogs(userData);
    const waitForExtensionHost = async (hosts = 1, ms = 60_000) => {
      // The workbench shows files before the extension host is up (it boots seconds later on this
      // machine); timing an activation must not include that boot. Its log says when it is up.
      const deadline = Date.now() + ms;
      while ((extensionHostLog().match(/Eager extensions activated/g) ?? []).length < hosts) {
        if (exited) throw new Error(`code-server exited while waiting for the extension host; output:\n${output}`);
        if (Date.now() > deadline) throw new Error(`the extension host did not start within ${ms} ms; its log:\n${extensionHostLog() || '(none)'}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const outputChannelLog = (channel: string) => readOutputChannelLogs(userData, channel);
    return { url, root, logFile: opts.logFile, extensions, extensionHostLog, outputChannelLog, waitForExtensionHost, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
