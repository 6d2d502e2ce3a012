// @postgres-only: several daemons on one PostgreSQL database sign one log.
/**
 * Every daemon on one database must sign the log with the same key and origin: a second daemon
 * whose data dir made a key of its own refuses to start, naming the setting to fix, and one
 * given the first daemon's key file starts and serves the same checkpoint.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestAvatar } from '../helpers/avatar.js';
import { json, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { freshDatabase, testEngine } from '../helpers/postgres.js';

let first: TestDaemon;
let url = '';
const pg = (): Record<string, unknown> => ({ 'store.engine': 'postgres', 'store.postgres.url': url, 'tlog.checkpointIntervalMs': 50, 'tlog.origin': 'shared-key.test/log' });

beforeAll(async () => {
  const engine = testEngine();
  if (engine.engine !== 'postgres') throw new Error('runs in the postgres project');
  url = freshDatabase(engine.baseUrl);
  first = await startDaemon(pg());
  const a = new TestAvatar('shared-key');
  expect((await a.bind(first.url, 'twitter', 'sharedkey')).status).toBe(201);
}, 120_000);

afterAll(async () => {
  await first?.stop();
});

async function signedSize(d: TestDaemon): Promise<number> {
  for (;;) {
    const h = await json(`${d.url}/healthz`);
    if ((h.body.tlog?.checkpoint?.size ?? 0) > 0) return h.body.tlog.checkpoint.size;
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('one log key per database', () => {
  it('refuses a daemon with a key of its own; starts one with the shared key file', async () => {
    const size = await signedSize(first);
    expect(size).toBeGreaterThan(0);
    await expect(startDaemon(pg())).rejects.toThrow(/signed by another key or origin .*same tlog\.keyFile and tlog\.origin/);
    const second = await startDaemon({ ...pg(), 'tlog.keyFile': `${first.dir}/log.key` });
    try {
      const [c1 = '', c2 = ''] = await Promise.all([first, second].map(async (d) => (await fetch(`${d.url}/checkpoint`)).text()));
      expect(c2.split('\n')[0]).toBe('shared-key.test/log');
      expect(c1.split('\n').slice(0, 3)).toEqual(c2.split('\n').slice(0, 3));
    } finally {
      await second.stop();
    }
  });
});
