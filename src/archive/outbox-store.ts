/**
 * The archive's SQL: the tables of ./migration.ts and nothing else (chains are read through the
 * store's reader). Every state change is one short synchronous transaction, so a crash leaves
 * either the old or the new state: the worker's steps are idempotent against both.
 */
import type { AppendEvent } from '../store/index.js';
import type { Reader } from '../store/read.js';
import type { Db } from '../store/sqlite.js';
import type { SignedTx, Tag } from './arweave.js';
import { PROOF_KIND, proofChains, type ChainSource, type OutboxKind, type TagInput } from './kinds.js';

export type IpfsStatus = 'pending' | 'pinned' | 'unpinned' | 'disabled';
export type ArweaveStatus = 'pending' | 'signed' | 'posted' | 'confirmed' | 'disabled';

export interface VersionRow {
  id: number;
  avatar_id: number;
  link_count: number;
  head_uuid: string;
  cid: string;
  size: number;
  ipfs_status: IpfsStatus;
  kubo_status: IpfsStatus;
  arweave_status: ArweaveStatus;
  tx_id: string | null;
  tx_json: string | null;
  previous_tx: string | null;
  confirmations: number | null;
  block_height: number | null;
  reposts: number;
  last_error: string;
  created_at: number;
  ipfs_pinned_at: number | null;
  arweave_signed_at: number | null;
  arweave_posted_at: number | null;
  arweave_confirmed_at: number | null;
  updated_at: number;
}

export interface DueAvatar {
  avatar_id: number;
  first_at: number;
  max_count: number;
  attempts: number;
}

export interface PendingSummary {
  jobs: number;
  avatars: number;
  oldest_enqueued_at: number | null;
  failing_avatars: number;
}

export class OutboxStore {
  private readonly s;
  private readonly chains: ChainSource;

