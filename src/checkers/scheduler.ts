/**
 * The background re-check loop. State lives in SQLite (binding_checks): each tick claims, per
 * platform, at most as many due bindings as that platform has free in-flight slots
 * (maxInFlightPerPlatform), so memory holds O(platforms × maxInFlight) checks whatever the
 * number of bindings, and a restart resumes from next_check_at (spread by jitter) instead of
 * re-checking everything. The platform's PlatformHttp enforces the request rate.
 */
import { setMaxListeners } from 'node:events';
import { retryDelayMs, type RetryPolicy } from '../util/retry.js';
import { CHECKER_PLATFORMS, type CheckersConfig } from './config.js';
import type { BindingStatus } from '../store/bindings.js';
import type { CheckStore, VerdictPolicy } from './check-store.js';
import type { CheckRunner } from './runner.js';
import { CheckCancelled, type CheckResult } from './types.js';

/** How long a check result may wait to share its commit with others (ms). */
const GROUP_COMMIT_MS = 20;

/**
 * Read hints folded into one pass. A pass runs on the API's event loop: 1,000 reads a second
 * leave up to 2,000 hints, and queueing them all at once held the loop ~30 ms. The rest wait
 * for the next pass, which then comes at once (after the I/O already waiting).
 */
export const HINTS_PER_PASS = 250;

export interface SchedulerLog {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  debug?(obj: object, msg: string): void;
}

/**
 * A binding's retries after transient failures, as the one retry policy: never given up (the
 * failure streak lives in SQLite and marks the binding stale instead), doubling, capped, with
 * the interval's jitter, and at least the platform's Retry-After (clamped by the HTTP layer to
 * maxRetryAfterSeconds already).
 */
export function checkerRetryPolicy(cfg: CheckersConfig): RetryPolicy {
  return { attempts: Infinity, baseMs: cfg.backoffBaseSeconds * 1000, capMs: cfg.backoffMaxSeconds * 1000, factor: 2, jitter: cfg.jitter, maxRetryAfterMs: cfg.maxRetryAfterSeconds * 1000 };
}

export function verdictPolicy(cfg: CheckersConfig, random: () => number = Math.random): VerdictPolicy {
  const jittered = (s: number) => Math.max(1, Math.round(s * (1 + cfg.jitter * (2 * random() - 1))));
  const retries = checkerRetryPolicy(cfg);
  return {
    nextAfterVerdict: (now) => now + jittered(cfg.intervalSeconds),
    // times here are unix seconds
    nextAfterTransient: (now, streak, retryAfterMs) => now + Math.ceil(retryDelayMs(retries, streak, { random, retryAfterMs }) / 1000),
    staleAfterFailures: cfg.staleAfterFailures,
  };
}

export interface SchedulerStats {
  checks: number;
  valid: number;
  invalid: number;
  transient: number;
  inFlight: Record<string, number>;
  maxInFlight: number;
  /** passes that ran one check at a time per platform because the event loop was busy */
  pacedPasses: number;
}

export class Scheduler {
  private readonly running = new Map<string, Set<number>>();
  private readonly ac = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private kicked = false;
  private active = new Set<Promise<void>>();
  private started = false;
  readonly policy: VerdictPolicy;
  readonly stats: SchedulerStats = { checks: 0, valid: 0, invalid: 0, transient: 0, inFlight: {}, maxInFlight: 0, pacedPasses: 0 };

  constructor(
    private readonly deps: {
      cfg: CheckersConfig;
      store: CheckStore;
      runner: CheckRunner;
      log?: SchedulerLog;
      /** unix seconds */
      now?: () => number;
      onResult?: (bindingId: number, result: CheckResult, status: string | null, platform: string) => void;
      /** up to `max` bindings reads have served since the last pass (in memory): overdue ones go first */
      takeHints?: (max: number) => number[];
      /**
       * whether the API's event loop is busy (src/util/pacer.ts): then each platform runs one
       * background check at a time, so re-checks cannot make reads wait behind them
       */
      busy?: () => boolean;
    },
  ) {
    this.policy = verdictPolicy(deps.cfg);
    // Every in-flight check waits in its platform's queue with this one signal, so it legitimately
    // carries up to platforms × maxInFlightPerPlatform abort listeners (each removed when its
    // check ends). Raise Node's leak warning to that bound, so a real leak still warns.
    setMaxListeners(CHECKER_PLATFORMS.length * deps.cfg.maxInFlightPerPlatform + 16, this.ac.signal);
  }

  private now(): number {
    return this.deps.now?.() ?? Math.floor(Date.now() / 1000);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.schedule(0);
  }

