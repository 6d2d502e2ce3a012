/**
 * The dump audit's verifying threads: each parses, converts and verifies whole chunks of a JSON
 * Lines dump (src/audit/lines.ts) and sends back compact results. The calling thread (which
 * reads bytes, orders and judges, and is otherwise mostly idle) is one of them: it takes a
 * chunk, one at a time and one per event-loop turn, whenever every worker already holds its
 * share — so `crypto.workers = N` costs N − 1 worker threads (their start and their heaps), and
 * with `crypto.workers = 1` everything runs on the calling thread. Chunks sent to a worker are
 * transferred, not copied.
 *
 * A one-shot tool's pool: a worker that dies fails the chunks it held (the audit of that source
 * ends with an error, as a dead verify worker did before); it is not replaced.
 */
import { Worker } from 'node:worker_threads';
import type { RecoveryBackend } from '../core/index.js';
import { workerCount, type BackendMode } from '../crypto/config.js';
import { workerEntry } from '../util/worker-entry.js';
import { stopWorker } from '../util/worker-stop.js';
import { auditChunkBytes, type ChunkResult } from './lines.js';
import type { FromLineWorker, LineWorkerInit, ToLineWorker } from './line-worker.js';

/** Chunks a worker holds at once: one computing, one waiting, so it never idles on a round trip. */
const PER_WORKER = 2;

interface Job {
  id: number;
  bytes: Uint8Array;
  resolve(r: ChunkResult): void;
  reject(err: unknown): void;
}

interface Slot {
  worker: Worker;
  inflight: Map<number, Job>;
}

/**
 * The parent's node options minus a tsx loader: a built (.js) entry needs none, and under
 * `--import tsx` (the bench's child, scripts run from source) every worker would otherwise load
 * tsx and its hooks thread too — tens of MB and their start-up for nothing.
 */
export function withoutTsx(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  const isTsx = (v: string | undefined) => v !== undefined && /^tsx(\/|$)/.test(v);
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i]!;
    if ((a === '--import' || a === '--loader' || a === '--require' || a === '-r') && isTsx(execArgv[i + 1])) {
      i++;
      continue;
    }
    const eq = /^(--import|--loader|--require)=(.*)$/.exec(a);
    if (eq && isTsx(eq[2])) continue;
    out.push(a);
  }
  return out;
}

export class LinePool {
  private readonly size: number;
  private slots: Slot[] = [];
  private queue: Job[] = [];
  private nextId = 1;
  private broken: Error | null = null;
  private stopped = false;

  /** a chunk is being worked on by the calling thread */
  private inlineBusy = false;

  /** `workers` as config `crypto.workers` (verifying threads, this one included): 0 = one per core. */
  constructor(
    private readonly mode: BackendMode,
    workers: number,
    /** the calling thread's backend (inline chunks) */
    private readonly backend: RecoveryBackend,
    private readonly startTimeoutMs = 30_000,
  ) {
    this.size = workers === 1 ? 1 : workerCount(workers);
  }

  /** Threads that verify, the calling thread included. */
  get workers(): number {
    return this.size;
  }

  /** Chunks worth having in flight: enough to keep every thread busy, few enough to bound memory. */
  get depth(): number {
    return Math.max(1, this.size * PER_WORKER);
  }

  async start(): Promise<void> {
    try {
      await Promise.all(Array.from({ length: this.size - 1 }, () => this.spawn()));
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Audit one chunk of whole lines. Its buffer is transferred to a worker: do not reuse it. */
  run(bytes: Uint8Array): Promise<ChunkResult> {
    if (this.stopped) return Promise.reject(new Error('line pool stopped'));
    if (this.broken) return Promise.reject(this.broken);
    return new Promise<ChunkResult>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, bytes, resolve, reject });
      this.dispatch();
    });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.failAll(new Error('line pool stopped'));
    const slots = this.slots;
    this.slots = [];
    await Promise.all(slots.map((s) => stopWorker(s.worker)));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let slot: Slot | null = null;
      for (const s of this.slots) if (s.inflight.size < PER_WORKER && (!slot || s.inflight.size < slot.inflight.size)) slot = s;
      if (!slot) {
        if (!this.inlineBusy) this.runInline(this.queue.shift()!);
        return;
      }
      const job = this.queue.shift()!;
      slot.inflight.set(job.id, job);
      const buffer = job.bytes.buffer as ArrayBuffer;
      slot.worker.postMessage({ id: job.id, bytes: job.bytes } satisfies ToLineWorker, [buffer]);
    }
  }

  /** One chunk on the calling thread, in a later turn of its event loop (reads and results go on between). */
  private runInline(job: Job): void {
    this.inlineBusy = true;
    setImmediate(() => {
      try {
        if (this.stopped) job.reject(new Error('line pool stopped'));
        else if (this.broken) job.reject(this.broken);
        else job.resolve(auditChunkBytes(job.bytes, this.backend));
      } catch (err) {
        job.reject(err);
      } finally {
        this.inlineBusy = false;
        this.dispatch();
      }
    });
  }

  private failAll(err: Error): void {
    for (const j of this.queue.splice(0)) j.reject(err);
    for (const s of this.slots) {
      for (const j of s.inflight.values()) j.reject(err);
      s.inflight.clear();
    }
  }

  /** A worker died or misbehaved: everything in flight fails, and so does what comes after. */
  private lost(err: Error): void {
    if (this.stopped || this.broken) return;
    this.broken = new Error(`audit worker died: ${err.message}`, { cause: err });
    this.failAll(this.broken);
  }

  private spawn(): Promise<void> {
    const { entry, eval: isEval } = workerEntry(import.meta.url, 'line-worker');
    const worker = new Worker(entry, { eval: isEval, workerData: { mode: this.mode } satisfies LineWorkerInit, ...(isEval ? {} : { execArgv: withoutTsx(process.execArgv) }) });
    const slot: Slot = { worker, inflight: new Map() };
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      const timer = setTimeout(() => failStart(new Error(`audit worker did not start within ${this.startTimeoutMs} ms`)), this.startTimeoutMs);
      timer.unref();
      const failStart = (err: Error) => {
        clearTimeout(timer);
        void worker.terminate().catch(() => undefined);
        reject(err);
      };
      worker.on('message', (msg: FromLineWorker) => {
        if (msg.type === 'result' || msg.type === 'error') {
          const job = slot.inflight.get(msg.id);
          if (!job) return;
          slot.inflight.delete(msg.id);
          if (msg.type === 'result') job.resolve(msg.result);
          else job.reject(new Error(`audit worker: ${msg.message}`));
          this.dispatch();
          return;
        }
        if (msg.type === 'ready') {
          clearTimeout(timer);
          ready = true;
          this.slots.push(slot);
          resolve();
          this.dispatch();
          return;
        }
        failStart(new Error(`audit worker failed to start: ${msg.message}`));
      });
      worker.on('messageerror', (err) => this.lost(err));
      worker.on('error', (err) => (ready ? this.lost(err) : failStart(err)));
      worker.on('exit', (code) => {
        if (!ready) failStart(new Error(`audit worker exited with code ${code} before it was ready`));
        else if (!this.stopped) this.lost(new Error(`exited with code ${code}`));
      });
    });
  }
}
