/**
 * Several daemons on one PostgreSQL database, all configured as mirrors of the same upstream:
 * exactly one follows each of its feeds (links, KV, the log it witnesses) at a time; when that
 * daemon goes, another takes over from what the database says, and the mirror converges with
 * no link stored twice and no cursor moved backwards. PostgreSQL only: on SQLite one process
 * owns the file, so there is nothing to share.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, queryIndex, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { freshDatabase, testEngine } from '../helpers/postgres.js';
import { chainDoc, health, populate, until, type Population } from './helpers.js';

const engine = testEngine();

describe.skipIf(engine.engine !== 'postgres')('mirror: several daemons on one database', () => {
  let origin: TestDaemon;
  let m1: TestDaemon;
  let m2: TestDaemon;
  const stopped = new Set<TestDaemon>();
  let first: Population;

  beforeAll(async () => {
    if (engine.engine !== 'postgres') return;
    origin = await startDaemon({ 'crypto.workers': 1, 'tlog.checkpointIntervalMs': 50 });
    first = await populate(origin.url, 'tko', 4, 5);
    const vkey = (await health(origin.url)).tlog.verifier_key as string;
    const shared = freshDatabase(engine.baseUrl);
    const mirrorOf = (extra: Record<string, unknown>) => startDaemon({
      'crypto.workers': 1, 'store.engine': 'postgres', 'store.postgres.url': shared,
      'mirror.upstream': origin.url, 'mirror.pageSize': 5, 'mirror.pollIntervalMs': 50, 'mirror.backoffBaseMs': 20, 'mirror.backoffMaxMs': 200,
      'mirror.upstreamVerifierKey': vkey, 'mirror.witnessName': 'takeover.test/witness', ...extra,
    });
    m1 = await mirrorOf({});
    // One witness, one key, and one log key: the daemons of a deployment share the key files.
    m2 = await mirrorOf({ 'mirror.witnessKeyFile': `${m1.dir}/witness.key`, 'tlog.keyFile': `${m1.dir}/log.key` });
  }, 120_000);
  afterAll(async () => {
    for (const d of [m1, m2, origin]) if (d && !stopped.has(d)) await d.stop();
  });

  type Feed = 'links' | 'kv' | 'log' | 'subkeys';
  const following = (h: any, feed: Feed): boolean | undefined =>
    feed === 'links' ? h.mirror?.following : feed === 'kv' ? h.mirror?.kv?.following : feed === 'subkeys' ? h.subkeys?.following : h.mirror?.witness?.following;
  const followers = async (ds: TestDaemon[], feed: Feed) => {
    const hs = await Promise.all(ds.map((d) => health(d.url)));
    return ds.filter((_, i) => following(hs[i], feed) === true);
  };
  const cursors = (d: TestDaemon) => queryIndex<{ upstream: string; cursor: number }>(d, 'SELECT upstream, cursor FROM mirror_state');

  it('only one daemon follows each feed; when it stops, another takes over and the mirror converges', async () => {
    const both = [m1, m2];
    for (const feed of ['links', 'kv', 'log', 'subkeys'] as const) {
      await until(`a ${feed} follower`, () => followers(both, feed), (f) => f.length === 1, 20_000);
    }
    const size1 = (await health(origin.url)).tlog.size as number;
    await until('the first links mirrored', () => health(m1.url), (h) => h.mirror.cursor === size1 && h.mirror.witness?.cosigned?.size === size1, 20_000);
    // Several passes later, still exactly one follower of each feed.
    for (let i = 0; i < 5; i++) {
      for (const feed of ['links', 'kv', 'log', 'subkeys'] as const) expect(await followers(both, feed), feed).toHaveLength(1);
      await new Promise((r) => setTimeout(r, 60)); // spread the samples over passes (the condition is checked each time)
    }
    const holder = (await followers(both, 'links'))[0]!;
    const other = holder === m1 ? m2 : m1;
    const before = new Map(cursors(other).map((c) => [c.upstream, c.cursor]));
    expect(before.get(origin.url)).toBe(size1);

    // The holder goes; its connection closes and the other daemon's next pass takes the feeds.
    await holder.stop();
    stopped.add(holder);
    const second = await populate(origin.url, 'tkp', 3, 4);
    const size2 = (await health(origin.url)).tlog.size as number;
    const h = await until('the other daemon caught up', () => health(other.url), (x) =>
      x.mirror.following === true && x.mirror.cursor === size2 && x.mirror.witness?.following === true && x.mirror.witness.cosigned?.size === size2, 30_000);
    expect(h.mirror.faults).toBe(0);
    expect(h.mirror.witness.alarm).toBeNull();
    // the rebuilt tree was reloaded from the table (the leaves the holder added), then extended
    expect(h.mirror.witness.rebuilt_size).toBe(size2);
    expect(h.store.links).toBe(first.links + second.links);

    // no cursor moved backwards, no link stored twice
    for (const c of cursors(other)) {
      expect(c.cursor, c.upstream).toBeGreaterThanOrEqual(before.get(c.upstream) ?? 0);
    }
    const [dup] = queryIndex<{ n: number; d: number }>(other, 'SELECT count(*) AS n, count(DISTINCT signature) AS d FROM links');
    expect(dup).toEqual({ n: first.links + second.links, d: first.links + second.links });
    const [leaves] = queryIndex<{ n: number; top: number }>(other, 'SELECT count(*) AS n, max(idx) AS top FROM mirror_leaves');
    expect(leaves).toEqual({ n: size2, top: size2 - 1 });
    for (const av of [...first.avatars, ...second.avatars]) {
      const [o, m] = await Promise.all([chainDoc(origin.url, av), chainDoc(other.url, av)]);
      expect(m.text).toBe(o.text);
    }
    // the stopped daemon holds nothing on the server any more: every advisory lock on the database is the survivor's
    const [locks] = queryIndex<{ n: number; pids: number }>(other,
      "SELECT count(*) AS n, count(DISTINCT pid) AS pids FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())");
    expect(locks).toEqual({ n: expect.any(Number), pids: 1 });
    expect(locks!.n).toBeGreaterThanOrEqual(3); // the links, KV and log feeds
    expect((await json(`${other.url}/v1/mirror/faults`)).body.total).toBe(0);
  }, 90_000);
});
