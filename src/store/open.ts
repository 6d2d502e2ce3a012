/**
 * Opening the index on the configured engine, with every owner's migrations applied. The
 * composition root and the tools call this; the table owners get the returned `Db` and never
 * learn which engine it is but through `db.dialect` in their own SQL.
 */
import { join, resolve } from 'node:path';
import type { Db } from './db.js';
import { migrate, type Migration } from './migrate.js';
import { PgDb } from './postgres.js';
import { openSqlite } from './sqlite.js';

export type OpenDatabaseOptions =
  | { engine?: 'sqlite'; file: string; migrations: readonly Migration[]; busyTimeoutMs?: number }
  | { engine: 'postgres'; url: string; migrations: readonly Migration[]; statementTimeoutMs?: number; connectTimeoutMs?: number; applicationName?: string };

export function openDatabase(opts: OpenDatabaseOptions): Db {
  if (opts.engine !== 'postgres') return openSqlite(opts);
  if (!opts.url) throw new Error('store.engine is postgres but store.postgres.url is empty');
  const db = new PgDb({
    url: opts.url, statementTimeoutMs: opts.statementTimeoutMs ?? 10_000, connectTimeoutMs: opts.connectTimeoutMs ?? 3000,
    ...(opts.applicationName ? { applicationName: opts.applicationName } : {}),
  });
  try {
    migrate(db, opts.migrations);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/** The index as the store section of the config describes it. */
export function openConfigured(
  store: { engine: 'sqlite' | 'postgres'; dataDir: string; file: string; busyTimeoutMs: number; postgres: { url: string; statementTimeoutMs: number; connectTimeoutMs: number } },
  migrations: readonly Migration[],
): Db {
  if (store.engine === 'postgres') {
    return openDatabase({ engine: 'postgres', url: store.postgres.url, migrations, statementTimeoutMs: store.postgres.statementTimeoutMs, connectTimeoutMs: store.postgres.connectTimeoutMs });
  }
  return openDatabase({ file: join(resolve(store.dataDir), store.file), migrations, busyTimeoutMs: store.busyTimeoutMs });
}
