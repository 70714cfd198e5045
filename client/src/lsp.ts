// The language server and its custom requests (server/src/protocol.ts), typed for the rest of the
// extension. The server does the work (compiling, simulating, validating); this only asks.

import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, ResponseError, TransportKind, WorkDoneProgress, type LanguageClientOptions, type ServerOptions, type WorkDoneProgressBegin, type WorkDoneProgressReport } from 'vscode-languageclient/node';
import {
  COMPILE_REQUEST,
  SIMULATION_REQUEST,
  TRACE_REQUEST,
  VALIDATE_REQUEST,
  XGRAPH_REQUEST,
  type CompileParams,
  type CompileResult,
  type SimulationSummary,
  type TraceResult,
  type ValidateParams,
  type ValidateResult,
  type XGraphResult,
} from '../../server/src/protocol';

import { errorLocation, type ErrorLocation } from './errors';
import { limitSettings } from './limits';

/** LSP's "request cancelled" error code. */
const REQUEST_CANCELLED = -32800;

/** A request the server refused or failed, with the location of the cause when it gave one. */
export class ServerError extends Error {
  constructor(
    message: string,
    readonly location: ErrorLocation | undefined,
    readonly cancelled = false,
  ) {
    super(message);
    this.name = 'ServerError';
  }
}

export type ProgressReporter = (message: string, increment?: number) => void;

export class DnnvmServer implements vscode.Disposable {
  readonly client: LanguageClient;
  private started: Promise<void> | undefined;

  constructor(context: vscode.ExtensionContext, output: vscode.OutputChannel) {
    const module = context.asAbsolutePath(path.join('dist', 'server.js'));
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.ipc },
      debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { scheme: 'file', language: 'dnnasm' },
        { scheme: 'untitled', language: 'dnnasm' },
      ],
      synchronize: { configurationSection: 'dnnvm' },
      // The limits before the first document is assembled (the server pulls the other settings once initialized).
      initializationOptions: () => ({ settings: { limits: limitSettings() } }),
      outputChannel: output,
    };
    this.client = new LanguageClient('dnnasm', 'DNNVM Assembly', serverOptions, clientOptions);
  }

  start(): Promise<void> {
    return (this.started ??= this.client.start());
  }

  private async request<R>(method: string, params: object, token?: vscode.CancellationToken, progress?: ProgressReporter): Promise<R> {
    await this.start();
    let sub: vscode.Disposable | undefined;
    let sent: object = params;
    if (progress) {
      // LSP work-done progress: the server reports stages against a token the client chose.
      const workDoneToken = randomUUID();
      let last = 0;
      sub = this.client.onProgress(WorkDoneProgress.type, workDoneToken, (v) => {
        if (v.kind === 'end') return;
        const p = v as WorkDoneProgressBegin | WorkDoneProgressReport;
        const pct = p.percentage;
        const inc = pct !== undefined && pct > last ? pct - last : undefined;
        if (pct !== undefined) last = Math.max(last, pct);
        const text = v.kind === 'begin' ? [v.title, v.message].filter(Boolean).join(': ') : (p.message ?? '');
        if (text || inc) progress(text, inc);
      });
      sent = { ...params, workDoneToken };
    }
    try {
      // Without a token, no third argument: vscode-jsonrpc would send `undefined` as a second positional
      // parameter (null), which the server would take for its cancellation token.
      return await (token ? this.client.sendRequest<R>(method, sent, token) : this.client.sendRequest<R>(method, sent));
    } catch (e) {
      if (token?.isCancellationRequested || (e instanceof ResponseError && e.code === REQUEST_CANCELLED)) throw new ServerError('cancelled', undefined, true);
      if (e instanceof ResponseError) {
        const { location, message } = errorLocation(e.message, e.data);
        throw new ServerError(message, location);
      }
      throw new ServerError(e instanceof Error ? e.message : String(e), undefined);
    } finally {
      sub?.dispose();
    }
  }

  compile(p: CompileParams, token: vscode.CancellationToken, progress: ProgressReporter): Promise<CompileResult> {
    return this.request<CompileResult>(COMPILE_REQUEST, p, token, progress);
  }

  xgraph(uri: vscode.Uri): Promise<XGraphResult> {
    return this.request<XGraphResult>(XGRAPH_REQUEST, { uri: uri.toString() });
  }

  simulation(uri: vscode.Uri): Promise<SimulationSummary | null> {
    return this.request<SimulationSummary | null>(SIMULATION_REQUEST, { uri: uri.toString() });
  }

  trace(uri: vscode.Uri): Promise<TraceResult> {
    return this.request<TraceResult>(TRACE_REQUEST, { uri: uri.toString() });
  }

  validate(p: ValidateParams, token: vscode.CancellationToken, progress: ProgressReporter): Promise<ValidateResult> {
    return this.request<ValidateResult>(VALIDATE_REQUEST, p, token, progress);
  }

  async dispose(): Promise<void> {
    if (this.started) await this.client.stop();
  }
}
