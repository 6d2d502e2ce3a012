/**
 * The SQL of ./remote-pins-migration.ts: per archived version, the pinning service request and
 * its last reported state. Writes are single statements committed without an fsync, as the
 * outbox's step records are (./outbox-store.ts): a lost one is redone — a request lost before
 * its id was recorded is looked up by CID before asking again.
 */
import { withoutFsync, type Db } from '../store/sqlite.js';
import type { RemoteStatus } from './pinning-service.js';

export type RemotePinState = 'requesting' | RemoteStatus | 'unpinned';

export interface RemotePinRow {
  chain_kind: string;
  version_id: number;
  avatar_id: number;
  link_count: number;
  cid: string;
  request_id: string | null;
  status: RemotePinState;
  attempts: number;
  next_check_at: number;
  last_error: string;
  created_at: number;
  pinned_at: number | null;
  updated_at: number;
}

export class RemotePinStore {
  private readonly s;

  constructor(
    private readonly db: Db,
    readonly kind: string,
  ) {
    const T = 'archive_remote_pins';
    this.s = {
      get: db.prepare<[string, number], RemotePinRow>(`SELECT * FROM ${T} WHERE chain_kind = ? AND version_id = ?`),
      ofAvatar: db.prepare<[string, number], RemotePinRow>(`SELECT * FROM ${T} WHERE chain_kind = ? AND avatar_id = ? ORDER BY link_count`),
      insert: db.prepare(
        `INSERT INTO ${T} (chain_kind, version_id, avatar_id, link_count, cid, status, next_check_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, 'requesting', ?, ?, ?) ON CONFLICT (chain_kind, version_id) DO NOTHING`,
      ),
      accepted: db.prepare(
        `UPDATE ${T} SET request_id = ?, status = ?, next_check_at = ?, last_error = '', pinned_at = ?, updated_at = ? WHERE chain_kind = ? AND version_id = ?`,
      ),
      status: db.prepare(`UPDATE ${T} SET status = ?, next_check_at = ?, pinned_at = ?, last_error = ?, updated_at = ? WHERE chain_kind = ? AND version_id = ?`),
      failed: db.prepare(
        `UPDATE ${T} SET status = 'failed', attempts = attempts + 1, next_check_at = ?, last_error = ?, updated_at = ? WHERE chain_kind = ? AND version_id = ?`,
      ),
      error: db.prepare(`UPDATE ${T} SET last_error = ?, next_check_at = ?, updated_at = ? WHERE chain_kind = ? AND version_id = ?`),
      due: db.prepare<[string, number, number, number], RemotePinRow>(
        `SELECT * FROM ${T} WHERE chain_kind = ? AND status IN ('requesting', 'queued', 'pinning', 'failed') AND next_check_at <= ?
           AND (status <> 'requesting' OR updated_at < ?) ORDER BY next_check_at LIMIT ?`,
      ),
      olderOpen: db.prepare<[string, number, number], RemotePinRow>(
        `SELECT * FROM ${T} WHERE chain_kind = ? AND avatar_id = ? AND link_count < ? AND status <> 'unpinned' ORDER BY link_count`,
      ),
      counts: db.prepare<[string], { status: string; n: number; failing: number }>(
        `SELECT status, COUNT(*) AS n, SUM(CASE WHEN attempts > 0 THEN 1 ELSE 0 END) AS failing FROM ${T} WHERE chain_kind = ? GROUP BY status`,
      ),
    };
  }

  private relaxed<T>(fn: () => T): T {
    return withoutFsync(this.db, fn);
  }

  get(versionId: number): RemotePinRow | undefined {
    return this.s.get.get(this.kind, versionId);
  }

  /** An Avatar's rows by version id (the archive route joins them to its versions). */
  ofAvatar(avatarId: number): Map<number, RemotePinRow> {
    return new Map(this.s.ofAvatar.all(this.kind, avatarId).map((r) => [r.version_id, r]));
  }

  /** The version's row, created as `requesting` (about to be asked for) when it has none. */
  ensure(v: { id: number; avatar_id: number; link_count: number; cid: string }, now = Date.now()): { row: RemotePinRow; created: boolean } {
    const n = this.relaxed(() => this.s.insert.run(this.kind, v.id, v.avatar_id, v.link_count, v.cid, now, now, now).changes);
    return { row: this.get(v.id)!, created: n > 0 };
  }

  /** The service took the request (POST /pins answered, or an earlier one was found). */
  accepted(versionId: number, requestId: string, status: RemoteStatus, nextCheckAt: number, now = Date.now()): void {
    this.relaxed(() => this.s.accepted.run(requestId, status, nextCheckAt, status === 'pinned' ? now : null, now, this.kind, versionId));
  }

  setStatus(versionId: number, status: 'queued' | 'pinning' | 'pinned' | 'unpinned' | 'requesting', nextCheckAt: number, now = Date.now()): void {
    const row = this.get(versionId);
    const pinnedAt = status === 'pinned' ? (row?.pinned_at ?? now) : (row?.pinned_at ?? null);
    this.relaxed(() => this.s.status.run(status, nextCheckAt, pinnedAt, '', now, this.kind, versionId));
  }

  /** The service reported the request failed (or forgot it): asked again at `retryAt`. */
  failed(versionId: number, retryAt: number, error: string, now = Date.now()): void {
    this.relaxed(() => this.s.failed.run(retryAt, error.slice(0, 500), now, this.kind, versionId));
  }

  /** The service could not be asked (outage): state kept, checked again at `retryAt`. */
  error(versionId: number, retryAt: number, error: string, now = Date.now()): void {
    this.relaxed(() => this.s.error.run(error.slice(0, 500), retryAt, now, this.kind, versionId));
  }

  /**
   * Rows to check now: queued / pinning (poll), failed (ask again), and `requesting` rows no
   * run has touched for `staleMs` (a run that failed or crashed around its POST left them).
   */
  due(now: number, staleMs: number, limit: number): RemotePinRow[] {
    return this.s.due.all(this.kind, now, now - staleMs, limit);
  }

  /** Rows of the Avatar's older versions not unpinned yet (superseded once a newer is pinned). */
  olderOpen(avatarId: number, linkCount: number): RemotePinRow[] {
    return this.s.olderOpen.all(this.kind, avatarId, linkCount);
  }

  /** Rows per state, and how many have failed at least once (for /healthz). */
  counts(): Record<string, number> {
    const out: Record<string, number> = { requesting: 0, queued: 0, pinning: 0, pinned: 0, failed: 0, unpinned: 0, failing: 0 };
    for (const r of this.s.counts.all(this.kind)) {
      out[r.status] = r.n;
      if (r.status !== 'pinned' && r.status !== 'unpinned') out['failing']! += r.failing ?? 0;
    }
    return out;
  }
}
