import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { nobleBackend, parsePublicKey, ProofError, verifyLink, type Link } from '../../src/core/index.js';
import { migrate, MIGRATIONS } from '../../src/store/migrations.js';
import { openDatabase, Store, type AppendItem } from '../../src/store/index.js';
import { asDb } from '../../src/store/sqlite.js';
import { TestAvatar, uuidFrom } from '../helpers/avatar.js';

const dirs: string[] = [];
function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'proofkeep-store-'));
  dirs.push(dir);
  return join(dir, 'index.sqlite');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const items = (a: TestAvatar, links: Link[]): AppendItem[] =>
  links.map((l) => ({ avatar: parsePublicKey(a.id), link: verifyLink(parsePublicKey(a.id), l, { backend: nobleBackend }), idempotent: true }));

describe('Store', () => {
  it('migrates once, survives reopening, and refuses a newer schema', async () => {
    const file = tempFile();
    const db = openDatabase({ file, migrations: MIGRATIONS });
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.at(-1)!.version);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    const s1 = new Store(db);
    const a = new TestAvatar('store-reopen');
    const out = await s1.appendLinks(items(a, a.chain(3)));
    expect(out.every((o) => o.ok)).toBe(true);
    await s1.close();
    const s2 = Store.open({ file });
    expect(s2.read.chainLinks(s2.avatarRow(a.id)!.id)).toHaveLength(3);
    await s2.close();
    const raw = new Database(file);
    raw.prepare("INSERT INTO schema_migrations VALUES (999, 'from-the-future', 0)").run();
    raw.close();
    expect(() => Store.open({ file })).toThrow(/newer version/);
  });

  it('applies a migration merged below the highest applied one (versions are recorded one by one)', () => {
    const db = asDb(new Database(':memory:'));
    const ran: number[] = [];
    const m = (version: number) => ({ version, name: `m${version}`, up: () => ran.push(version) });
    migrate(db, [m(1), m(3)]);
    migrate(db, [m(1), m(2), m(3)]);
    expect(ran).toEqual([1, 3, 2]);
    migrate(db, [m(1), m(2), m(3)]);
    expect(ran).toEqual([1, 3, 2]);
  });

  it('runs migrations in version order inside transactions', () => {
    const db = asDb(new Database(':memory:'));
    const order: number[] = [];
    migrate(db, [
      { version: 2, name: 'b', up: () => order.push(2) },
      { version: 1, name: 'a', up: () => order.push(1) },
    ]);
    expect(order).toEqual([1, 2]);
    expect(() => migrate(db, [{ version: 3, name: 'bad', up: (d) => d.exec('CREATE TABLE t(x); SELECT nonsense FROM nowhere') }])).toThrow();
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 't'").get()).toEqual({ n: 0 });
  });

  it('gives each item of a group commit its own outcome; a rejected item changes nothing', async () => {
    const s = Store.open({ file: tempFile(), groupCommitMs: 5 });
    const a = new TestAvatar('store-group');
    const [l0, l1, l2] = a.chain(3);
    const fork = a.link({ prev: l0!.signature, identity: 'fork', uuid: uuidFrom('store-fork'), created_at: 1 });
    // Three concurrent calls land in one batch; order within the batch is call order.
    const [r1, r2, r3] = await Promise.all([
      s.appendLinks(items(a, [l0!, l1!])),
      s.appendLinks(items(a, [fork])),
      s.appendLinks(items(a, [l2!, l2!])),
    ]);
    expect(r1!.map((o) => o.ok)).toEqual([true, true]);
    expect(r2![0]).toMatchObject({ ok: false });
    expect((r2![0] as { error: ProofError }).error.code).toBe('FORK');
    expect(r3!.map((o) => o.ok && o.existed)).toEqual([false, true]);
    const row = s.avatarRow(a.id)!;
    expect(row.link_count).toBe(3);
    expect(s.read.chainLinks(row.id).map((l) => l.uuid)).toEqual([l0!.uuid, l1!.uuid, l2!.uuid]);
    await s.close();
  });

  it('runs append hooks inside the transaction: a failing hook rolls the link back', async () => {
    const s = Store.open({ file: tempFile() });
    const a = new TestAvatar('store-hook');
    const seen: number[] = [];
    let fail = true;
    s.onAppend((ev) => {
      seen.push(ev.seq);
      if (fail) throw new Error('hook failed');
    });
    const [l0] = a.chain(1);
    const [bad] = await s.appendLinks(items(a, [l0!]));
    expect(bad).toMatchObject({ ok: false });
    expect((bad as { error: ProofError }).error.code).toBe('INTERNAL');
    expect(s.avatarRow(a.id)).toBeUndefined();
    fail = false;
    const [good] = await s.appendLinks(items(a, [l0!]));
    expect(good).toMatchObject({ ok: true, seq: 0 });
    // (the failed attempt may have run the hook more than once: each run was rolled back)
    expect(seen.every((q) => q === 0)).toBe(true);
    expect(s.read.chainLinks(s.avatarRow(a.id)!.id)).toHaveLength(1);
    await s.close();
  });

  it('a batch is one transaction: an item whose write fails mid-batch changes nothing, the others land as judged', async () => {
    const s = Store.open({ file: tempFile(), groupCommitMs: 5 });
    const a = new TestAvatar('store-batch-a');
    const b = new TestAvatar('store-batch-b');
    const c = new TestAvatar('store-batch-c');
    const [a0, a1] = a.chain(2);
    const [b0, b1] = b.chain(2);
    const [c0] = c.chain(1);
    // d's links arrive child first, both without their parent: each is PREV_MISMATCH, as sequential
    // appends would say (the retry after b0's failure must not see d1 as a rejected ancestor yet).
    const d = new TestAvatar('store-batch-d');
    const [, d1, d2] = d.chain(3);
    s.onAppend((ev) => {
      if (ev.avatar === b.id && ev.seq === 0) throw new Error('hook refused b0');
    });
    const bad = new Set<string>();
    const ctx = { rejected: { has: (x: string, k: string) => bad.has(`${x} ${k}`), add: (x: string, k: string) => void bad.add(`${x} ${k}`) } };
    const [r1, r2] = await Promise.all([
      s.appendLinks([...items(d, [d2!, d1!]), ...items(a, [a0!]), ...items(b, [b0!, b1!]), ...items(a, [a1!])], ctx),
      s.appendLinks(items(c, [c0!])),
    ]);
    expect(r1!.map((o) => (o.ok ? 'ok' : o.error.code))).toEqual(['PREV_MISMATCH', 'PREV_MISMATCH', 'ok', 'INTERNAL', 'BROKEN_ANCESTOR', 'ok']);
    expect(r2!.map((o) => o.ok)).toEqual([true]);
    expect(s.avatarRow(b.id)).toBeUndefined();
    expect(s.avatarRow(a.id)!.link_count).toBe(2);
    expect(s.read.chainLinks(s.avatarRow(a.id)!.id).map((l) => l.uuid)).toEqual([a0!.uuid, a1!.uuid]);
    expect(s.avatarRow(c.id)!.link_count).toBe(1);
    // One durable commit for both calls, failure included.
    expect(s.stats()).toMatchObject({ commits: 1, appends: 3, links: 3 });
    await s.close();
  });

  it('keeps bindings current: create upserts, delete removes, wallets start valid', async () => {
    const s = Store.open({ file: tempFile() });
    const a = new TestAvatar('store-bind');
    const w = new TestAvatar('store-bind-wallet');
    const l0 = a.link({ prev: null, identity: 'bob', uuid: uuidFrom('b0'), created_at: 10 });
    const l1 = a.link({ prev: l0.signature, platform: 'ethereum', identity: w.address, wallet: w, uuid: uuidFrom('b1'), created_at: 11 });
    const l2 = a.link({ prev: l1.signature, identity: 'bob', action: 'delete', uuid: uuidFrom('b2'), created_at: 12 });
    await s.appendLinks(items(a, [l0, l1]));
    const id = s.avatarRow(a.id)!.id;
    expect(s.read.bindingsOf(id).map((b) => [b.platform, b.status, b.is_valid])).toEqual([['twitter', 'unchecked', 0], ['ethereum', 'valid', 1]]);
    await s.appendLinks(items(a, [l2]));
    expect(s.read.bindingsOf(id).map((b) => b.platform)).toEqual(['ethereum']);
    await s.close();
  });

  it('finds bindings by substring through the trigram index, kept in step with the bindings', async () => {
    const s = Store.open({ file: tempFile() });
    const a = new TestAvatar('store-fts');
    const ids = ['alice_wonder', 'bob"quote', 'carol OR dave', 'x*y', 'ed'];
    const links: Link[] = [];
    ids.forEach((identity, i) => links.push(a.link({ prev: links[i - 1]?.signature ?? null, platform: 'discord', identity, uuid: uuidFrom(`fts${i}`), created_at: 100 + i })));
    await s.appendLinks(items(a, links));
    const find = (identities: string[], exact = false) =>
      s.read.queryAvatars({ identities, exact, offset: 0, limit: 40, order: 'asc', platform: 'discord' }).total;
    expect(find(['wonder'])).toBe(1); // middle of the identity
    expect(find(['WONDER'])).toBe(1); // case-insensitive
    expect(find(['wonder'], true)).toBe(0);
    expect(find(['b"q'])).toBe(1); // quotes cannot break out of the phrase
    expect(find(['OR dave'])).toBe(1); // FTS operators are matched as text
    expect(find(['x*y'])).toBe(1);
    expect(find(['NEAR('])).toBe(0);
    expect(find(['e'])).toBe(0); // under 3 characters: exact match only
    expect(find(['ed'])).toBe(1);
    const del = a.link({ prev: links.at(-1)!.signature, platform: 'discord', identity: 'alice_wonder', action: 'delete', uuid: uuidFrom('fts-del'), created_at: 200 });
    await s.appendLinks(items(a, [del]));
    expect(find(['wonder'])).toBe(0);
    await s.close();
  });

  it('keeps the search index exact when one batch creates, deletes, re-creates, re-binds and rolls items back', async () => {
    const file = tempFile();
    const s = Store.open({ file, groupCommitMs: 5 });
    // Refused writes make the batch run again with a savepoint per item (see Store.flush).
    s.onAppend((ev) => {
      if (ev.link.identity === 'refused_one' || (ev.link.identity === 'kept_on' && ev.link.action === 'delete')) throw new Error('hook refused it');
    });
    const chain = (t: TestAvatar, steps: Array<[string, 'create' | 'delete']>): Link[] => {
      const out: Link[] = [];
      steps.forEach(([identity, action], i) =>
        out.push(t.link({ prev: out[i - 1]?.signature ?? null, platform: 'discord', identity, action, uuid: uuidFrom(`${t.id}${i}`), created_at: 100 + i })));
      return out;
    };
    const a = new TestAvatar('store-fts-batch-a');
    const b = new TestAvatar('store-fts-batch-b');
    const c = new TestAvatar('store-fts-batch-c');
    const d = new TestAvatar('store-fts-batch-d');
    const outcomes = await Promise.all([
      s.appendLinks(items(a, chain(a, [['alice_wonder', 'create'], ['bob_builder', 'create'], ['alice_wonder', 'delete'], ['alice_wonder', 'create'], ['bob_builder', 'create']]))),
      s.appendLinks(items(b, chain(b, [['kept_on', 'create'], ['kept_on', 'delete']]))),
      s.appendLinks(items(c, chain(c, [['refused_one', 'create']]))),
      s.appendLinks(items(d, chain(d, [['carol_singer', 'create']]))),
    ]);
    expect(outcomes.flat().map((o) => (o.ok ? 'ok' : o.error.code))).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'INTERNAL', 'INTERNAL', 'ok']);
    expect(s.stats().commits).toBe(1);
    const find = (identity: string) => s.read.queryAvatars({ identities: [identity], exact: false, offset: 0, limit: 40, order: 'asc', platform: 'discord' }).total;
    expect(['wonder', 'builder', 'kept_on', 'refused', 'singer'].map(find)).toEqual([1, 1, 1, 0, 1]);
    // A batch with nothing refused (one transaction, no savepoints): a binding created and deleted in it.
    const e = new TestAvatar('store-fts-batch-e');
    const [r] = await Promise.all([
      s.appendLinks(items(e, chain(e, [['eve_online', 'create'], ['frank_zappa', 'create'], ['eve_online', 'delete'], ['frank_zappa', 'create']]))),
      s.appendLinks(items(d, chain(d, [['carol_singer', 'create'], ['dave_grohl', 'create']]).slice(1))),
    ]);
    expect(r!.every((o) => o.ok)).toBe(true);
    expect(['eve_online', 'zappa', 'grohl', 'singer'].map(find)).toEqual([0, 1, 1, 1]);
    // FTS5 compares its index with the bindings table: a missing, stale or doubled entry fails here.
    const raw = new Database(file);
    expect(() => raw.prepare("INSERT INTO binding_identity_fts (binding_identity_fts, rank) VALUES ('integrity-check', 1)").run()).not.toThrow();
    raw.close();
    await s.close();
  });

  it('rejects appends after close', async () => {
    const s = Store.open({ file: tempFile() });
    await s.close();
    await expect(s.appendLinks(items(new TestAvatar('x'), new TestAvatar('x').chain(1)))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});
