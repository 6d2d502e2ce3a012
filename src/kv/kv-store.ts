/**
 * The KV tables' queries (migration 030) and the one KV append path. An append is one IMMEDIATE
 * transaction on the shared connection that first locks the Avatar's KV chain (a no-op on SQLite,
 * whose IMMEDIATE transaction already excludes every other writer; an advisory lock on PostgreSQL,
 * where other daemons write the same database): the Avatar's KV head is re-read after that and
 * the chain rule checked against it, so of two concurrent writes on one head exactly one lands
 * (the other gets FORK), in one process or across several. The commit is durable when it
 * returns — the 201 comes after. Hooks (archive job, feed, log entry) run inside the transaction.
 * Nothing about the chains is kept in memory: every append re-reads what it checks.
 */
import { lockKeys, type Db } from '../store/db.js';
import {
  checkKvAppend, mergePatch, ProofError, serdeJson, signatureForms, type AvatarKey, type ChainView, type KvJson, type KvWrite,
} from '../core/index.js';

export interface KvAvatarRow {
  id: number;
  avatar: string;
  public_key: string;
  head_write_id: number | null;
  head_signature: string | null;
  write_count: number;
  updated_at: number;
}

export interface KvWriteRow {
  id: number;
  kv_avatar_id: number;
  seq: number;
  previous: string | null;
  platform: string;
  identity: string;
  uuid: string;
  created_at: number;
  patch: string;
  signature: string;
  sign_payload: string;
  received_at: number;
}

export interface KvContentRow {
  kv_avatar_id: number;
  platform: string;
  identity: string;
  content: string;
  write_id: number;
  seq: number;
  first_seq: number;
}

/** What an in-transaction hook sees of one KV append (like the proof store's AppendEvent). */
export interface KvAppendEvent {
  db: Db;
  kvAvatarId: number;
  avatar: string;
  publicKey: string;
  writeId: number;
  seq: number;
  write: KvWrite;
  /** the namespace's content after this write */
  content: KvJson;
}

export type KvAppendHook = (ev: KvAppendEvent) => void;

export type KvAppendOutcome = { ok: true; writeId: number; seq: number; existed: boolean };

export function rowToKvWrite(r: KvWriteRow): KvWrite {
  return {
    previous: r.previous, platform: r.platform, identity: r.identity, uuid: r.uuid, created_at: r.created_at,
    patch: JSON.parse(r.patch) as KvJson, signature: r.signature, sign_payload: r.sign_payload,
  };
}

export class KvStore {
  private readonly hooks: KvAppendHook[] = [];
  private readonly s;
  private readonly appendTx;

  constructor(readonly db: Db) {
    this.s = {
      avatar: db.prepare<[string], KvAvatarRow>('SELECT * FROM kv_avatars WHERE avatar = ?'),
      avatarById: db.prepare<[number], KvAvatarRow>('SELECT * FROM kv_avatars WHERE id = ?'),
      hasSig: db.prepare<[number, string, string], { one: number }>('SELECT 1 AS one FROM kv_writes WHERE kv_avatar_id = ? AND signature IN (?, ?) LIMIT 1'),
      hasUuid: db.prepare<[number, string], { one: number }>('SELECT 1 AS one FROM kv_writes WHERE kv_avatar_id = ? AND uuid = ? LIMIT 1'),
      same: db.prepare<[number, string, string], { id: number; seq: number }>('SELECT id, seq FROM kv_writes WHERE kv_avatar_id = ? AND uuid = ? AND signature = ?'),
      insertAvatar: db.prepare<[string, string, number], KvAvatarRow>(
        'INSERT INTO kv_avatars (avatar, public_key, write_count, updated_at) VALUES (?, ?, 0, ?) RETURNING *',
      ),
      // RETURNING id on both engines (PostgreSQL has no last insert rowid).
      insertWrite: db.prepare<[number, number, string | null, string, string, string, number, string, string, string, number], { id: number }>(
        `INSERT INTO kv_writes (kv_avatar_id, seq, previous, platform, identity, uuid, created_at, patch, signature, sign_payload, received_at)
         VALUES (?,?,?,?,?,?,?,?,?,?,?) RETURNING id`,
      ),
      advance: db.prepare('UPDATE kv_avatars SET head_write_id = ?, head_signature = ?, write_count = write_count + 1, updated_at = ? WHERE id = ?'),
      content: db.prepare<[number, string, string], KvContentRow>('SELECT * FROM kv_contents WHERE kv_avatar_id = ? AND platform = ? AND identity = ?'),
      upsertContent: db.prepare(
        `INSERT INTO kv_contents (kv_avatar_id, platform, identity, content, write_id, seq, first_seq) VALUES (?,?,?,?,?,?,?)
         ON CONFLICT (kv_avatar_id, platform, identity) DO UPDATE SET content = excluded.content, write_id = excluded.write_id, seq = excluded.seq`,
      ),
      contentsOf: db.prepare<[number], KvContentRow>('SELECT * FROM kv_contents WHERE kv_avatar_id = ? ORDER BY first_seq'),
      byIdentity: db.prepare<[string, string, number], KvContentRow & { public_key: string }>(
        `SELECT c.*, a.public_key FROM kv_contents c JOIN kv_avatars a ON a.id = c.kv_avatar_id
         WHERE c.platform = ? AND c.identity = ? ORDER BY c.kv_avatar_id LIMIT ?`,
      ),
      writes: db.prepare<[number, number], KvWriteRow>('SELECT * FROM kv_writes WHERE kv_avatar_id = ? AND seq < ? ORDER BY seq'),
      writeBySeq: db.prepare<[number, number], KvWriteRow>('SELECT * FROM kv_writes WHERE kv_avatar_id = ? AND seq = ?'),
      changes: db.prepare<[number, number], KvWriteRow & { avatar: string }>(
        'SELECT w.*, a.avatar AS avatar FROM kv_writes w JOIN kv_avatars a ON a.id = w.kv_avatar_id WHERE w.id > ? ORDER BY w.id LIMIT ?',
      ),
      counts: db.prepare<[], { writes: number | null; avatars: number | null }>(
        'SELECT (SELECT max(id) FROM kv_writes) AS writes, (SELECT max(id) FROM kv_avatars) AS avatars',
      ),
    };
    this.appendTx = db.transaction((avatar: AvatarKey, w: KvWrite, idempotent: boolean) => this.applyOne(avatar, w, idempotent));
  }

