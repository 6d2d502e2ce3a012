import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, withoutFsync } from '../../src/store/sqlite.js';

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
const level = (db: Database.Database) => db.pragma('synchronous', { simple: true });

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
    const mem = new Database(':memory:');
    mem.pragma('synchronous = FULL');
    withoutFsync(mem, () => expect(level(mem)).toBe(2));
    db.close();
    mem.close();
  });
});
