/**
 * Bulk link verification on every core: a pool of worker_threads running the one
 * verifier of src/core. Results come back in input order and equal what `verifyItem` gives on
 * the calling thread — the pool only decides *where* a link is verified, never *how*.
 *
 * Batches are cut into chunks; each worker has at most two chunks in flight (one computing, one
 * waiting), so a worker never idles on a round trip while the queue is non-empty. Small batches
 * (one-link imports, short mirror pages) and single links travel together: those of one
 * event-loop turn go to the workers as one batch, so the calling thread (the API's event loop)
 * pays a share of a message instead of ~0.1 ms of recovery per link.
 */
import { Worker } from 'node:worker_threads';
import { verifyItem, type RecoveryBackend, type VerifyItem, type VerifyResult } from '../core/index.js';
import type { BackendMode } from './config.js';
import { workerCount } from './config.js';
import { selectBackend, type BackendLog, type SelectedBackend } from './select.js';
import { toWire, verifyInline, type BulkVerifier } from './verifier.js';
import type { FromWorker, ToWorker, WorkerInit } from './worker.js';
import { workerEntry } from '../util/worker-entry.js';
import { stopWorker } from '../util/worker-stop.js';

export type { VerifyItem, VerifyResult } from '../core/index.js';

export interface PoolOptions {
  mode: BackendMode;
  /** config `crypto.workers`: 0 = one per core, 1 = no workers (verify on the calling thread) */
  workers: number;
  /** batches smaller than this are coalesced with concurrent small batches and single links (default 16) */
  coalesceBelow?: number;
  /** most items per message to a worker (default 256) */
  maxChunk?: number;
  log?: BackendLog;
  /** how long start() waits for workers to load (default 30 s) */
  startTimeoutMs?: number;
  /** the mode each new worker is started with (default: `mode`); a test seam for failing workers */
  workerMode?: () => BackendMode;
}

interface Batch {
  results: VerifyResult[];
  remaining: number;
  done: boolean;
  resolve(results: VerifyResult[]): void;
  reject(err: unknown): void;
  cleanup(): void;
}

interface Chunk {
  id: number;
  batch: Batch;
  start: number;
  items: VerifyItem[];
}

interface Slot {
  worker: Worker;
  ready: boolean;
  inflight: Map<number, Chunk>;
}

const MAX_INFLIGHT = 2;
/**
 * Attempts to replace a dead worker. A worker that fails to start (its backend self-test, a
 * load error) is replaced once more; when that fails too its place is retired — the pool runs
 * one worker smaller, and with none left it verifies on the calling thread — never a slot that
 * stays empty while chunks wait for it.
 */
const REPLACE_ATTEMPTS = 2;

/** The pooled implementation of the one verify contract (src/crypto/verifier.ts). */
export class VerifyPool implements BulkVerifier {
  private readonly opts: Required<Omit<PoolOptions, 'log' | 'workerMode'>> & { log?: BackendLog; workerMode?: () => BackendMode };
  private readonly size: number;
  private selected: SelectedBackend | null = null;
  private slots: Slot[] = [];
  private queue: Chunk[] = [];
  private nextId = 1;
  private state: 'new' | 'starting' | 'running' | 'stopped' = 'new';
  private verified = 0;
  private restarts = 0;
  private retired = 0;
  private singles: Array<{ item: VerifyItem; resolve(r: VerifyResult): void; reject(err: unknown): void }> = [];
  private workerBackends = new Set<string>();

  constructor(opts: PoolOptions) {
    this.opts = { coalesceBelow: 16, maxChunk: 256, startTimeoutMs: 30_000, ...opts };
    // workers = 1 means "no pool": the calling thread verifies.
    this.size = opts.workers === 1 ? 0 : workerCount(opts.workers);
  }

  /** The recovery backend of the calling thread (workers pick theirs by the same mode). */
  get backend(): RecoveryBackend {
    if (!this.selected) throw new Error('verify pool is not started');
    return this.selected.backend;
  }

  /** Name of the recovery backend in use ('native' or 'noble'). */
  get backendName(): string {
    if (!this.selected) throw new Error('verify pool is not started');
    return this.selected.name;
  }

  /** Number of worker threads (0 = verification on the calling thread). */
  get workers(): number {
    return this.size;
  }

