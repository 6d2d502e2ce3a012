/**
 * Rate limits as seen by the platform: request arrival times at the fake server never exceed
 * `intervalCap` per `intervalMs` (sliding), nor `concurrency` at once; a 429's Retry-After
 * silences the platform until it has passed.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { nobleBackend } from '../../src/core/index.js';
import { CheckRunner } from '../../src/checkers/runner.js';
import { FakePlatforms } from '../../scripts/lib/fake-platforms.js';
import { AVATAR, postFor, signedLink, testConfig } from './helpers.js';

let fake: FakePlatforms;
beforeAll(async () => {
  fake = await FakePlatforms.start();
});
afterAll(async () => {
  await fake.close();
});

/** Most arrivals within any window of `ms` (starting at an arrival). */
function maxInWindow(times: number[], ms: number): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < t.length; i++) {
    while (t[i]! - t[j]! >= ms) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

it('never more than intervalCap requests per interval, nor more than concurrency at once', async () => {
  const cap = 4;
  const interval = 500;
  const runner = new CheckRunner({
    config: testConfig(fake, (c) => (c.platforms.twitter.limit = { intervalCap: cap, intervalMs: interval, concurrency: 2 })),
    backend: nobleBackend,
  });
  fake.delayMs = 40;
  fake.maxInFlight = 0;
  const links = Array.from({ length: 16 }, (_, i) => {
    const link = signedLink({ platform: 'twitter', identity: 'nextid_test', proof_location: String(5000 + i) });
    fake.tweets.set(link.proof_location!, { text: postFor(link), authorId: '1', username: 'nextid_test' });
    return link;
  });
  const start = fake.requests.length;
  const t0 = performance.now();
  const results = await Promise.all(links.map((link) => runner.run({ avatar: AVATAR, link, altId: null }, { signal: new AbortController().signal })));
  const elapsed = performance.now() - t0;
  fake.delayMs = 0;
  await runner.close();
  expect(results.every((r) => r.kind === 'valid')).toBe(true);
  const times = fake.requests.slice(start).map((r) => r.at);
  expect(times).toHaveLength(16);
  // Counted at the server, on arrival, with no tolerance.
  expect(maxInWindow(times, interval)).toBeLessThanOrEqual(cap);
  expect(fake.maxInFlight).toBeLessThanOrEqual(2);
  // 16 requests at 4 per 500 ms need at least three full intervals after the first burst
  expect(elapsed).toBeGreaterThanOrEqual(3 * interval - 25);
  expect(maxInWindow(times, 2 * interval)).toBeLessThanOrEqual(2 * cap);
});

it('after a 429 no request reaches the platform before Retry-After has passed', async () => {
  const runner = new CheckRunner({ config: testConfig(fake), backend: nobleBackend });
  const link = signedLink({ platform: 'discord', identity: 'alice', proof_location: 'https://discord.com/channels/1/2/3' });
  fake.discord.set('2/3', { content: postFor(link), author: { id: '1', username: 'alice' } });
  fake.retryAfterSeconds = 1;
  fake.fault.discord = 'http429';
  const first = await runner.run({ avatar: AVATAR, link, altId: null }, { signal: new AbortController().signal });
  expect(first).toMatchObject({ kind: 'transient', code: 'RATE_LIMITED', retryAfterMs: 1000 });
  const limitedAt = fake.requests.filter((r) => r.platform === 'discord').at(-1)!.at;
  delete fake.fault.discord;
  const before = fake.requests.length;
  const again = await Promise.all([1, 2, 3].map(() => runner.run({ avatar: AVATAR, link, altId: null }, { signal: new AbortController().signal })));
  expect(again.every((r) => r.kind === 'valid')).toBe(true);
  const later = fake.requests.slice(before).map((r) => r.at);
  expect(later).toHaveLength(3);
  for (const t of later) expect(t - limitedAt).toBeGreaterThanOrEqual(1000);
  await runner.close();
});

it('a cancelled check stops waiting in the queue and sends nothing', async () => {
  const runner = new CheckRunner({
    config: testConfig(fake, (c) => (c.platforms.minds.limit = { intervalCap: 1, intervalMs: 10_000, concurrency: 1 })),
    backend: nobleBackend,
  });
  const link = signedLink({ platform: 'minds', identity: 'alice', proof_location: '77' });
  fake.minds.set('77', { message: postFor(link), owner: { guid: '1', username: 'alice' } });
  const before = fake.count('minds');
  expect(await runner.run({ avatar: AVATAR, link, altId: null }, { signal: new AbortController().signal })).toMatchObject({ kind: 'valid' });
  const ac = new AbortController();
  const pending = runner.run({ avatar: AVATAR, link, altId: null }, { signal: ac.signal });
  // Abort once the check is really waiting for the window (running in the queue, nothing sent),
  // not after a fixed delay a slow machine may not have reached yet.
  const http = runner.http.get('minds')!;
  while (http.queue.pending === 0) await new Promise((r) => setImmediate(r));
  expect(fake.count('minds')).toBe(before + 1);
  ac.abort();
  await expect(pending).rejects.toThrow(/cancelled/);
  expect(fake.count('minds')).toBe(before + 1);
  await runner.close();
});
