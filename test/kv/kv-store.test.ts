/** The KV append path on a real SQLite file: the in-transaction chain rule, hooks, rollback. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildKvSignPayload, kvAvatarField, nobleBackend, parsePublicKey, verifyKvWrite, type KvWrite } from '../../src/core/index.js';
import { KvStore } from '../../src/kv/kv-store.js';
import type { Store } from '../../src/store/index.js';
import { TestAvatar, uuidFrom } from '../helpers/avatar.js';
import { openAll } from '../helpers/db.js';
import { codeOf } from '../helpers/errors.js';

let dir: string;
let store: Store;
let kv: KvStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'proofkeep-kvstore-'));
  let db;
  ({ db, store } = openAll(join(dir, 'db.sqlite')));
  kv = new KvStore(db);
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const a = new TestAvatar('kv-store');
const key = parsePublicKey(a.id);
function signed(n: number, previous: string | null, patch: unknown = { n }): KvWrite {
  const w = { previous, platform: 'nextid', identity: a.id, uuid: uuidFrom(`kvs-${n}`), created_at: 1_700_000_000 + n, patch: patch as KvWrite['patch'] };
  const sign_payload = buildKvSignPayload({ ...w, avatar: kvAvatarField(key) });
  return verifyKvWrite(key, { ...w, signature: a.sign(sign_payload) }, { backend: nobleBackend });
}


describe('KvStore.append', () => {
  it('two writes verified against one head: the second to commit is FORK and changes nothing', () => {
    const g = signed(0, null);
    kv.append(key, g);
    const x = signed(1, g.signature);
    const y = signed(2, g.signature);
    kv.append(key, x);
    expect(codeOf(() => kv.append(key, y))).toBe('FORK');
    expect(kv.writes(kv.avatarRow(a.id)!.id).map((w) => w.uuid)).toEqual([g.uuid, x.uuid]);
    expect(JSON.parse(kv.contentsOf(kv.avatarRow(a.id)!.id)[0]!.content)).toEqual({ n: 1 });
  });

  it('refuses a second genesis, a dangling previous and a replayed uuid', () => {
    const g = signed(0, null);
    kv.append(key, g);
    expect(codeOf(() => kv.append(key, signed(1, null)))).toBe('FORK');
    expect(codeOf(() => kv.append(key, signed(2, 'AAAA')))).toBe('PREV_MISMATCH');
    expect(codeOf(() => kv.append(key, { ...signed(3, g.signature), uuid: g.uuid }))).toBe('DUPLICATE_UUID');
    expect(kv.counts()).toEqual({ writes: 1, avatars: 1 });
  });

  it('is idempotent for an identical write only when asked (mirrors)', () => {
    const g = signed(0, null);
    kv.append(key, g);
    expect(kv.append(key, g, { idempotent: true })).toMatchObject({ ok: true, existed: true, seq: 0 });
    expect(codeOf(() => kv.append(key, g))).toBe('DUPLICATE_UUID');
  });

  it('runs hooks inside the transaction: a failing hook rolls the write back', () => {
    const seen: number[] = [];
    kv.onAppend((ev) => {
      seen.push(ev.seq);
      // the write is visible to the hook's own queries, in the same transaction
      expect(ev.db.prepare('SELECT COUNT(*) AS n FROM kv_writes').get()).toEqual({ n: ev.seq + 1 });
    });
    kv.append(key, signed(0, null));
    kv.onAppend((ev) => {
      if (ev.seq === 1) throw new Error('hook failed');
    });
    const w1 = signed(1, kv.avatarRow(a.id)!.head_signature);
    expect(() => kv.append(key, w1)).toThrow('hook failed');
    expect(kv.counts().writes).toBe(1);
    expect(kv.avatarRow(a.id)!.write_count).toBe(1);
    expect(seen).toEqual([0, 1]);
  });
});
