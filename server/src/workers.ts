// Worker lanes: each lane is one worker thread running one job at a time from a queue. A job has a
// key (a document URI, say); a new job with the same key supersedes the queued and the running one.
// Cancelling the running job writes another id into the shared flag the job polls; a job that does not
// stop within `hardCancelMs` (a long uninterruptible stage, or a hang) has its worker terminated and
// replaced. A worker that crashes or exits fails its job with the reason, and the next job gets a new
// worker: nothing a job does can take the server down.

import { Worker } from 'node:worker_threads';
import type { Job, WorkerInit, WorkerMessage } from './worker';

/** The job was superseded or cancelled; nothing to report. */
export class JobCancelled extends Error {
  constructor() {
    super('cancelled');
    this.name = 'JobCancelled';
  }
}

/** The job failed: a bad input (`user`, with the line where known) or a bug / dead worker. */
export class JobFailed extends Error {
  constructor(
    message: string,
    readonly user?: { readonly line?: number },
  ) {
    super(message);
    this.name = 'JobFailed';
  }
}

interface Pending {
  readonly id: number;
  readonly key: string;
  readonly job: Job;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: Error) => void;
  readonly onProgress?: (stage: string, done: number, total: number) => void;
}

let nextId = 1;

export class WorkerLane {
  private worker: Worker | undefined;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private queue: Pending[] = [];
  private running: Pending | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private disposed = false;
  /** Jobs started, workers started (for tests and logs). */
  jobs = 0;
  spawned = 0;

  constructor(
    readonly name: string,
    private readonly script: string,
    private readonly log: (message: string) => void,
    private readonly options: { readonly faults?: boolean; readonly hardCancelMs?: number; readonly maxOldGenerationSizeMb?: number } = {},
  ) {}

  run<T>(key: string, job: Job, onProgress?: (stage: string, done: number, total: number) => void): Promise<T> {
    this.cancel(key);
    // Warming up yields to real work.
    if (this.running?.job.kind === 'warmup') this.stopRunning();
    return new Promise<T>((resolve, reject) => {
      if (this.disposed) return reject(new JobCancelled());
      this.queue.push({ id: nextId++, key, job, resolve: resolve as (v: unknown) => void, reject, ...(onProgress ? { onProgress } : {}) });
      this.pump();
    });
  }

  /** Drop the queued jobs with this key and stop the running one if it has it. */
  cancel(key: string): void {
    const dropped = this.queue.filter((p) => p.key === key);
    if (dropped.length) {
      this.queue = this.queue.filter((p) => p.key !== key);
      for (const p of dropped) p.reject(new JobCancelled());
    }
    if (this.running?.key === key) this.stopRunning();
  }

  /** Whether a job with this key is queued or running. */
  busyWith(key: string): boolean {
    return this.running?.key === key || this.queue.some((p) => p.key === key);
  }

  dispose(): void {
    this.disposed = true;
    for (const p of this.queue) p.reject(new JobCancelled());
    this.queue = [];
    if (this.running) this.finish(this.running, new JobCancelled());
    void this.worker?.terminate();
    this.worker = undefined;
  }

  private stopRunning(): void {
    const r = this.running;
    if (!r || this.killTimer) return;
    Atomics.store(this.flag, 0, 0);
    this.killTimer = setTimeout(() => {
      this.killTimer = undefined;
      if (this.running !== r) return;
      this.log(`${this.name}: a cancelled job did not stop within ${this.options.hardCancelMs ?? 2000} ms; restarting the worker`);
      const w = this.worker;
      this.worker = undefined;
      void w?.terminate();
      this.finish(r, new JobCancelled());
    }, this.options.hardCancelMs ?? 2000);
  }

  private finish(p: Pending, outcome: Error | { value: unknown }): void {
    if (this.running !== p) return;
    this.running = undefined;
    clearTimeout(this.killTimer);
    this.killTimer = undefined;
    if (outcome instanceof Error) p.reject(outcome);
    else p.resolve(outcome.value);
    setImmediate(() => this.pump());
  }

  private pump(): void {
    if (this.running || this.disposed) return;
    const p = this.queue.shift();
    if (!p) return;
    const w = this.worker ?? this.spawn();
    this.running = p;
    this.jobs++;
    Atomics.store(this.flag, 0, p.id);
    try {
      w.postMessage({ id: p.id, job: p.job });
    } catch (e) {
      this.finish(p, new JobFailed(`could not hand the job to the ${this.name} worker: ${(e as Error).message}`));
    }
  }

  private spawn(): Worker {
    const init: WorkerInit = { role: 'dnnvm-worker', flag: this.flag.buffer as SharedArrayBuffer, faults: this.options.faults === true };
    const w = new Worker(this.script, {
      workerData: init,
      stdout: false,
      stderr: false,
      ...(this.options.maxOldGenerationSizeMb ? { resourceLimits: { maxOldGenerationSizeMb: this.options.maxOldGenerationSizeMb } } : {}),
    });
    this.spawned++;
    this.worker = w;
    w.on('message', (m: WorkerMessage) => {
      const r = this.running;
      if (!r || m.id !== r.id) return;
      if (m.type === 'progress') r.onProgress?.(m.stage, m.done, m.total);
      else if (m.type === 'result') this.finish(r, { value: m.value });
      else this.finish(r, m.cancelled ? new JobCancelled() : new JobFailed(m.message, m.user));
    });
    // Events of a worker already replaced (terminated after a cancel) concern no current job.
    w.on('error', (e) => {
      this.log(`${this.name} worker failed (a bug; the server keeps running): ${e.stack ?? String(e)}`);
      if (this.worker !== w) return;
      this.worker = undefined;
      if (this.running) this.finish(this.running, new JobFailed(`the ${this.name} worker failed: ${e.message}`));
    });
    w.on('exit', (code) => {
      if (this.worker !== w) return;
      this.worker = undefined;
      if (this.running && !this.disposed) {
        this.log(`${this.name} worker exited with code ${code} during a job; a new one takes the next job`);
        this.finish(this.running, new JobFailed(`the ${this.name} worker stopped (exit code ${code}) during the job`));
      }
    });
    w.unref();
    return w;
  }
}
