// A minimal LSP client for protocol tests and benchmarks: starts `node dist/server.js --stdio` as a
// separate process and speaks JSON-RPC to it, as an editor would.

import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type { Diagnostic, PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import type { StatusParams } from '../../server/src/protocol';

const root = path.join(__dirname, '..', '..');

export interface ClientOptions {
  /** What `workspace/configuration` answers for the dnnvm section. */
  readonly settings?: Record<string, unknown>;
  /** Extra environment for the server process. */
  readonly env?: Record<string, string>;
}

export class LspClient {
  readonly proc: ChildProcess;
  readonly conn: MessageConnection;
  private readonly diags = new Map<string, PublishDiagnosticsParams[]>();
  private readonly statuses = new Map<string, StatusParams[]>();
  private readonly waiters: (() => void)[] = [];
  /** Server-to-client requests and notifications seen, by method (refreshes, progress). */
  readonly seen = new Map<string, unknown[]>();
  stderr = '';
  settings: Record<string, unknown>;

  constructor(options: ClientOptions = {}) {
    this.settings = options.settings ?? {};
    this.proc = spawn(process.execPath, [path.join(root, 'dist', 'server.js'), '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...(options.env ?? {}) } });
    this.proc.stderr!.on('data', (d) => (this.stderr += String(d)));
    // Writes racing the server's exit (a late answer to one of its requests) are not the test's concern.
    this.proc.stdin!.on('error', () => undefined);
    this.conn = createMessageConnection(new StreamMessageReader(this.proc.stdout!), new StreamMessageWriter(this.proc.stdin!));
    const wake = () => {
      for (const w of this.waiters.splice(0)) w();
    };
    this.conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      const list = this.diags.get(p.uri) ?? [];
      list.push(p);
      this.diags.set(p.uri, list);
      wake();
    });
    this.conn.onNotification('dnnvm/status', (p: StatusParams) => {
      const list = this.statuses.get(p.uri) ?? [];
      list.push(p);
      this.statuses.set(p.uri, list);
      wake();
    });
    const record = (method: string, p: unknown) => {
      const list = this.seen.get(method) ?? [];
      list.push(p);
      this.seen.set(method, list);
      wake();
    };
    this.conn.onRequest('workspace/configuration', () => [this.settings]);
    this.conn.onRequest('workspace/codeLens/refresh', () => record('workspace/codeLens/refresh', null));
    this.conn.onRequest('workspace/inlayHint/refresh', () => record('workspace/inlayHint/refresh', null));
    this.conn.onRequest('window/workDoneProgress/create', (p) => record('window/workDoneProgress/create', p));
    this.conn.onNotification('$/progress', (p) => record('$/progress', p));
    this.conn.onNotification('window/logMessage', (p: { message: string }) => record('window/logMessage', p.message));
    this.conn.onNotification('window/showMessage', (p) => record('window/showMessage', p));
    this.conn.onError(() => undefined);
    this.conn.listen();
  }

  async initialize(rootPath = root): Promise<unknown> {
    const r = await this.conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri: `file://${rootPath}`,
      workspaceFolders: [{ uri: `file://${rootPath}`, name: 'ws' }],
      capabilities: {
        workspace: { configuration: true, codeLens: { refreshSupport: true }, inlayHint: { refreshSupport: true } },
        window: { workDoneProgress: true },
        textDocument: { publishDiagnostics: { versionSupport: true, relatedInformation: true } },
      },
    });
    this.notify('initialized', {});
    return r;
  }

  private notify(method: string, params: unknown): void {
    this.conn.sendNotification(method, params).catch((e: Error) => (this.stderr += `client: ${method} not sent: ${e.message}\n`));
  }

  open(uri: string, text: string, version = 1): void {
    this.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'dnnasm', version, text } });
  }

  change(uri: string, version: number, changes: { range?: { start: { line: number; character: number }; end: { line: number; character: number } }; text: string }[]): void {
    this.notify('textDocument/didChange', { textDocument: { uri, version }, contentChanges: changes });
  }

  close(uri: string): void {
    this.notify('textDocument/didClose', { textDocument: { uri } });
  }

  /** Change the settings and tell the server (as a client without pushed settings would). */
  configure(settings: Record<string, unknown>): void {
    this.settings = settings;
    this.notify('workspace/didChangeConfiguration', { settings: null });
  }

  private async until<T>(what: () => T | undefined, timeoutMs: number, describe: () => string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = what();
      if (got !== undefined) return got;
      if (Date.now() > deadline) throw new Error(`${describe()} within ${timeoutMs} ms; stderr: ${this.stderr.slice(-2000)}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 100);
      });
    }
  }

  /** The first diagnostics published for `uri` at `version` (waits for them). */
  diagnostics(uri: string, version: number, timeoutMs = 20000): Promise<Diagnostic[]> {
    return this.until(
      () => this.diags.get(uri)?.find((p) => p.version === version)?.diagnostics,
      timeoutMs,
      () => `no diagnostics for ${uri} version ${version}; published: ${JSON.stringify((this.diags.get(uri) ?? []).map((p) => p.version))}`,
    );
  }

  /** Waits for `phase` of `version` to finish (any state), then returns its status and the last diagnostics published for the version. */
  async phase(uri: string, version: number, phase: StatusParams['phase'], timeoutMs = 60000): Promise<{ status: StatusParams; diagnostics: Diagnostic[] }> {
    const status = await this.until(
      () => this.statuses.get(uri)?.find((s) => s.version === version && s.phase === phase),
      timeoutMs,
      () => `no ${phase} status for ${uri} version ${version}; statuses: ${JSON.stringify((this.statuses.get(uri) ?? []).map((s) => [s.version, s.phase, s.state]))}`,
    );
    const list = (this.diags.get(uri) ?? []).filter((p) => p.version === version);
    return { status, diagnostics: list[list.length - 1]?.diagnostics ?? [] };
  }

  published(uri: string): PublishDiagnosticsParams[] {
    return this.diags.get(uri) ?? [];
  }

  statusesOf(uri: string): StatusParams[] {
    return this.statuses.get(uri) ?? [];
  }

  /** Waits until a server-to-client message of `method` has been seen `count` times. */
  async waitSeen(method: string, count = 1, timeoutMs = 20000): Promise<unknown[]> {
    return this.until(() => ((this.seen.get(method)?.length ?? 0) >= count ? this.seen.get(method)! : undefined), timeoutMs, () => `fewer than ${count} ${method}`);
  }

  request<R>(method: string, params: unknown): Promise<R> {
    return this.conn.sendRequest(method, params) as Promise<R>;
  }

  async stop(): Promise<void> {
    const exited = new Promise((r) => (this.proc.exitCode !== null ? r(null) : this.proc.once('exit', r)));
    try {
      await Promise.race([this.conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 2000))]);
      await this.conn.sendNotification('exit').catch(() => undefined);
    } catch {
      /* already gone */
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    this.conn.dispose();
    this.proc.kill();
  }
}
