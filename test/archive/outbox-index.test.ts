import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePublicKey } from '../../src/core/index.js';
import { OutboxStore } from '../../src/archive/outbox-store.js';
import type { Db, Store } from '../../src/store/index.js';
import { openAll } from '../helpers/db.js';
import { Signer } from './helpers.js';

// The outbox keeps which Avatars have pending jobs in memory; the jobs table stays the truth.
describe('outbox pending index', () => {
  let dir: string;
  let db: Db;
  let store: Store;
  let outbox: OutboxStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pk-outbox-index-'));
    ({ db, store } = openAll(join(dir, 'db.sqlite'), { groupCommitMs: 1 }));
    outbox = new OutboxStore(db, store.read);
    store.onAppend((ev) => outbox.enqueue(ev));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const append = async (s: Signer, n: number) => {
    const avatar = parsePublicKey(s.id);
    const outs = await store.appendLinks(Array.from({ length: n }, () => ({ avatar, link: s.next() })));
    expect(outs.every((o) => o.ok)).toBe(true);
  };
  const id = (s: Signer) => store.avatarRow(s.id)!.id;
  /** What the table says, the way the GROUP BY used to compute it. */
  const fromTable = () =>
    db
      .prepare(
        `SELECT COUNT(*) AS jobs, COUNT(DISTINCT avatar_id) AS avatars, MIN(enqueued_at) AS oldest_enqueued_at,
           COUNT(DISTINCT CASE WHEN attempts > 0 THEN avatar_id END) AS failing_avatars
         FROM archive_jobs WHERE state = 'pending'`,
      )
      .get();

  it('answers due Avatars and the queue summary as the table does, through enqueue, fail and complete', async () => {
    const [a, b, c] = [new Signer('idx-a'), new Signer('idx-b'), new Signer('idx-c')];
    await append(a, 3);
    expect(outbox.summary()).toEqual(fromTable()); // loaded from the table
    await append(b, 2);
    await append(c, 1);
    expect(outbox.summary()).toEqual(fromTable()); // maintained by enqueue
    const now = Date.now() + 10_000;
    expect(outbox.due(now, 0, 10).map((d) => d.avatar_id)).toEqual([id(a), id(b), id(c)]);
    expect(outbox.due(now, 0, 10)[0]).toMatchObject({ max_count: 3, attempts: 0 });
    expect(outbox.due(Date.now() - 60_000, 0, 10)).toEqual([]); // nothing older than the window
    expect(outbox.due(now, 0, 10, new Set([id(a)])).map((d) => d.avatar_id)).toEqual([id(b), id(c)]);
    expect(outbox.due(now, 0, 1)).toHaveLength(1);

    outbox.fail(id(b), now + 5_000, 'gateway down');
    expect(outbox.summary()).toEqual(fromTable());
    expect(outbox.summary().failing_avatars).toBe(1);
    expect(outbox.due(now, 0, 10).map((d) => d.avatar_id)).toEqual([id(a), id(c)]); // b backs off
    expect(outbox.due(now + 5_000, 0, 10).map((d) => d.avatar_id)).toContain(id(b));

    // a covered up to 2 of its 3 links: one job left, still pending
    expect(outbox.complete(id(a), 2, 0)).toBe(2);
    expect(outbox.summary()).toEqual(fromTable());
    expect(outbox.due(now, 0, 10).find((d) => d.avatar_id === id(a))).toMatchObject({ max_count: 3 });
    expect(outbox.complete(id(a), 3, 0)).toBe(1);
    expect(outbox.complete(id(c), 1, 0)).toBe(1);
    expect(outbox.summary()).toEqual(fromTable());
    expect(outbox.due(now + 5_000, 0, 10).map((d) => d.avatar_id)).toEqual([id(b)]);

    // a second outbox on the same table (a restart) starts from the same state
    expect(new OutboxStore(db, store.read).summary()).toEqual(outbox.summary());
  });

  it('drops an entry the table does not back (its enqueue rolled back) when the Avatar is refreshed', async () => {
    const a = new Signer('idx-rollback');
    await append(a, 1);
    expect(outbox.summary().jobs).toBe(1);
    expect(() =>
      db.transaction(() => {
        outbox.enqueue({ avatarId: id(a), seq: 1 });
        throw new Error('a later write of the append failed');
      })(),
    ).toThrow(/later write/);
    // SQLite: the index over-counts until the Avatar is looked at. PostgreSQL (other daemons
    // write too): no index, the summary is the table's at once.
    expect(outbox.summary().jobs).toBe(db.dialect === 'postgres' ? 1 : 2);
    expect(outbox.refresh(id(a))).toBe(true);
    expect(outbox.summary()).toEqual(fromTable());
    outbox.complete(id(a), 1, 0);
    expect(outbox.refresh(id(a))).toBe(false);
    expect(outbox.summary()).toEqual({ jobs: 0, avatars: 0, oldest_enqueued_at: null, failing_avatars: 0 });
  });

  it('leaves the connection at synchronous = FULL after its relaxed step records; a step inside a transaction joins it', async () => {
    const a = new Signer('idx-sync');
    await append(a, 1);
    const v = outbox.insertVersion({ avatarId: id(a), linkCount: 1, headUuid: 'u', cid: 'bagaaiera', size: 1, ipfs: 'pending', kubo: 'disabled', arweave: 'pending' });
    outbox.setIpfs(v.id, 'pinned');
    outbox.recordSigned(v.id, { id: 'tx-1', json: { id: 'tx-1' } }, null);
    await outbox.durable();
    // SQLite's FULL is synchronous = 2; PostgreSQL's counterpart is synchronous_commit = on.
    if (db.dialect === 'postgres') expect(db.prepare("SELECT current_setting('synchronous_commit') AS s").pluck().get()).toBe('on');
    else expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(outbox.versionById(v.id)).toMatchObject({ ipfs_status: 'pinned', arweave_status: 'signed', tx_id: 'tx-1' });
    // a step inside someone's transaction joins it (the safety level cannot change there)
    db.transaction(() => outbox.markPosted(v.id))();
    expect(outbox.versionById(v.id)!.arweave_status).toBe('posted');
  });
});
