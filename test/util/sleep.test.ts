import { describe, expect, it } from 'vitest';
import { sleep } from '../../src/util/sleep.js';

describe('sleep', () => {
  it('resolves true when the time passes', async () => {
    expect(await sleep(0)).toBe(true);
  });

  it('resolves false at once when the signal aborts (already, or during the wait)', async () => {
    expect(await sleep(60_000, AbortSignal.abort())).toBe(false);
    const ac = new AbortController();
    const waiting = sleep(60_000, ac.signal);
    ac.abort();
    // a 60 s timer still pending would keep this test running until the vitest timeout
    expect(await waiting).toBe(false);
  });
});