  /**
   * `chains`: the store's reader (proof chains) or a chain source of another kind, with `kind`
   * naming that kind's tables and tags (KV chains: kinds.ts).
   */
  constructor(
    db: Db,
    chains: Pick<Reader, 'avatarById' | 'chainPrefix'> | ChainSource,
    readonly kind: OutboxKind = PROOF_KIND,
  ) {
    this.chains = 'document' in chains ? chains : proofChains(chains);
    const J = kind.jobs;
    const V = kind.versions;
    this.s = {
      enqueue: db.prepare(`INSERT INTO ${J} (avatar_id, link_count, enqueued_at, next_attempt_at) VALUES (?, ?, ?, ?)`),
      due: db.prepare<[number, number, number], DueAvatar>(
        `SELECT avatar_id, MIN(enqueued_at) AS first_at, MAX(link_count) AS max_count, MAX(attempts) AS attempts
         FROM ${J} WHERE state = 'pending' GROUP BY avatar_id
         HAVING MIN(enqueued_at) <= ? AND MAX(next_attempt_at) <= ? ORDER BY first_at LIMIT ?`,
      ),
      attempts: db.prepare<[number], { attempts: number | null }>(
        `SELECT MAX(attempts) AS attempts FROM ${J} WHERE avatar_id = ? AND state = 'pending'`,
      ),
      fail: db.prepare(
        `UPDATE ${J} SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE avatar_id = ? AND state = 'pending'`,
      ),
      complete: db.prepare(
        `UPDATE ${J} SET state = 'done', done_at = ?, version_id = ?, last_error = '' WHERE avatar_id = ? AND state = 'pending' AND link_count <= ?`,
      ),
      summary: db.prepare<[], { jobs: number; avatars: number; oldest: number | null; failing: number }>(
        `SELECT COUNT(*) AS jobs, COUNT(DISTINCT avatar_id) AS avatars, MIN(enqueued_at) AS oldest,
           COUNT(DISTINCT CASE WHEN attempts > 0 THEN avatar_id END) AS failing
         FROM ${J} WHERE state = 'pending'`,
      ),
      pendingOf: db.prepare<[number], { jobs: number; next_attempt_at: number | null; attempts: number | null; last_error: string | null }>(
        `SELECT COUNT(*) AS jobs, MAX(next_attempt_at) AS next_attempt_at, MAX(attempts) AS attempts, MAX(last_error) AS last_error
         FROM ${J} WHERE avatar_id = ? AND state = 'pending'`,
      ),
      version: db.prepare<[number, number], VersionRow>(`SELECT * FROM ${V} WHERE avatar_id = ? AND link_count = ?`),
      versionById: db.prepare<[number], VersionRow>(`SELECT * FROM ${V} WHERE id = ?`),
      versionsOf: db.prepare<[number], VersionRow>(`SELECT * FROM ${V} WHERE avatar_id = ? ORDER BY link_count`),
      insertVersion: db.prepare(
        `INSERT INTO ${V} (avatar_id, link_count, head_uuid, cid, size, ipfs_status, kubo_status, arweave_status, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (avatar_id, link_count) DO NOTHING`,
      ),
      setIpfs: db.prepare(`UPDATE ${V} SET ipfs_status = ?, ipfs_pinned_at = COALESCE(?, ipfs_pinned_at), updated_at = ? WHERE id = ?`),
      setKubo: db.prepare(`UPDATE ${V} SET kubo_status = ?, updated_at = ? WHERE id = ?`),
      signed: db.prepare(
        `UPDATE ${V} SET arweave_status = 'signed', tx_id = ?, tx_json = ?, previous_tx = ?, arweave_signed_at = ?, updated_at = ? WHERE id = ?`,
      ),
      posted: db.prepare(
        `UPDATE ${V} SET arweave_status = 'posted', arweave_posted_at = ?, last_error = '', updated_at = ? WHERE id = ? AND arweave_status = 'signed'`,
      ),
      reposted: db.prepare(`UPDATE ${V} SET reposts = reposts + 1, arweave_posted_at = ?, updated_at = ? WHERE id = ?`),
      confirmations: db.prepare(`UPDATE ${V} SET confirmations = ?, block_height = ?, updated_at = ? WHERE id = ?`),
      confirmed: db.prepare(
        `UPDATE ${V} SET arweave_status = 'confirmed', confirmations = ?, block_height = ?, arweave_confirmed_at = ?, updated_at = ? WHERE id = ?`,
      ),
      adopt: db.prepare(
        `UPDATE ${V} SET tx_id = ?, tx_json = NULL, arweave_status = 'posted', arweave_posted_at = ?, updated_at = ? WHERE id = ?`,
      ),
      touch: db.prepare(`UPDATE ${V} SET updated_at = ? WHERE id = ?`),
      versionError: db.prepare(`UPDATE ${V} SET last_error = ?, updated_at = ? WHERE id = ?`),
      inState: db.prepare<[number, string], VersionRow>(`SELECT * FROM ${V} WHERE avatar_id = ? AND arweave_status = ? ORDER BY link_count`),
      pinnedBefore: db.prepare<[number, number], VersionRow>(
        `SELECT * FROM ${V} WHERE avatar_id = ? AND link_count < ? AND (ipfs_status = 'pinned' OR kubo_status = 'pinned') ORDER BY link_count`,
      ),
      previousTx: db.prepare<[number, number], { tx_id: string }>(
        `SELECT tx_id FROM ${V} WHERE avatar_id = ? AND link_count < ? AND tx_id IS NOT NULL ORDER BY link_count DESC LIMIT 1`,
      ),
      toConfirm: db.prepare<[number], VersionRow>(
        `SELECT * FROM ${V} WHERE arweave_status IN ('signed', 'posted') ORDER BY updated_at LIMIT ?`,
      ),
      unconfirmed: db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM ${V} WHERE arweave_status IN ('signed', 'posted')`),
      lastTx: db.prepare<[number], { tx_id: string }>(
        `SELECT tx_id FROM ${V} WHERE avatar_id = ? AND arweave_status IN ('posted', 'confirmed') ORDER BY link_count DESC LIMIT 1`,
      ),
      txForSeq: db.prepare<[number, number], { tx_id: string }>(
        `SELECT tx_id FROM ${V} WHERE avatar_id = ? AND link_count > ? AND arweave_status IN ('posted', 'confirmed') ORDER BY link_count LIMIT 1`,
      ),
    };
  }

  /** Called by the store's append hook, inside the append transaction. */
  enqueue(ev: Pick<AppendEvent, 'avatarId' | 'seq'>, now = Date.now()): void {
    this.s.enqueue.run(ev.avatarId, ev.seq + 1, now, now);
  }

  /** Avatars whose oldest pending job is older than the coalesce window and not backing off. */
  due(now: number, coalesceMs: number, limit: number): DueAvatar[] {
    return this.s.due.all(now - coalesceMs, now, limit);
  }

  attempts(avatarId: number): number {
    return this.s.attempts.get(avatarId)?.attempts ?? 0;
  }

  fail(avatarId: number, nextAttemptAt: number, error: string): void {
    this.s.fail.run(nextAttemptAt, error.slice(0, 500), avatarId);
  }

  complete(avatarId: number, upToCount: number, versionId: number, now = Date.now()): number {
    return this.s.complete.run(now, versionId, avatarId, upToCount).changes;
  }

  summary(): PendingSummary {
    const r = this.s.summary.get()!;
    return { jobs: r.jobs, avatars: r.avatars, oldest_enqueued_at: r.oldest, failing_avatars: r.failing };
  }

  pendingOf(avatarId: number): { jobs: number; next_attempt_at: number | null; attempts: number; last_error: string } {
    const r = this.s.pendingOf.get(avatarId)!;
    return { jobs: r.jobs, next_attempt_at: r.next_attempt_at, attempts: r.attempts ?? 0, last_error: r.last_error ?? '' };
  }

  avatar(avatarId: number): { id: number; avatar: string; public_key: string; link_count: number } | undefined {
    return this.chains.avatar(avatarId);
  }

  /** The document of the Avatar's chain as it was at `count` entries, and its head uuid. */
  document(avatarId: number, publicKey: string, count: number): { bytes: Uint8Array; headUuid: string; entries: number } {
    return this.chains.document(avatarId, publicKey, count);
  }

  tags(v: TagInput): Tag[] {
    return this.kind.tags(v);
  }

  version(avatarId: number, linkCount: number): VersionRow | undefined {
    return this.s.version.get(avatarId, linkCount);
  }

  versionById(id: number): VersionRow | undefined {
    return this.s.versionById.get(id);
  }

  versionsOf(avatarId: number): VersionRow[] {
    return this.s.versionsOf.all(avatarId);
  }

  insertVersion(v: { avatarId: number; linkCount: number; headUuid: string; cid: string; size: number; ipfs: IpfsStatus; kubo: IpfsStatus; arweave: ArweaveStatus }): VersionRow {
    const now = Date.now();
    this.s.insertVersion.run(v.avatarId, v.linkCount, v.headUuid, v.cid, v.size, v.ipfs, v.kubo, v.arweave, now, now);
    return this.version(v.avatarId, v.linkCount)!;
  }

  setIpfs(id: number, status: IpfsStatus): void {
    const now = Date.now();
    this.s.setIpfs.run(status, status === 'pinned' ? now : null, now, id);
  }

  setKubo(id: number, status: IpfsStatus): void {
    this.s.setKubo.run(status, Date.now(), id);
  }

  /** Persist the signed tx (and so its id) before it is posted. */
  recordSigned(id: number, tx: SignedTx, previousTx: string | null): void {
    const now = Date.now();
    this.s.signed.run(tx.id, JSON.stringify(tx.json), previousTx, now, now, id);
  }

  markPosted(id: number): void {
    const now = Date.now();
    this.s.posted.run(now, now, id);
  }

  markReposted(id: number): void {
    const now = Date.now();
    this.s.reposted.run(now, now, id);
  }

  setConfirmations(id: number, confirmations: number, height: number): void {
    this.s.confirmations.run(confirmations, height, Date.now(), id);
  }

  markConfirmed(id: number, confirmations: number, height: number): void {
    const now = Date.now();
    this.s.confirmed.run(confirmations, height, now, now, id);
  }

  /** A tx for this version was found on Arweave by its tags: it becomes the version's tx. */
  adopt(id: number, txId: string): void {
    const now = Date.now();
    this.s.adopt.run(txId, now, now, id);
  }

  /** Rotate a checked version to the back of the confirmation queue. */
  touch(id: number): void {
    this.s.touch.run(Date.now(), id);
  }

  versionError(id: number, error: string): void {
    this.s.versionError.run(error.slice(0, 500), Date.now(), id);
  }

  inState(avatarId: number, status: ArweaveStatus): VersionRow[] {
    return this.s.inState.all(avatarId, status);
  }

  pinnedBefore(avatarId: number, linkCount: number): VersionRow[] {
    return this.s.pinnedBefore.all(avatarId, linkCount);
  }

  previousTx(avatarId: number, linkCount: number): string | null {
    return this.s.previousTx.get(avatarId, linkCount)?.tx_id ?? null;
  }

  toConfirm(limit: number): VersionRow[] {
    return this.s.toConfirm.all(limit);
  }

  unconfirmed(): number {
    return this.s.unconfirmed.get()!.n;
  }

  lastTxId(avatarId: number): string {
    return this.s.lastTx.get(avatarId)?.tx_id ?? '';
  }

  txIdForLink(avatarId: number, seq: number): string {
    return this.s.txForSeq.get(avatarId, seq)?.tx_id ?? '';
  }
}
