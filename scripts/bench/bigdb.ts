/**
 * Build a large index directly with SQLite inserts through the store's own schema (migrations
 * run by Store.open with every owner's SCHEMA), for the start-up measurement: the daemon must open a million indexed links
 * without verifying them. Link contents are well-formed (real payloads, base64 signatures of
 * the right length, prev chained) but not signed: nothing at start-up may depend on verifying.
 * Rows the components' append hooks write (check schedule, archive jobs) and the search index are written too.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { buildSignPayload, bytesToHex } from '../../src/core/index.js';
import { Store } from '../../src/store/index.js';
import { SCHEMA } from '../../src/schema.js';
import { uuidFrom } from '../lib/gen.js';

export async function buildBigDb(dataDir: string, links: number, perAvatar: number, timeLimitMs = 600_000): Promise<{ links: number; avatars: number; seconds: number; bytes: number }> {
  const file = join(dataDir, 'proofkeep.sqlite');
  const t0 = performance.now();
  await Store.open({ file, migrations: SCHEMA }).close(); // schema and migrations exactly as the daemon creates them
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF'); // a benchmark fixture: durability of the build does not matter
  const insAvatar = db.prepare('INSERT INTO avatars (id, avatar, public_key, head_link_id, head_signature, link_count, activated_at, updated_at) VALUES (?,?,?,NULL,NULL,0,?,?)');
  const setHead = db.prepare('UPDATE avatars SET head_link_id = ?, head_signature = ?, link_count = ? WHERE id = ?');
  const insLink = db.prepare(
    `INSERT INTO links (id, avatar_id, seq, prev, action, platform, identity, proof_location, created_at, uuid, signature, signature_payload, extra, received_at)
     VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
  );
  const insBinding = db.prepare(
    `INSERT INTO bindings (avatar_id, platform, identity, link_id, created_at, proof_location, alt_id, status, is_valid, invalid_reason, invalid_code, last_checked_at, updated_at)
     VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`,
  );
  // What the append path's in-transaction hooks write alongside each link: a check schedule per
  // binding (checkers) and an archive job per link (archive; here already done), so the index is
  // the one the daemon itself would have built.
  const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((r) => r.name));
  const insCheck = tables.has('binding_checks')
    ? db.prepare('INSERT INTO binding_checks (binding_id, link_id, platform, next_check_at) VALUES (?,?,?,?)')
    : null;
  const insJob = tables.has('archive_jobs')
    ? db.prepare("INSERT INTO archive_jobs (avatar_id, link_count, state, enqueued_at, next_attempt_at, done_at) VALUES (?,?,'done',?,?,?)")
    : null;
  const now = Date.now();
  let linkId = 0;
  let avatarId = 0;
  const rnd = () => randomBytes(4096);
  let pool = rnd();
  let off = 0;
  const take = (n: number): Buffer => {
    if (off + n > pool.length) {
      pool = rnd();
      off = 0;
    }
    const b = pool.subarray(off, off + n);
    off += n;
    return b;
  };
  const chunk = db.transaction((avatars: number) => {
    for (let a = 0; a < avatars && linkId < links; a++) {
      avatarId++;
      // A syntactically valid compressed key is enough: start-up must not parse every key either.
      const avatar = `0x02${bytesToHex(take(32))}`;
      const publicKey = `0x04${bytesToHex(take(64))}`;
      let prev: string | null = null;
      const n = Math.min(perAvatar, links - linkId);
      insAvatar.run(avatarId, avatar, publicKey, 1_700_000_000, now);
      for (let i = 0; i < n; i++) {
        linkId++;
        const identity = `u${avatarId}_${i}`;
        const uuid = uuidFrom(take(16));
        const createdAt = 1_700_000_000 + i;
        const payload = buildSignPayload({ action: 'create', created_at: String(createdAt), identity, platform: 'twitter', prev, uuid });
        const sig = Buffer.concat([take(64), Buffer.from([i & 1])]).toString('base64');
        insLink.run(linkId, avatarId, i, prev, 'create', 'twitter', identity, String(1_800_000_000_000_000_000n + BigInt(linkId)), createdAt, uuid, sig, payload, '{}', now);
        const bindingId = Number(insBinding.run(avatarId, 'twitter', identity, linkId, createdAt, String(linkId), '', 'unchecked', 0, 'proof post not checked yet', 'NOT_CHECKED', null, now).lastInsertRowid);
        insCheck?.run(bindingId, linkId, 'twitter', Math.floor(now / 1000) + (linkId % 3600));
        insJob?.run(avatarId, i + 1, now, now, now);
        prev = sig;
      }
      setHead.run(linkId, prev, n, avatarId);
    }
  });
  while (linkId < links) {
    if (performance.now() - t0 > timeLimitMs) throw new Error(`building the ${links}-link index exceeded ${timeLimitMs} ms`);
    chunk(1000);
  }
  // The store indexes new bindings for search itself (no insert trigger): as it would have.
  db.exec("INSERT INTO binding_identity_fts (binding_identity_fts) VALUES ('rebuild')");
  db.pragma('wal_checkpoint(TRUNCATE)');
  const pages = db.pragma('page_count', { simple: true }) as number;
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  db.close();
  return { links: linkId, avatars: avatarId, seconds: (performance.now() - t0) / 1000, bytes: pages * pageSize };
}
