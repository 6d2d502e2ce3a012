import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCHEMA } from '../../src/schema.js';
import { OF_AVATAR_SQL } from '../../src/log/tree.js';
import { openDatabase } from '../../src/store/index.js';

describe('GET /v1/log/avatar lookup', () => {
  it('goes through the expression index, in log order, without a scan of the KV and subkey entries', () => {
    const dir = mkdtempSync(join(tmpdir(), 'proofkeep-logidx-'));
    const db = openDatabase({ file: join(dir, 'db.sqlite'), migrations: SCHEMA });
    try {
      const insert = db.prepare('INSERT INTO log_entries (idx, kind, ref_id, entry, appended_at) VALUES (?, ?, ?, ?, 0)');
      const bytes = (avatar: string) => Buffer.from(JSON.stringify({ avatar, kind: 'kv' }));
      for (let i = 0; i < 200; i++) insert.run(i, i % 2 ? 'kv' : 'subkey', i, bytes(`a${i % 10}`));
      insert.run(200, 'link', 1, bytes('a3'));
      db.exec('ANALYZE');
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${OF_AVATAR_SQL}`).all('a3', 10) as Array<{ detail: string }>).map((r) => r.detail).join('\n');
      expect(plan).toMatch(/USING INDEX log_entries_avatar/);
      expect(plan).not.toMatch(/TEMP B-TREE/);
      const rows = db.prepare(OF_AVATAR_SQL).all('a3', 100) as Array<{ idx: number; kind: string }>;
      expect(rows.map((r) => r.idx)).toEqual(Array.from({ length: 20 }, (_, k) => 3 + 10 * k));
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
