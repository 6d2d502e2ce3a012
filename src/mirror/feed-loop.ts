/**
 * The poll loop every mirror feed follower runs (links, KV writes, subkeys): one page at a time
 * from the follower's cursor, at once again while pages come back full, every `pollIntervalMs`
 * once caught up, backing off after failures by the mirror's one retry policy. Among several
 * daemons on one database only the holder of the feed's lease follows (src/store/lease.ts); the
 * others stand by, and take over when the holder goes. The follower supplies the page step and
 * the status it reports; the loop keeps the status's loop fields.
 */
import type { Logger } from 'pino';
import type { MirrorConfig } from './config.js';
import type { MirrorState } from './state.js';
import { LeaseLostError } from '../store/lease.js';
import { retryAfterOf, retryDelayMs, type RetryPolicy } from '../util/retry.js';
import { sleep } from '../util/sleep.js';

/** What the loop keeps up to date on the follower's status. */
export interface LoopStatus {
  /** this process follows the feed (false: another daemon on the database does, or none may) */
  following: boolean;
  caughtUp: boolean;
  failures: number;
  lastError: string | null;
  nextRetryAt: number | null;
}

export interface FeedLoopOptions {
  /** for the logs: "the upstream", "the upstream KV feed", … */
  feed: string;
  upstream: string;
  state: Pick<MirrorState, 'claim' | 'release'>;
  config: Pick<MirrorConfig, 'pollIntervalMs' | 'backoffBaseMs' | 'backoffMaxMs'>;
  log: Logger;
  status: LoopStatus;
  /** one page from the cursor; `full`: more are waiting */
  syncOnce(signal: AbortSignal): Promise<{ full: boolean }>;
  /** while true no process may follow (an alarm about the upstream's log stands) */
  blocked?: () => boolean;
  /** false ends the loop for good (the upstream has no such feed) */
  wanted?: () => boolean;
}

/**
 * The waits after upstream failures, as the one retry policy: never given up, doubling from
 * backoffBaseMs to backoffMaxMs with jitter, and at least an upstream's Retry-After (up to
 * backoffMaxMs, so a hostile upstream cannot park the mirror for longer).
 */
export function mirrorRetryPolicy(config: Pick<MirrorConfig, 'backoffBaseMs' | 'backoffMaxMs'>): RetryPolicy {
  return { attempts: Infinity, baseMs: config.backoffBaseMs, capMs: config.backoffMaxMs, factor: 2, jitter: 0.25, maxRetryAfterMs: config.backoffMaxMs };
}

export class FeedLoop {
  private controller: AbortController | null = null;
  private loop: Promise<void> | null = null;
  private readonly retries: RetryPolicy;

  constructor(private readonly o: FeedLoopOptions) {
    this.retries = mirrorRetryPolicy(o.config);
  }

  start(): void {
    if (this.loop) return;
    this.controller = new AbortController();
    this.loop = this.run(this.controller.signal);
  }

  /** Stop polling; an in-flight page finishes its commit (or is replayed after restart). */
  async stop(): Promise<void> {
    this.controller?.abort();
    await this.loop;
    this.loop = null;
  }

  private async run(signal: AbortSignal): Promise<void> {
    const { o } = this;
    const s = o.status;
    while (!signal.aborted && (o.wanted?.() ?? true)) {
      let wait = o.config.pollIntervalMs;
      try {
        // The cursor is read from the database on every page, so a daemon taking over goes on
        // from where the last holder committed.
        if (o.blocked?.() || !o.state.claim()) {
          this.standBy();
        } else {
          s.following = true;
          const r = await o.syncOnce(signal);
          s.failures = 0;
          s.lastError = null;
          s.nextRetryAt = null;
          if (r.full) wait = 0;
        }
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof LeaseLostError) {
          o.log.info({ upstream: o.upstream }, `mirror: another daemon follows ${o.feed} now; standing by`);
          this.standBy();
        } else {
          s.failures++;
          s.lastError = (err as Error).message;
          wait = retryDelayMs(this.retries, s.failures, { retryAfterMs: retryAfterOf(err) });
          s.nextRetryAt = Date.now() + wait;
          o.log.warn({ err: s.lastError, failures: s.failures, retryInMs: wait }, `mirror: ${o.feed} failed; backing off`);
        }
      }
      if (wait > 0) await sleep(wait, signal);
    }
    o.state.release();
    s.following = false;
  }

  private standBy(): void {
    if (this.o.status.following) this.o.state.release();
    this.o.status.following = false;
    this.o.status.caughtUp = false;
  }
}
