/**
 * The one retry policy, as data, and the one way to compute a delay from it. Every part that
 * retries (the archive worker and its start-up, the checkers' scheduler, the mirror's follower,
 * the auditor's fetches) describes its retries with a RetryPolicy built from its config section
 * and asks `retryDelayMs` for the wait, so jitter, caps and Retry-After are handled one way:
 *
 *   delay(n) = min(capMs, baseMs · factor^(n-1) · (1 + jitter · (2·random() - 1)))   n ≥ 1 failures
 *   then at least the server's Retry-After (itself clamped to maxRetryAfterMs), at least 1 ms.
 *
 * `retry(fn, policy)` is the loop for callers that retry inline; schedulers that keep their own
 * failure count (in SQLite, in a status object) call `retryDelayMs` directly. Time and randomness
 * are injectable (`random`, `sleep`, `now`), so tests never wait on the real clock.
 * No dependencies: this module imports nothing from the project.
 */
import { sleep as realSleep, type Sleep } from './sleep.js';

export interface RetryPolicy {
  /** attempts in all, the first included; Infinity = until the signal aborts */
  readonly attempts: number;
  /** delay before the first retry, ms */
  readonly baseMs: number;
  /** largest delay, ms (jitter never exceeds it) */
  readonly capMs: number;
  /** growth of the delay per consecutive failure */
  readonly factor: number;
  /** 0..1: each delay is scaled by a random factor in [1 - jitter, 1 + jitter] */
  readonly jitter: number;
  /** which errors are retried (default: all); the others are thrown at once */
  readonly retryable?: (err: unknown) => boolean;
  /** a server's Retry-After is honoured (the delay is at least it), clamped to this; 0 = ignored */
  readonly maxRetryAfterMs?: number;
}

/** An error that says when to try again (a 429/503 with Retry-After); found through `cause` too. */
export interface RetryAfterCarrier {
  retryAfterMs?: number | undefined;
}

/** The Retry-After of an error or of any error in its `cause` chain, if one says. */
export function retryAfterOf(err: unknown): number | undefined {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const ms = (e as RetryAfterCarrier).retryAfterMs;
    if (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0) return ms;
  }
  return undefined;
}

/**
 * A Retry-After header value in ms: delay-seconds or an HTTP date (relative to `now`).
 * Undefined when absent or unparseable. Attacker-controlled: the caller clamps it.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined || value === null) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  // every HTTP-date form starts with the day name; Date.parse alone would take "-5" as a year
  if (!/^[A-Za-z]{3}/.test(v)) return undefined;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The wait after `failures` consecutive failures (1 = before the first retry). */
export function retryDelayMs(policy: RetryPolicy, failures: number, opts: { random?: () => number; retryAfterMs?: number | undefined } = {}): number {
  const random = opts.random ?? Math.random;
  const n = Math.max(1, Math.floor(failures));
  // the exponent is bounded so a long outage cannot overflow to Infinity/NaN
  const exp = Math.min(policy.capMs, policy.baseMs * Math.pow(policy.factor, Math.min(n - 1, 64)));
  let delay = Math.min(policy.capMs, exp * (1 + policy.jitter * (2 * random() - 1)));
  const maxRa = policy.maxRetryAfterMs ?? 0;
  if (maxRa > 0 && opts.retryAfterMs !== undefined) delay = Math.max(delay, Math.min(opts.retryAfterMs, maxRa));
  return Math.max(1, Math.round(delay));
}

export interface RetryOptions {
  signal?: AbortSignal | undefined;
  random?: () => number;
  sleep?: Sleep;
  /** called before each wait (logging, status) */
  onRetry?: (info: { failures: number; delayMs: number; error: unknown }) => void;
}

/**
 * Run `fn` until it succeeds, a non-retryable error is thrown, the attempts are used up (the
 * last error is thrown) or the signal aborts (its reason is thrown).
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, policy: RetryPolicy, opts: RetryOptions = {}): Promise<T> {
  const wait = opts.sleep ?? realSleep;
  for (let attempt = 1; ; attempt++) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    try {
      return await fn(attempt);
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      if (policy.retryable && !policy.retryable(err)) throw err;
      if (attempt >= policy.attempts) throw err;
      const delayMs = retryDelayMs(policy, attempt, { ...(opts.random ? { random: opts.random } : {}), retryAfterMs: retryAfterOf(err) });
      opts.onRetry?.({ failures: attempt, delayMs, error: err });
      if (!(await wait(delayMs, opts.signal))) throw opts.signal?.reason ?? err;
    }
  }
}
