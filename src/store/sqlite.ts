/**
 * Opening the one SQLite database all table owners share. The composition root opens it with
 * every owner's migrations (src/schema.ts) and hands the connection to each owner; an owner
 * prepares statements on its own tables only. One connection, so an owner's in-transaction
 * append hook writes inside the store's transaction.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { migrate, type Migration } from './migrate.js';

export type Db = Database.Database;

export interface OpenDatabaseOptions {
  file: string;
  /** every migration of every table owner, so a database written by any of them is understood */
  migrations: readonly Migration[];
  busyTimeoutMs?: number;
}

export function openDatabase(opts: OpenDatabaseOptions): Db {
  if (opts.file !== ':memory:') mkdirSync(dirname(opts.file), { recursive: true });
  const db = new Database(opts.file, { timeout: opts.busyTimeoutMs ?? 5000 });
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
