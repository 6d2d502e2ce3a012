import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { asDb, openSqlite as openDatabase, withoutFsync } from '../../src/store/sqlite.js';
import type { Db } from '../../src/store/db.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function onDisk() {
  const dir = mkdtempSync(join(tmpdir(), 'proofkeep-nofsync-'));
  dirs.push(dir);
  const db = openDatabase({ file: join(dir, 'x.sqlite'), migrations: [] });
  db.exec('CREATE TABLE t (a INTEGER)');
  return db;
}
const level = (db: Db) => db.pragma('synchronous', { simple: true });

describe('withoutFsync', () => {
  it('commits at synchronous = NORMAL and puts FULL back, also when the write throws', () => {
    const db = onDisk();
    expect(level(db)).toBe(2);
    expect(withoutFsync(db, () => [level(db), db.prepare('INSERT INTO t VALUES (1)').run().changes])).toEqual([1, 1]);
    expect(level(db)).toBe(2);
    expect(() =>
      withoutFsync(db, () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(level(db)).toBe(2);
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 1 });
    db.close();
  });

  it('inside an open transaction joins it (the level cannot change there), and leaves a database without WAL alone', () => {
    const db = onDisk();
    db.transaction(() => withoutFsync(db, () => expect(level(db)).toBe(2)))();
    const mem = asDb(new Database(':memory:'));
    mem.pragma('synchronous = FULL');
    withoutFsync(mem, () => expect(level(mem)).toBe(2));
    db.close();
    mem.close();
  });
});

describe('requireFsync', () => {
  it('makes a relaxed commit durable after all (the WAL is fsynced), and nothing else', async () => {
    const { default: fs } = await import('node:fs');
    const { requireFsync } = await import('../../src/store/sqlite.js');
    const { vi } = await import('vitest');
    const db = onDisk();
    const spy = vi.spyOn(fs, 'fsyncSync');
    try {
      withoutFsync(db, () => db.transaction(() => db.prepare('INSERT INTO t VALUES (1)').run())());
      expect(spy).not.toHaveBeenCalled();
      withoutFsync(db, () => db.transaction(() => {
        db.prepare('INSERT INTO t VALUES (2)').run();
        requireFsync(db);
      })());
      expect(spy).toHaveBeenCalledTimes(1);
      // outside withoutFsync the commit is fsynced by SQLite itself: nothing extra
      db.transaction(() => {
        db.prepare('INSERT INTO t VALUES (3)').run();
        requireFsync(db);
      })();
      withoutFsync(db, () => db.prepare('INSERT INTO t VALUES (4)').run());
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
      db.close();
    }
  });
});

describe('the store\'s accepted changes', () => {
  it('a change reported (and logged) inside a relaxed commit gets the commit fsynced', async () => {
    const { default: fs } = await import('node:fs');
    const { vi } = await import('vitest');
    const { Store } = await import('../../src/store/index.js');
    const { MIGRATIONS } = await import('../../src/store/migrations.js');
    const dir = mkdtempSync(join(tmpdir(), 'proofkeep-nofsync-'));
    dirs.push(dir);
    const db = openDatabase({ file: join(dir, 'x.sqlite'), migrations: MIGRATIONS });
    const store = new Store(db);
    const seen: string[] = [];
    store.onChange((ev) => seen.push(ev.kind));
    const spy = vi.spyOn(fs, 'fsyncSync');
    try {
      const ev = { kind: 'kv' as const, id: 1, avatar: 'a', platform: 'p', identity: 'i', uuid: 'u', created_at: 1, sign_payload: '{}', signature: 's' };
      withoutFsync(db, () => db.transaction(() => store.changed(ev))());
      expect(seen).toEqual(['kv']);
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
      await store.close();
    }
  });
});
