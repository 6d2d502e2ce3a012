/**
 * Versioned migrations, applied in order inside one transaction each; PRAGMA user_version holds
 * the version reached. Reserved: 1 base, 2 archive, 3 checkers, 4 mirror.
 */
import type Database from 'better-sqlite3';
import { base } from './migrations/001-base.js';
import { archive } from './migrations/002-archive.js';
import { checkersMigration } from './migrations/003-checkers.js';
import { mirror } from './migrations/004-mirror.js';

export interface Migration {
  version: number;
  name: string;
  up(db: Database.Database): void;
}

export const MIGRATIONS: readonly Migration[] = [base, archive, checkersMigration, mirror];

export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = Math.max(0, ...migrations.map((m) => m.version));
  if (current > latest) {
    throw new Error(`database schema version ${current} is newer than this proofkeep (${latest}); refusing to run an older build on it`);
  }
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (m.version <= current) continue;
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return latest;
}
