/**
 * Versioned migrations, applied in order inside one transaction each; PRAGMA user_version holds
 * the version reached. Each table's migration lives beside the module that queries it (its
 * owner); src/schema.ts lists them all. Taken: 1 base, 2 archive, 3 checkers, 4 mirror,
 * 5 identity search, 8 subkeys, 9 log, 12 link alt ids, 15 links by uuid,
 * 16 identity search per batch, 30 kv, 31 kv archive,
 * 40 mirror witness, 41 log by avatar, 42 archive remote pins, 43 archive leases.
 *
 * One list serves both engines: `up` runs on SQLite and, with its DDL read as PostgreSQL's
 * (db.exec there maps INTEGER to BIGINT, BLOB to BYTEA, rowid keys to identity columns), on
 * PostgreSQL too; a migration whose SQL is SQLite's own (FTS5, triggers, json_extract) gives a
 * `postgres` body beside it.
 */
import type { Db } from './db.js';

export interface Migration {
  version: number;
  name: string;
  up(db: Db): void;
  /** the PostgreSQL body, where `up`'s SQL is SQLite's own */
  postgres?(db: Db): void;
}

/**
 * Apply every migration not applied yet, in version order, each in its own transaction. Applied
 * versions are recorded one by one (not just the highest), so a migration merged with a lower
 * number than one already applied on a development database still runs. PRAGMA user_version
 * mirrors the highest version for tools that look there.
 */
export function migrate(db: Db, migrations: readonly Migration[]): number {
  if (db.dialect === 'postgres') return migratePostgres(db, migrations);
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const known = new Set(migrations.map((m) => m.version));
  const applied = new Set((db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map((r) => r.version));
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  // Databases from before schema_migrations recorded only user_version: take it at its word.
  const legacy = db.pragma('user_version', { simple: true }) as number;
  if (applied.size === 0 && legacy >= 1) {
    for (const m of migrations) {
      if (m.version > legacy) continue;
      applied.add(m.version);
      record.run(m.version, m.name, Date.now());
    }
    if (legacy > Math.max(0, ...known)) applied.add(legacy);
  }
  const unknown = [...applied].filter((v) => !known.has(v));
  if (unknown.length) {
    throw new Error(`database has schema migrations ${unknown.join(', ')} that this proofkeep does not know; it was written by a newer version — refusing to run an older build on it`);
  }
  const latest = Math.max(0, ...migrations.map((m) => m.version));
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      m.up(db);
      record.run(m.version, m.name, Date.now());
      db.pragma(`user_version = ${Math.max(m.version, db.pragma('user_version', { simple: true }) as number)}`);
    })();
  }
  return latest;
}

/** Migration lock id: daemons starting together on one database migrate one at a time. */
const MIGRATION_LOCK = 0x70726f6f; // 'proo'

function migratePostgres(db: Db, migrations: readonly Migration[]): number {
  db.prepare('SELECT pg_advisory_lock(?)').get(MIGRATION_LOCK);
  try {
    db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    const known = new Set(migrations.map((m) => m.version));
    const applied = new Set((db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map((r) => r.version));
    const unknown = [...applied].filter((v) => !known.has(v));
    if (unknown.length) {
      throw new Error(`database has schema migrations ${unknown.join(', ')} that this proofkeep does not know; it was written by a newer version — refusing to run an older build on it`);
    }
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(m.version)) continue;
      db.transaction(() => {
        (m.postgres ?? m.up)(db);
        record.run(m.version, m.name, Date.now());
      })();
    }
  } finally {
    db.prepare('SELECT pg_advisory_unlock(?)').get(MIGRATION_LOCK);
  }
  return Math.max(0, ...migrations.map((m) => m.version));
}
