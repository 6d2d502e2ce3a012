/** Migration 12: each link keeps the alt_id its binding first got, through deletes and re-binds, and existing bindings are backfilled. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { SCHEMA } from '../../src/schema.js';
import { openDatabase, type Db } from '../../src/store/index.js';
import { Reader } from '../../src/store/read.js';

const dir = mkdtempSync(join(tmpdir(), 'pk-altid-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function seedLink(db: Db, id: number, identity: string) {
  db.prepare(`INSERT INTO links (id, avatar_id, seq, prev, action, platform, identity, proof_location, created_at, uuid, signature, signature_payload, extra, received_at)
    VALUES (?, 1, ?, NULL, 'create', 'twitter', ?, '1', 0, ?, 's', '', '{}', 0)`).run(id, id - 1, identity, `u-${id}`);
}

it('backfills from bindings, then follows every binding write without ever changing a link\'s value', () => {
  const file = join(dir, 'p.sqlite');
  const old = openDatabase({ file, migrations: SCHEMA.filter((m) => m.version < 12) });
  old.prepare("INSERT INTO avatars (id, avatar, public_key, link_count, activated_at, updated_at) VALUES (1, '0xa', '0x04', 0, 0, 0)").run();
  seedLink(old, 1, 'bob');
  old.prepare("INSERT INTO bindings (avatar_id, platform, identity, link_id, created_at, alt_id, status, is_valid, updated_at) VALUES (1, 'twitter', 'bob', 1, 0, '601', 'valid', 1, 0)").run();
  old.close();

  const s = openDatabase({ file, migrations: SCHEMA });
  const read = new Reader(s);
  expect([...read.altIdsOf([1])]).toEqual([[1, '601']]);
  // delete the binding, re-bind by another account through a new link, learn its id later
  s.prepare("DELETE FROM bindings WHERE identity = 'bob'").run();
  seedLink(s, 2, 'bob');
  s.prepare("INSERT INTO bindings (avatar_id, platform, identity, link_id, created_at, alt_id, status, is_valid, updated_at) VALUES (1, 'twitter', 'bob', 2, 0, '', 'unchecked', 0, 0)").run();
  expect(read.altIdsOf([1, 2]).get(2)).toBeUndefined();
  s.prepare("UPDATE bindings SET alt_id = '602' WHERE identity = 'bob'").run();
  s.prepare("UPDATE bindings SET alt_id = '999' WHERE identity = 'bob'").run(); // a later value does not rewrite the link's
  expect([...read.altIdsOf([1, 2])].sort()).toEqual([[1, '601'], [2, '602']]);
  s.close();
});

it('every migration in the schema has its own version', () => {
  expect(new Set(SCHEMA.map((m) => m.version)).size).toBe(SCHEMA.length);
});
