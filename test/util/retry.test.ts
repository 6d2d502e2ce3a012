import { describe, expect, it } from 'vitest';
import { parseRetryAfter, retry, retryAfterOf, retryDelayMs, type RetryPolicy } from '../../src/util/retry.js';
import type { Sleep } from '../../src/util/sleep.js';

const policy: RetryPolicy = { attempts: 5, baseMs: 100, capMs: 1000, factor: 2, jitter: 0.5 };
const mid = () => 0.5;

/** A sleep that records the waits and returns at once (true = the time "passed"). */
function fakeSleep(): { sleep: Sleep; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms, signal) => (waits.push(ms), !signal?.aborted) };
}

describe('retryDelayMs', () => {
  it('grows by factor per failure and is capped', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(policy, n, { random: mid }))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(retryDelayMs({ ...policy, factor: 3 }, 3, { random: mid })).toBe(900);
    // a long outage neither overflows nor goes below 1 ms
    expect(retryDelayMs(policy, 10_000, { random: mid })).toBe(1000);
    expect(retryDelayMs({ ...policy, baseMs: 0 }, 1, { random: mid })).toBe(1);
  });

  it('jitter scales within [1 - jitter, 1 + jitter] and never exceeds the cap', () => {
    expect(retryDelayMs(policy, 2, { random: () => 0 })).toBe(100);
    expect(retryDelayMs(policy, 2, { random: () => 1 })).toBe(300);
    expect(retryDelayMs(policy, 4, { random: () => 1 })).toBe(1000);
    expect(retryDelayMs({ ...policy, jitter: 0 }, 2, { random: () => 1 })).toBe(200);
  });

  it('honours Retry-After up to maxRetryAfterMs, and only when the policy says so', () => {
    expect(retryDelayMs(policy, 1, { random: mid, retryAfterMs: 5000 })).toBe(100);
    const honour = { ...policy, maxRetryAfterMs: 3000 };
    expect(retryDelayMs(honour, 1, { random: mid, retryAfterMs: 2500 })).toBe(2500);
    expect(retryDelayMs(honour, 1, { random: mid, retryAfterMs: 60_000 })).toBe(3000);
    expect(retryDelayMs(honour, 4, { random: mid, retryAfterMs: 10 })).toBe(800);
  });
});

describe('parseRetryAfter and retryAfterOf', () => {
  it('reads delay-seconds and HTTP dates; garbage is undefined', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 1.5 ', now)).toBe(1500);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect([parseRetryAfter('soon', now), parseRetryAfter('-5', now), parseRetryAfter(undefined, now), parseRetryAfter(null, now)]).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('finds a Retry-After through the cause chain', () => {
    const inner = Object.assign(new Error('429'), { retryAfterMs: 700 });
    expect(retryAfterOf(new Error('outer', { cause: new Error('mid', { cause: inner }) }))).toBe(700);
    expect(retryAfterOf(new Error('none'))).toBeUndefined();
    expect(retryAfterOf(Object.assign(new Error('bad'), { retryAfterMs: NaN }))).toBeUndefined();
  });
});

describe('retry', () => {
  it('retries with the policy delays until success, without sleeping', async () => {
    const { sleep, waits } = fakeSleep();
    let calls = 0;
    const out = await retry(async (attempt) => {
      calls++;
      if (attempt < 4) throw new Error(`fail ${attempt}`);
      return 'ok';
    }, policy, { sleep, random: mid });
    expect([out, calls, waits]).toEqual(['ok', 4, [100, 200, 400]]);
  });

  it('throws the last error once the attempts are used up', async () => {
    const { sleep, waits } = fakeSleep();
    await expect(retry(async (a) => Promise.reject(new Error(`fail ${a}`)), { ...policy, attempts: 3 }, { sleep, random: mid })).rejects.toThrow('fail 3');
    expect(waits).toEqual([100, 200]);
  });

  it('throws a non-retryable error at once', async () => {
    const { sleep, waits } = fakeSleep();
    class Fatal extends Error {}
    const p = { ...policy, retryable: (e: unknown) => !(e instanceof Fatal) };
    let calls = 0;
    await expect(retry(async () => { calls++; throw calls === 1 ? new Error('transient') : new Fatal('fatal'); }, p, { sleep, random: mid })).rejects.toBeInstanceOf(Fatal);
    expect([calls, waits]).toEqual([2, [100]]);
  });

  it('waits at least the Retry-After an error carries', async () => {
    const { sleep, waits } = fakeSleep();
    let calls = 0;
    await retry(async () => {
      if (++calls === 1) throw Object.assign(new Error('429'), { retryAfterMs: 900 });
    }, { ...policy, maxRetryAfterMs: 5000 }, { sleep, random: mid });
    expect(waits).toEqual([900]);
  });

  it('stops with the signal\'s reason when aborted during a wait or before an attempt', async () => {
    const ac = new AbortController();
    const reason = new Error('stopping');
    let calls = 0;
    const sleepThenAbort: Sleep = async () => (ac.abort(reason), false);
    await expect(retry(async () => { calls++; throw new Error('down'); }, { ...policy, attempts: Infinity }, { signal: ac.signal, sleep: sleepThenAbort })).rejects.toBe(reason);
    expect(calls).toBe(1);
    await expect(retry(async () => { calls++; }, policy, { signal: ac.signal })).rejects.toBe(reason);
    expect(calls).toBe(1);
  });

  it('reports each retry before waiting', async () => {
    const { sleep } = fakeSleep();
    const seen: Array<[number, number, string]> = [];
    await retry(async (a) => { if (a < 3) throw new Error(`e${a}`); }, policy, { sleep, random: mid, onRetry: ({ failures, delayMs, error }) => seen.push([failures, delayMs, (error as Error).message]) });
    expect(seen).toEqual([[1, 100, 'e1'], [2, 200, 'e2']]);
  });
});

describe('each part\'s policy', () => {
  it('maps the mirror, checkers and archive config to the one policy', async () => {
    const { mirrorRetryPolicy } = await import('../../src/mirror/follower.js');
    const { checkerRetryPolicy, verdictPolicy } = await import('../../src/checkers/scheduler.js');
    const { checkersDefaults } = await import('../../src/checkers/config.js');
    const m = mirrorRetryPolicy({ backoffBaseMs: 1000, backoffMaxMs: 60_000 });
    expect([retryDelayMs(m, 1, { random: mid }), retryDelayMs(m, 20, { random: () => 1 }), retryDelayMs(m, 1, { random: mid, retryAfterMs: 90_000 })]).toEqual([1000, 60_000, 60_000]);
    const c = checkerRetryPolicy(checkersDefaults);
    expect([c.baseMs, c.capMs, c.maxRetryAfterMs]).toEqual([300_000, 12 * 3600_000, 3600_000]);
    // the scheduler's times are unix seconds: base 300 s, doubling, at least Retry-After
    const v = verdictPolicy(checkersDefaults, mid);
    expect([v.nextAfterTransient(1000, 1), v.nextAfterTransient(1000, 3), v.nextAfterTransient(1000, 1, 1_000_000)]).toEqual([1300, 2200, 2000]);
  });
});