  /** Select the backend (throws if `native` is required and unusable), then start the workers. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`verify pool cannot start: it is ${this.state}`);
    this.state = 'starting';
    try {
      this.selected = selectBackend(this.opts.mode, this.opts.log);
      await Promise.all(Array.from({ length: this.size }, () => this.spawn()));
      this.state = 'running';
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Terminate the workers; queued and in-flight batches reject. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    const err = new Error('verify pool stopped');
    for (const one of this.singles.splice(0)) one.reject(err);
    for (const c of this.queue) this.fail(c.batch, err);
    this.queue = [];
    const slots = this.slots;
    this.slots = [];
    for (const s of slots) for (const c of s.inflight.values()) this.fail(c.batch, err);
    await Promise.all(slots.map((s) => stopWorker(s.worker)));
  }

  health(): Record<string, unknown> {
    return {
      backend: this.selected?.name ?? null,
      backendMode: this.opts.mode,
      ...(this.selected?.fallbackReason ? { backendFallbackReason: this.selected.fallbackReason } : {}),
      keccak: this.selected?.keccak ?? null,
      ...(this.selected?.keccakReason ? { keccakReason: this.selected.keccakReason } : {}),
      workers: this.size,
      workersReady: this.slots.filter((s) => s.ready).length,
      queuedChunks: this.queue.length,
      verified: this.verified,
      workerRestarts: this.restarts,
      workersRetired: this.retired,
    };
  }

  /**
   * Verify links; outcome i belongs to items[i]. Rejects only when the pool is stopped, the
   * signal aborts, or a worker dies mid-batch — never for a bad link (that is an outcome).
   */
  verifyLinks(items: readonly VerifyItem[], signal?: AbortSignal): Promise<VerifyResult[]> {
    if (items.length > 0 && items.length < this.opts.coalesceBelow && this.state === 'running' && !signal?.aborted) {
      return Promise.all(items.map((it) => this.verifyOne(it)));
    }
    return this.submit(items, signal, true);
  }