  /** Register a hook that runs inside every KV append transaction (archive job, log entry…). */
  onAppend(hook: KvAppendHook): void {
    this.hooks.push(hook);
  }

  avatarRow(avatarId: string): KvAvatarRow | undefined {
    return this.s.avatar.get(avatarId);
  }

  avatarById(id: number): KvAvatarRow | undefined {
    return this.s.avatarById.get(id);
  }

  /** The chain rule's view of an Avatar's KV chain, as it is now. */
  chainView(row: KvAvatarRow | undefined): ChainView {
    return {
      head: row?.head_signature ?? null,
      hasSignature: (key) => {
        if (!row) return false;
        const [a, b = a] = signatureForms(key);
        return this.s.hasSig.get(row.id, a!, b!) !== undefined;
      },
      hasUuid: (uuid) => row !== undefined && this.s.hasUuid.get(row.id, uuid) !== undefined,
    };
  }

  /**
   * Append a verified write (verifyKvWrite's stored form). Synchronous and durable on return;
   * throws ProofError (FORK, PREV_MISMATCH, DUPLICATE_UUID) and then nothing changed. With
   * `idempotent` (a mirror re-reading its upstream), an identical stored write is a success.
   */
  append(avatar: AvatarKey, w: KvWrite, opts: { idempotent?: boolean } = {}): KvAppendOutcome {
    return this.appendTx.immediate(avatar, w, opts.idempotent === true);
  }

  private applyOne(avatar: AvatarKey, w: KvWrite, idempotent: boolean): KvAppendOutcome {
    const now = Date.now();
    // Before the head is read: another daemon's write on this chain commits first or waits for ours.
    lockKeys(this.db, 'kv-avatar', [avatar.id]);
    let row = this.s.avatar.get(avatar.id);
    if (idempotent && row) {
      const same = this.s.same.get(row.id, w.uuid, w.signature);
      if (same) return { ok: true, writeId: same.id, seq: same.seq, existed: true };
    }
    checkKvAppend(this.chainView(row), w);
    // The feed (kv_writes.id) must become visible in id order: a mirror's cursor passes an id
    // once it has seen a higher one. Another daemon's insert could take a higher id and commit
    // first, so on PostgreSQL the accepted writes of all daemons take their ids one at a time,
    // each holding its place until it commits. After the chain check: a losing write never queues.
    lockKeys(this.db, 'kv-feed', ['order']);
    const patchJson = serdeJson(w.patch);
    row ??= this.s.insertAvatar.get(avatar.id, avatar.uncompressedHex, now)!;
    const seq = row.write_count;
    const writeId = this.s.insertWrite.get(row.id, seq, w.previous, w.platform, w.identity, w.uuid, w.created_at, patchJson, w.signature, w.sign_payload, now)!.id;
    this.s.advance.run(writeId, w.signature, now, row.id);
    const before = this.s.content.get(row.id, w.platform, w.identity);
    const content = mergePatch(before ? (JSON.parse(before.content) as KvJson) : {}, w.patch);
    this.s.upsertContent.run(row.id, w.platform, w.identity, serdeJson(content), writeId, seq, before?.first_seq ?? seq);
    const ev: KvAppendEvent = { db: this.db, kvAvatarId: row.id, avatar: avatar.id, publicKey: avatar.uncompressedHex, writeId, seq, write: w, content };
    for (const hook of this.hooks) hook(ev);
    return { ok: true, writeId, seq, existed: false };
  }

  contentsOf(kvAvatarId: number): KvContentRow[] {
    return this.s.contentsOf.all(kvAvatarId);
  }

  byIdentity(platform: string, identity: string, limit: number): Array<KvContentRow & { public_key: string }> {
    return this.s.byIdentity.all(platform, identity, limit);
  }

  /** The first `count` writes of an Avatar's KV chain (all of them by default), in chain order. */
  writes(kvAvatarId: number, count = Number.MAX_SAFE_INTEGER): KvWrite[] {
    return this.s.writes.all(kvAvatarId, count).map(rowToKvWrite);
  }

  writeBySeq(kvAvatarId: number, seq: number): KvWriteRow | undefined {
    return this.s.writeBySeq.get(kvAvatarId, seq);
  }

  /** KV writes after feed id `lastId`, in acceptance order. */
  changes(lastId: number, limit: number): Array<KvWriteRow & { avatar: string }> {
    return this.s.changes.all(lastId, limit);
  }

  counts(): { writes: number; avatars: number } {
    const r = this.s.counts.get()!;
    return { writes: r.writes ?? 0, avatars: r.avatars ?? 0 };
  }
}

export function isKvConflict(err: unknown): boolean {
  return err instanceof ProofError && (err.code === 'FORK' || err.code === 'PREV_MISMATCH' || err.code === 'DUPLICATE_UUID');
}
