/**
 * Opening the one SQLite database all table owners share. The composition root opens it with
 * every owner's migrations (src/schema.ts) and hands the connection to each owner; an owner
 * prepares statements on its own tables only. One connection, so an owner's in-transaction
 * append hook writes inside the store's transaction.
 */
import fs, { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Db } from './db.js';
import { migrate, type Migration } from './migrate.js';

export type { Db } from './db.js';

export interface OpenDatabaseOptions {
  file: string;
  /** every migration of every table owner, so a database written by any of them is understood */
  migrations: readonly Migration[];
  busyTimeoutMs?: number;
}

export function openSqlite(opts: OpenDatabaseOptions): Db {
  if (opts.file !== ':memory:') mkdirSync(dirname(opts.file), { recursive: true });
  const db = asDb(new Database(opts.file, { timeout: opts.busyTimeoutMs ?? 5000 }));
  try {
    db.pragma('journal_mode = WAL');
    // FULL: a commit is on disk when it returns, so a 201 survives power loss.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    migrate(db, opts.migrations);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/** better-sqlite3's connection is the engine-neutral Db, plus its dialect. */
export function asDb(raw: Database.Database): Db {
  Object.defineProperty(raw, 'dialect', { value: 'sqlite', enumerable: false });
  return raw as unknown as Db;
}

/** per connection: the level to put back, or null when commits are not relaxed (no WAL, or already NORMAL or lower) */
const relaxers = new WeakMap<Db, number | null>();

/**
 * Run `fn`'s writes committed without an fsync of their own (synchronous = NORMAL for them).
 * With WAL a crash of the process loses none of them; a power loss may lose the latest, and
 * the next fsynced commit makes them durable too (the WAL is written in order). For background
 * records their writer redoes when lost (archive steps, checker leases and results), so that
 * their commits do not hold the API's event loop on the disk. Never for anything a client was
 * told is accepted. Inside an open transaction (where the level cannot change) `fn` joins it.
 */
export function withoutFsync<T>(db: Db, fn: () => T): T {
  if (db.inTransaction) return fn();
  // PostgreSQL: the same bargain is synchronous_commit = off (the server's WAL is flushed in order).
  if (db.dialect === 'postgres') return relaxedPg(db, fn);
  let level = relaxers.get(db);
  if (level === undefined) {
    const now = db.pragma('synchronous', { simple: true }) as number;
    level = db.pragma('journal_mode', { simple: true }) === 'wal' && now > 1 ? now : null;
    relaxers.set(db, level);
  }
  if (level === null) return fn();
  // Not a prepared statement run twice: SQLite applies this pragma when it is prepared.
  db.pragma('synchronous = NORMAL');
  relaxing.add(db);
  let out: T;
  try {
    out = fn();
  } finally {
    relaxing.delete(db);
    db.pragma(`synchronous = ${level}`);
  }
  // A relaxed commit that wrote what others are told (a log entry: mirrors and the checkpointer
  // read it at once) is fsynced before anything else runs on this thread, so nothing served can
  // vanish in a power loss. Rare (a binding changed state), so it is done here, synchronously.
  if (mustSync.delete(db)) fsyncWal(db);
  return out;
}

const relaxing = new WeakSet<Db>();
const mustSync = new WeakSet<Db>();
/** fsync the connection's WAL file (every frame written so far: the WAL is appended in order) */
function fsyncWal(db: Db): void {
  const fd = fs.openSync(`${db.name}-wal`, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Called inside a transaction whose writes others are told about before the next fsynced commit
 * (the store's accepted changes, which the log records): under withoutFsync, that commit is
 * fsynced after all. Elsewhere the commit is fsynced anyway, and this does nothing.
 */
export function requireFsync(db: Db): void {
  if (!relaxing.has(db)) return;
  if (db.dialect === 'postgres') db.exec('SET LOCAL synchronous_commit = on');
  else mustSync.add(db);
}

function relaxedPg<T>(db: Db, fn: () => T): T {
  db.exec('SET synchronous_commit = off');
  relaxing.add(db);
  try {
    return fn();
  } finally {
    relaxing.delete(db);
    try {
      db.exec('SET synchronous_commit = on');
    } catch {
      /* connection lost: a new one starts with the server's default (on) */
    }
  }
}