  /**
   * Verify one link off the calling thread (single-link ingest): the links of concurrent calls
   * made in the same event-loop turn travel to the workers as one batch, so the main thread only
   * pays the message, not the ~0.1 ms verification. Same result as verifyLinks([item])[0].
   */
  verifyOne(item: VerifyItem, signal?: AbortSignal): Promise<VerifyResult> {
    if (this.state !== 'running') return Promise.reject(new Error(`verify pool is not running (${this.state})`));
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.size === 0 || this.retired >= this.size) return this.inline([item]).then((r) => r[0]!);
    return new Promise<VerifyResult>((resolve, reject) => {
      this.singles.push({ item, resolve, reject });
      if (this.singles.length === 1) setImmediate(() => this.flushSingles());
    });
  }

  private flushSingles(): void {
    const batch = this.singles;
    this.singles = [];
    if (batch.length === 0) return;
    this.submit(
      batch.map((b) => b.item),
      undefined,
      false,
    ).then(
      (rs) => rs.forEach((r, i) => batch[i]!.resolve(r)),
      (err: unknown) => batch.forEach((b) => b.reject(err)),
    );
  }

  private submit(items: readonly VerifyItem[], signal: AbortSignal | undefined, bulk: boolean): Promise<VerifyResult[]> {
    if (this.state !== 'running') return Promise.reject(new Error(`verify pool is not running (${this.state})`));
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (items.length === 0) return Promise.resolve([]);
    if (this.size === 0 || this.retired >= this.size) return this.inline(items, signal);

    return new Promise<VerifyResult[]>((resolve, reject) => {
      const onAbort = () => this.fail(batch, signal!.reason);
      const batch: Batch = {
        results: new Array<VerifyResult>(items.length),
        remaining: items.length,
        done: false,
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      // Enough chunks to keep every worker busy and balance uneven chunks, no smaller than the
      // coalescing threshold (a message round trip must stay cheap next to the work it carries).
      // (Coalesced single links are split evenly instead: offloading them is the point.)
      const per = bulk
        ? Math.min(this.opts.maxChunk, Math.max(this.opts.coalesceBelow, Math.ceil(items.length / (this.size * 4))))
        : Math.min(this.opts.maxChunk, Math.ceil(items.length / this.size));
      for (let start = 0; start < items.length; start += per) {
        this.queue.push({ id: this.nextId++, batch, start, items: items.slice(start, start + per).map(toWire) });
      }
      this.dispatch();
    });
  }

  /** Calling-thread verification, in slices so a big batch does not stall the event loop. */
  private async inline(items: readonly VerifyItem[], signal?: AbortSignal): Promise<VerifyResult[]> {
    const out = await verifyInline(this.selected!.backend, items, signal, () => this.state === 'running');
    this.verified += items.length;
    return out;
  }

  private spawn(): Promise<void> {
    const { entry, eval: isEval } = workerEntry(import.meta.url, 'worker');
    const mode = this.opts.workerMode?.() ?? this.opts.mode;
    const worker = new Worker(entry, { eval: isEval, workerData: { mode } satisfies WorkerInit });
    const slot: Slot = { worker, ready: false, inflight: new Map() };
    this.slots.push(slot);
    return new Promise<void>((resolve, reject) => {
      // Before `ready`, any failure takes the slot out at once (it never holds a chunk).
      const failStart = (err: Error) => {
        clearTimeout(timer);
        const i = this.slots.indexOf(slot);
        if (i >= 0) this.slots.splice(i, 1);
        void worker.terminate().catch(() => undefined);
        reject(err);
      };
      const timer = setTimeout(() => failStart(new Error(`verify worker did not start within ${this.opts.startTimeoutMs} ms`)), this.opts.startTimeoutMs);
      timer.unref();
      worker.on('message', (msg: FromWorker) => {
        if (msg.type === 'results') return this.complete(slot, msg.id, msg.results);
        if (msg.type === 'ready') {
          clearTimeout(timer);
          slot.ready = true;
          if (!this.workerBackends.has(msg.backend) && msg.backend !== this.selected?.name) {
            this.opts.log?.warn({ backend: msg.backend, reason: msg.fallbackReason }, 'verify worker chose another recovery backend than the main thread');
          }
          if (msg.keccak !== this.selected?.keccak && !this.workerBackends.has(`keccak:${msg.keccak}`)) {
            this.opts.log?.warn({ keccak: msg.keccak }, 'verify worker chose another keccak-256 than the main thread');
            this.workerBackends.add(`keccak:${msg.keccak}`);
          }
          this.workerBackends.add(msg.backend);
          resolve();
          this.dispatch();
          return;
        }
        failStart(new Error(`verify worker failed to start: ${msg.message}`));
      });
      // A message that cannot be deserialized leaves its chunk unanswered: treat as a lost worker.
      worker.on('messageerror', (err) => this.lost(slot, err));
      worker.on('error', (err) => (slot.ready ? this.lost(slot, err) : failStart(err)));
      worker.on('exit', (code) => {
        if (!slot.ready) failStart(new Error(`verify worker exited with code ${code} before it was ready`));
        else this.lost(slot, new Error(`verify worker exited with code ${code}`));
      });
    });
  }

  /** A worker died: its in-flight batches reject; a replacement starts if the pool runs. */
  private lost(slot: Slot, err: Error): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return; // already removed (stop)
    this.slots.splice(i, 1);
    void slot.worker.terminate().catch(() => undefined);
    for (const c of slot.inflight.values()) this.fail(c.batch, new Error(`verify worker died: ${err.message}`, { cause: err }));
    slot.inflight.clear();
    if (this.state !== 'running') return;
    this.restarts++;
    this.opts.log?.warn({ err: err.message, restarts: this.restarts }, 'verify worker died; starting a replacement');
    this.replace(1);
  }

  /** Start a replacement worker; retire the place when `REPLACE_ATTEMPTS` starts failed. */
  private replace(attempt: number): void {
    this.spawn().catch((e: unknown) => {
      if (this.state !== 'running') return;
      const reason = (e as Error)?.message ?? String(e);
      if (attempt < REPLACE_ATTEMPTS) {
        this.opts.log?.warn({ err: reason, attempt }, 'verify worker replacement failed; trying again');
        this.replace(attempt + 1);
        return;
      }
      this.retired++;
      this.opts.log?.warn({ err: reason, retired: this.retired, workers: this.slots.length }, 'verify worker replacement failed again: retiring its place');
      this.dispatch();
    });
  }

  /** Send queued chunks, each to the ready worker with the fewest chunks in flight. */
  private dispatch(): void {
    if (this.slots.length === 0 && this.retired >= this.size && this.queue.length > 0) {
      // Every worker place retired: what is queued is verified here rather than never.
      const backend = this.selected!.backend;
      for (const chunk of this.queue.splice(0)) if (!chunk.batch.done) this.deliver(chunk, chunk.items.map((it) => verifyItem(it, backend)));
      return;
    }
    while (this.queue.length > 0) {
      let slot: Slot | null = null;
      for (const s of this.slots) {
        if (s.ready && s.inflight.size < MAX_INFLIGHT && (!slot || s.inflight.size < slot.inflight.size)) slot = s;
      }
      if (!slot) return;
      const chunk = this.queue.shift()!;
      if (chunk.batch.done) continue;
      try {
        slot.worker.postMessage({ id: chunk.id, items: chunk.items } satisfies ToWorker);
        slot.inflight.set(chunk.id, chunk);
      } catch {
        // Not cloneable (cannot come from JSON, but be safe): verify it here instead.
        const backend = this.selected!.backend;
        this.deliver(chunk, chunk.items.map((it) => verifyItem(it, backend)));
      }
    }
  }

  private complete(slot: Slot, id: number, results: VerifyResult[]): void {
    const chunk = slot.inflight.get(id);
    if (!chunk) return;
    slot.inflight.delete(id);
    this.deliver(chunk, results);
    this.dispatch();
  }

  private deliver(chunk: Chunk, results: VerifyResult[]): void {
    const b = chunk.batch;
    if (b.done) return;
    for (let i = 0; i < results.length; i++) b.results[chunk.start + i] = results[i]!;
    b.remaining -= results.length;
    this.verified += results.length;
    if (b.remaining === 0) {
      b.done = true;
      b.cleanup();
      b.resolve(b.results);
    }
  }

  private fail(batch: Batch, err: unknown): void {
    if (batch.done) return;
    batch.done = true;
    batch.cleanup();
    batch.reject(err);
    this.queue = this.queue.filter((c) => c.batch !== batch);
  }
}
