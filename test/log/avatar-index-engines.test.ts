import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OF_AVATAR_PG_SQL, OF_AVATAR_SQL } from '../../src/log/tree.js';
import { sql } from '../../src/store/index.js';
import { openAll } from '../helpers/db.js';

/**
 * The /v1/log/avatar query on the engine the project runs (test/log/avatar-index.test.ts holds
 * SQLite's plan in detail): the query's expression must be the index's, or every request scans.
 */
describe('GET /v1/log/avatar lookup, on this engine', () => {
  it('is served by the expression index log_entries_avatar and answers in log order', () => {
    const dir = mkdtempSync(join(tmpdir(), 'proofkeep-logidx-'));
    const { db } = openAll(join(dir, 'db.sqlite'));
    try {
      const insert = db.prepare('INSERT INTO log_entries (idx, kind, ref_id, entry, appended_at) VALUES (?, ?, ?, ?, 0)');
      const bytes = (avatar: string) => Buffer.from(JSON.stringify({ avatar, kind: 'kv' }));
      db.transaction(() => {
        for (let i = 0; i < 5000; i++) insert.run(i, i % 2 ? 'kv' : 'subkey', i, bytes(`a${i % 250}`));
        insert.run(5000, 'link', 1, bytes('a3'));
      })();
      db.exec('ANALYZE');
      const query = sql(db, OF_AVATAR_SQL, OF_AVATAR_PG_SQL);
      const explain = sql(db, 'EXPLAIN QUERY PLAN ', 'EXPLAIN ');
      const plan = (db.prepare(`${explain}${query}`).all('a3', 10) as Array<Record<string, unknown>>)
        .map((r) => String(r['detail'] ?? r['QUERY PLAN']))
        .join('\n');
      expect(plan).toMatch(/log_entries_avatar/);
      const rows = db.prepare(query).all('a3', 100) as Array<{ idx: number; kind: string }>;
      expect(rows.map((r) => r.idx)).toEqual(Array.from({ length: 20 }, (_, k) => 3 + 250 * k));
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
