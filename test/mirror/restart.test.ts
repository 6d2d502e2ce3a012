/**
 * A mirror process (the real CLI: `proofkeep serve --mirror URL`) killed with SIGKILL in the
 * middle of a sync and started again on the same data directory: it resumes from its cursor,
 * loses nothing and stores nothing twice. The origin is slowed by a small proxy so the kill
 * reliably lands mid-sync.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe } from '../helpers/cli.js';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { serve, type TestServer } from '../audit/helpers.js';
import { chainDoc, health, populate, until, type Population } from './helpers.js';

let origin: TestDaemon;
let proxy: TestServer;
let pop: Population;
const dir = mkdtempSync(join(tmpdir(), 'pk-mirror-restart-'));
const children: Array<{ kill(sig?: NodeJS.Signals): boolean; exitCode: number | null }> = [];

beforeAll(async () => {
  origin = await startDaemon({ 'crypto.workers': 1 });
  pop = await populate(origin.url, 'restart', 20, 20);
  proxy = await serve((req, res) => {
    const delay = (req.url ?? '').startsWith('/v1/proofchain/changes') ? 25 : 0;
    setTimeout(async () => {
      try {
        const r = await fetch(`${origin.url}${req.url}`);
        res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' }).end(Buffer.from(await r.arrayBuffer()));
      } catch {
        res.writeHead(502).end();
      }
    }, delay);
  });
}, 120_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await proxy?.close();
  await origin?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const ENV = {
  PROOFKEEP_MIRROR_PAGE_SIZE: '5',
  PROOFKEEP_MIRROR_POLL_INTERVAL_MS: '50',
  PROOFKEEP_MIRROR_BACKOFF_BASE_MS: '50',
  PROOFKEEP_CRYPTO_WORKERS: '1',
  PROOFKEEP_LOG_LEVEL: 'warn',
  PROOFKEEP_ARCHIVE_ENABLED: 'false', // not what this test is about (and seconds per start)
};

describe('mirror: killed mid-sync and restarted', () => {
  it('resumes from its cursor; nothing lost, nothing duplicated', async () => {
    const args = ['--data-dir', dir, '--host', '127.0.0.1', '--port', '0', '--mirror', proxy.url];
    const first = await startServe(args, ENV);
    children.push(first.child);
    const mid = await until('first sync under way', () => health(first.url), (b) => b.mirror?.cursor >= 100, 60_000, 10);
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    expect(mid.mirror.cursor).toBeLessThan(pop.links); // the kill landed mid-sync
    // /healthz told how far behind it was (a proofkeep upstream reports its newest link id)
    expect(mid.mirror.caught_up).toBe(false);
    expect(mid.mirror.behind).toBe(pop.links - mid.mirror.cursor);

    const second = await startServe(args, ENV);
    children.push(second.child);
    const resumed = await health(second.url);
    expect(resumed.mirror.cursor).toBeGreaterThanOrEqual(mid.mirror.cursor); // from the persisted cursor, not 0
    await until('caught up after restart', () => health(second.url), (b) => b.mirror.cursor === pop.links && b.mirror.caught_up === true, 60_000);
    for (const a of pop.avatars) expect((await chainDoc(second.url, a)).text).toBe((await chainDoc(origin.url, a)).text);
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));

    const db = new Database(join(dir, 'proofkeep.sqlite'), { readonly: true });
    try {
      const n = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
      // Duplicates are impossible by the schema's UNIQUE keys; what can go wrong is a lost link
      // (a count below the origin's) or a bad one taken into quarantine.
      expect(n('SELECT count(*) AS n FROM links')).toBe(pop.links);
      expect(n('SELECT count(*) AS n FROM mirror_faults')).toBe(0);
      expect(n('SELECT max(cursor) AS n FROM mirror_state')).toBe(pop.links);
    } finally {
      db.close();
    }
  }, 180_000);
});
