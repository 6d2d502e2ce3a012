/**
 * The benchmark's fake platforms (scripts/lib/fake-platforms.ts) in a process of their own, so
 * their CPU is neither the client's nor the daemon's. Prints `{"port":N}` once listening; takes
 * `{tweets: [[id, tweet], …]}` over IPC and answers `{ok: n}` once they are served.
 */
import { FakePlatforms, type Tweet } from '../lib/fake-platforms.js';

const fake = await FakePlatforms.start();
process.stdout.write(`${JSON.stringify({ port: fake.port })}\n`);
process.on('message', (m: { tweets?: Array<[string, Tweet]> }) => {
  for (const [id, t] of m.tweets ?? []) fake.tweets.set(id, t);
  // The request log grows with every answer; the benchmark does not need it.
  fake.requests.length = 0;
  process.send?.({ ok: fake.tweets.size });
});
process.on('disconnect', () => void fake.close().then(() => process.exit(0)));
