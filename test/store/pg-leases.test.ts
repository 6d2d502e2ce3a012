/**
 * Work claimed with leases on one PostgreSQL database by two connections (two daemons' worth):
 * the checkers' due bindings and the archive outbox's Avatars are each claimed by one of them,
 * and a claim whose holder went away (its connection closed) is taken over after its lease.
 *
 * @postgres-only: it runs in the postgres project alone (vitest.config.ts), on a fresh database
 * of the project's server.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutboxStore } from '../../src/archive/outbox-store.js';
import { CheckStore } from '../../src/checkers/check-store.js';
import { SCHEMA } from '../../src/schema.js';
import { Bindings, type Db } from '../../src/store/index.js';
import { Reader } from '../../src/store/read.js';
import { migrate } from '../../src/store/migrate.js';
import { PgDb } from '../../src/store/postgres.js';
import { freshDatabase, testEngine } from '../helpers/postgres.js';
import { waitFor } from '../archive/helpers.js';

let url: string;
let one: Db;
let two: Db;
// A statement that waits on another connection's lock fails after 3 s rather than hanging the file.
const connect = () => new PgDb({ url, statementTimeoutMs: 3_000, connectTimeoutMs: 5_000 });

beforeEach(() => {
  const engine = testEngine();
  if (engine.engine !== 'postgres') throw new Error('this file runs in the postgres project');
  url = freshDatabase(engine.baseUrl);
  one = connect();
  migrate(one, SCHEMA);
  two = connect();
});
afterEach(() => {
  if (one.open) one.close();
  two.close();
});

/** n Avatars, each with one link and one twitter binding (ids 1..n). */
function seed(db: Db, n: number): void {
  db.transaction(() => {
    for (let i = 1; i <= n; i++) {
      db.prepare('INSERT INTO avatars (id, avatar, public_key, link_count, activated_at, updated_at) VALUES (?, ?, ?, 1, 0, 0)').run(i, `0x02${String(i).padStart(64, '0')}`, `04${i}`);
      db.prepare(`INSERT INTO links (id, avatar_id, seq, prev, action, platform, identity, proof_location, created_at, uuid, signature, signature_payload, extra, received_at)
        VALUES (?, ?, 0, NULL, 'create', 'twitter', ?, '1', 0, ?, ?, '', '{}', 0)`).run(i, i, `u${i}`, `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, `s${i}`);
      db.prepare(`INSERT INTO bindings (id, avatar_id, platform, identity, link_id, created_at, status, is_valid, updated_at) VALUES (?, ?, 'twitter', ?, ?, 0, 'valid', 1, 0)`).run(i, i, `u${i}`, i);
    }
  })();
}

describe('check leases', () => {
  it('two daemons claim disjoint due bindings; a dead holder\'s are taken over after the lease', () => {
    seed(one, 20);
    const a = new CheckStore(one, new Bindings(one));
    const b = new CheckStore(two, new Bindings(two));
    const now = 2_000_000_000;
    for (let i = 1; i <= 20; i++) a.schedule(i, i, 'twitter', now, null);
    const byA = a.claimDue('twitter', now, 8, 60);
    const byB = b.claimDue('twitter', now, 8, 60);
    const rest = a.claimDue('twitter', now, 8, 60);
    expect(byA).toHaveLength(8);
    expect(byB).toHaveLength(8);
    expect(rest).toHaveLength(4);
    expect(new Set([...byA, ...byB, ...rest]).size).toBe(20);
    // `running` ones are not claimed twice by their own daemon either.
    expect(b.claimDue('twitter', now + 61, 20, 60, new Set(byB))).toHaveLength(12);

    one.close(); // daemon A died with its checks in flight
    const later = now + 61 + 61;
    const taken = b.claimDue('twitter', later, 20, 60);
    expect(taken.sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(b.claimDue('twitter', later, 20, 60)).toEqual([]);
  });

  it('a claim skips the rows another daemon is claiming right now (its transaction still open)', () => {
    seed(one, 10);
    const a = new CheckStore(one, new Bindings(one));
    const b = new CheckStore(two, new Bindings(two));
    const now = 2_000_000_000;
    for (let i = 1; i <= 10; i++) a.schedule(i, i, 'twitter', now, null);
    // B claims while A's claim is uncommitted: read-then-lease would read A's rows as due and
    // wait on their locks (here: forever, one process); the claim skips them instead.
    let byB: number[] = [];
    const byA = one.transaction(() => {
      const mine = a.claimDue('twitter', now, 6, 60);
      byB = b.claimDue('twitter', now, 10, 60);
      return mine;
    })();
    expect(byA).toHaveLength(6);
    expect(byB).toHaveLength(4);
    expect(new Set([...byA, ...byB]).size).toBe(10);
  });
});

describe('archive leases', () => {
  it('an Avatar is archived by one daemon at a time; a dead holder\'s are taken over after the lease; the queue is the table\'s', () => {
    seed(one, 4);
    const a = new OutboxStore(one, new Reader(one), undefined, { leaseMs: 1000 });
    const b = new OutboxStore(two, new Reader(two), undefined, { leaseMs: 1000 });
    const now = Date.now();
    for (let i = 1; i <= 4; i++) a.enqueue({ avatarId: i, seq: 0 }, now - 10_000);
    // The other daemon's queue summary sees jobs it did not enqueue (no in-memory index).
    expect(b.summary()).toMatchObject({ jobs: 4, avatars: 4 });

    const byA = a.due(now, 0, 2).map((d) => d.avatar_id);
    const byB = b.due(now, 0, 10).map((d) => d.avatar_id);
    expect(byA).toHaveLength(2);
    expect(byB).toHaveLength(2);
    expect(new Set([...byA, ...byB]).size).toBe(4);
    expect(a.holds(byA[0]!)).toBe(true);
    expect(b.holds(byA[0]!)).toBe(false);
    // A job enqueued (by B's API) for an Avatar A is running waits for A's run: never two runs at once.
    b.enqueue({ avatarId: byA[0]!, seq: 1 }, now - 10_000);
    expect(b.due(now, 0, 10, new Set(byB))).toEqual([]);
    // Its own leases it may claim again (the worker leaves out what it runs, as `busy`).
    expect(b.due(now, 0, 10).map((d) => d.avatar_id).sort()).toEqual([...byB].sort());
    // Released at the end of B's runs: free again at once, for either daemon.
    for (const id of byB) b.release(id);
    expect(a.due(now, 0, 10, new Set(byA)).map((d) => d.avatar_id).sort()).toEqual([...byB].sort());

    one.close(); // daemon A died mid-run
    expect(b.due(now + 500, 0, 10)).toEqual([]);
    const taken = b.due(now + 1001, 0, 10).map((d) => d.avatar_id);
    expect(taken.sort()).toEqual([1, 2, 3, 4]);
    expect(b.holds(byA[0]!, now + 1001)).toBe(true);
  });

  it('one daemon polls the posted transactions; when its connection ends another takes over at once', async () => {
    const a = new OutboxStore(one, new Reader(one));
    const b = new OutboxStore(two, new Reader(two));
    expect(a.confirmer()).toBe(true);
    expect(b.confirmer()).toBe(false);
    expect(a.confirmer()).toBe(true); // kept, not taken twice
    one.close();
    // The server frees a session's locks when its backend exits, which follows the close by a
    // moment: b takes over on its next poll after that (no lease time to wait out).
    await waitFor('the other daemon to take over the confirm loop', () => b.confirmer(), 5_000, 10);
  });
});
