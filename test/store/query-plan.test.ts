/**
 * The append path's lookups must be index searches, not walks over an Avatar's chain: each runs
 * once or twice per appended link. (Not a timing test: it reads SQLite's query plan.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, Store } from '../../src/store/index.js';
import { MIGRATIONS } from '../../src/store/migrations.js';

describe('store query plans', () => {
  const dir = mkdtempSync(join(tmpdir(), 'proofkeep-plan-'));
  const db = openDatabase({ file: join(dir, 'db.sqlite'), migrations: MIGRATIONS });
  const store = new Store(db);
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('uuid and signature lookups use their covering indexes', () => {
    // The prepared statements' SQL, read back from the store, explained by SQLite itself.
    const stmts = (store as unknown as { stmts: Record<string, { source: string }> }).stmts;
    for (const [name, index] of [['hasUuid', 'links_avatar_uuid'], ['hasSig', 'links_avatar_signature']] as const) {
      const sql = stmts[name]!.source;
      const params = (sql.match(/\?/g) ?? []).map((_, i) => (i === 0 ? 1 : `x${i}`));
      const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>;
      expect(plan.map((p) => p.detail).join(' | '), name).toMatch(new RegExp(`USING COVERING INDEX ${index} \\(avatar_id=\\? AND`));
    }
  });

  it('a substring search with a platform starts from the trigram index, not from every binding of the platform', () => {
    // Capture the SQL and arguments queryAvatars runs, then ask SQLite how it plans them.
    const ran: Array<{ sql: string; args: unknown[] }> = [];
    const patched = db as unknown as { prepare(sql: string): unknown };
    const prepare = db.prepare.bind(db);
    patched.prepare = (sql: string) => {
      const stmt = prepare(sql) as unknown as Record<string, (...a: unknown[]) => unknown>;
      for (const m of ['get', 'all'] as const) {
        const orig = stmt[m]!.bind(stmt);
        stmt[m] = (...args: unknown[]) => {
          ran.push({ sql, args });
          return orig(...args);
        };
      }
      return stmt;
    };
    try {
      store.read.queryAvatars({ identities: ['alice'], platform: 'twitter', exact: false, offset: 0, limit: 40, order: 'desc' });
    } finally {
      delete (patched as { prepare?: unknown }).prepare; // back to the prototype's method
    }
    expect(ran.length).toBeGreaterThan(0);
    for (const { sql, args } of ran) {
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as Array<{ detail: string }>).map((p) => p.detail).join(' | ');
      expect(plan).not.toMatch(/bindings_platform_identity \(platform=\?\)/);
      expect(plan).toMatch(/SEARCH b USING INTEGER PRIMARY KEY/);
    }
  });
});