  /** Wake the loop soon (new due work: admin re-check, overdue read). */
  kick(): void {
    if (!this.started || this.ac.signal.aborted || this.kicked) return;
    this.kicked = true;
    // Not at once: slots freed by one group commit (and a burst of them) refill in one pass.
    this.schedule(GROUP_COMMIT_MS);
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.kicked = false;
      this.tick();
    }, ms);
    this.timer.unref();
  }

  /** One pass: fill every ready platform's free in-flight slots from the due list. */
  tick(): number {
    if (this.ac.signal.aborted) return 0;
    const { cfg, store, runner } = this.deps;
    const now = this.now();
    let claimed = 0;
    const hinted = this.deps.takeHints?.(HINTS_PER_PASS) ?? [];
    const wants: Array<{ platform: string; limit: number; running: Set<number> }> = [];
    const busy = this.deps.busy?.() ?? false;
    if (busy) this.stats.pacedPasses++;
    for (const platform of runner.checkers.keys()) {
      if (!runner.canCheck(platform)) continue;
      const set = this.running.get(platform) ?? new Set<number>();
      this.running.set(platform, set);
      const cap = busy ? 1 : cfg.maxInFlightPerPlatform;
      const free = Math.min(cfg.batchSize, cap - set.size);
      if (free > 0) wants.push({ platform, limit: free, running: set });
    }
    if (hinted.length > 0 || wants.length > 0) {
      let claims: number[][] = [];
      try {
        claims = store.claimPass(hinted, wants, now, cfg.leaseSeconds);
      } catch (err) {
        this.deps.log?.warn({ err }, 'claiming due checks failed');
      }
      claims.forEach((ids, i) => {
        const w = wants[i]!;
        for (const id of ids) this.launch(w.platform, id, w.running);
        claimed += ids.length;
      });
    }
    // A full share of hints may have left more behind: the next pass comes at once.
    if (this.started && !this.ac.signal.aborted) this.schedule(hinted.length >= HINTS_PER_PASS ? 0 : cfg.tickMs);
    return claimed;
  }

  private launch(platform: string, bindingId: number, set: Set<number>): void {
    set.add(bindingId);
    const total = [...this.running.values()].reduce((n, s) => n + s.size, 0);
    this.stats.maxInFlight = Math.max(this.stats.maxInFlight, total);
    const p = this.checkOne(bindingId)
      .catch((err: unknown) => this.deps.log?.warn({ err, bindingId }, 'check failed unexpectedly; retried after its lease'))
      .finally(() => {
        set.delete(bindingId);
        this.active.delete(p);
        // a slot freed: refill without waiting for the next tick
        this.kick();
      });
    this.active.add(p);
  }

  private async checkOne(bindingId: number): Promise<void> {
    const { store, runner } = this.deps;
    let due;
    try {
      due = store.load(bindingId);
    } catch (err) {
      this.deps.log?.warn({ err, bindingId }, 'loading a binding to check failed');
      return;
    }
    if (!due) return;
    let result: CheckResult;
    try {
      result = await runner.run(due.target, { signal: this.ac.signal, priority: 0 });
    } catch (err) {
      if (err instanceof CheckCancelled) {
        // shutdown: due again at once after a restart (the lease would also expire)
        try {
          store.release(bindingId, this.now());
        } catch {
          /* store already closed: the lease expires instead */
        }
        return;
      }
      throw err;
    }
    if (result.kind === 'transient' && result.code === 'DISABLED') return;
    const status = await this.record(due, result);
    this.stats.checks++;
    this.stats[result.kind]++;
    if (result.kind === 'transient') this.deps.log?.debug?.({ bindingId, code: result.code, reason: result.reason }, 'transient check failure');
    else if (result.kind === 'invalid') this.deps.log?.info({ bindingId, platform: due.target.link.platform, code: result.code }, 'binding invalid');
    this.deps.onResult?.(bindingId, result, status, due.target.link.platform);
  }

  /** Results waiting for the next group commit (see `record`). */
  private pending: Array<{ check: { bindingId: number; linkId: number }; result: CheckResult; now: number; done: (v: BindingStatus | null | Error) => void }> = [];
  private flushTimer: NodeJS.Timeout | null = null;

  /**
   * Results are recorded in groups: those arriving within GROUP_COMMIT_MS share one durable
   * transaction, so many fast checks cost a few fsyncs a second on the event loop, not one each.
   */
  private async record(check: { bindingId: number; linkId: number }, result: CheckResult): Promise<BindingStatus | null> {
    const v = await new Promise<BindingStatus | null | Error>((done) => {
      this.pending.push({ check, result, now: this.now(), done });
      this.flushTimer ??= setTimeout(() => this.flush(), GROUP_COMMIT_MS);
    });
    if (v instanceof Error) throw v;
    return v;
  }

  private flush(): void {
    this.flushTimer = null;
    const batch = this.pending;
    this.pending = [];
    let out: Array<BindingStatus | null | Error>;
    try {
      out = this.deps.store.applyMany(batch, this.policy);
    } catch (err) {
      out = batch.map(() => err as Error);
    }
    batch.forEach((b, i) => b.done(out[i]!));
  }

  /** Resolves when the checks in flight now have finished (tests, admin). */
  async drain(): Promise<void> {
    while (this.active.size > 0) await Promise.allSettled([...this.active]);
  }

  inFlight(): Record<string, number> {
    return Object.fromEntries([...this.running].map(([p, s]) => [p, s.size]));
  }

  /** Stop claiming, cancel in-flight checks (their leases let them run again after restart). */
  async stop(): Promise<void> {
    this.ac.abort();
    clearTimeout(this.timer);
    await Promise.allSettled([...this.active]);
  }
}
