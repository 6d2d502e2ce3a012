/**
 * The archive's SQL: the tables of ./migration.ts and nothing else (chains are read through the
 * store's reader). Every state change is one short synchronous transaction, so a crash leaves
 * either the old or the new state: the worker's steps are idempotent against both.
 *
 * Which Avatars have pending jobs is also kept in memory (loaded once, then maintained by
 * enqueue / fail / complete): the worker asks for due Avatars several times a second and the
 * health and metrics routes for the queue's size, and with tens of thousands of pending jobs
 * the GROUP BY over them took 15+ ms of the API's loop each time. The table stays the truth:
 * the daemon is its only writer (one connection), and an Avatar's entry is re-read from it
 * before each run (a job enqueued in a transaction that then rolled back is dropped there).
 *
 * Several daemons on one PostgreSQL database. Then this process is not the only writer: there
 * is no index (due Avatars, the queue's size and a run's jobs are read from the table), and an
 * Avatar is run by one daemon at a time, the one holding its lease (./lease-migration.ts):
 * claimed in one statement (an upsert that only replaces an expired lease), renewed while its
 * run goes on, checked again before a tx is signed, and released when the run ends. A daemon
 * that died leaves its leases to expire; the others then take its Avatars over.
 *
 * Durability of the version steps. The connection commits with synchronous = FULL: an fsync,
 * on the API's event loop, ~2 ms typically and tens of ms at times. The archive's step records
 * need no fsync each: every step is idempotent (a lost one is redone), so they are committed
 * without one (WAL, synchronous = NORMAL: a process crash loses nothing, a power loss at most
 * the latest steps, redone after restart). The one that must survive power loss is the signed
 * tx, before it is posted (else a version could get a second tx): `recordSigned` commits
 * without the fsync too, then `durable()` fsyncs the WAL file in the thread pool, and the
 * worker posts only after that.
 */
import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { AppendEvent } from '../store/index.js';
import type { Reader } from '../store/read.js';
import { withoutFsync, type Db } from '../store/sqlite.js';
import type { SignedTx, Tag } from './arweave.js';
import { RemotePinStore } from './remote-pins.js';
import { FeedLease } from '../store/lease.js';
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

/** An Avatar's pending jobs, as the table says (the in-memory index). */
interface Pending {
  firstAt: number;
  nextAt: number;
  maxCount: number;
  attempts: number;
  jobs: number;
}

export class OutboxStore {
  private readonly s;
  private readonly chains: ChainSource;
  private readonly db: Db;
  /** avatar id -> its pending jobs; insertion order ~ oldest first. Loaded on first use. */
  private pendingIndex: Map<number, Pending> | null = null;
  /** the WAL file, fsynced by durable(); null for a database without one */
  private readonly wal: string | null;
  /** other daemons share the table (PostgreSQL): no index, leases instead */
  private readonly shared: boolean;
  /** this daemon's name on its leases */
  readonly holder = `${hostname()}/${process.pid}/${randomBytes(4).toString('hex')}`;
  private readonly leaseMs: number;
  /** the one daemon on a shared database that polls posted transactions (confirmer()) */
  private readonly confirmLease: FeedLease;
  private lastRenew = 0;
  private readonly ls;

  /**
   * `chains`: the store's reader (proof chains) or a chain source of another kind, with `kind`
   * naming that kind's tables and tags (KV chains: kinds.ts).
   */
  constructor(
    db: Db,
    chains: Pick<Reader, 'avatarById' | 'chainPrefix'> | ChainSource,
    readonly kind: OutboxKind = PROOF_KIND,
    opts: { leaseMs?: number } = {},
  ) {
    this.shared = db.dialect === 'postgres';
    this.confirmLease = new FeedLease(db, `archive-confirm:${kind.name}`);
    this.leaseMs = opts.leaseMs ?? 60_000;
    this.chains = 'document' in chains ? chains : proofChains(chains);
    // Without a WAL (in memory, rollback journal) the step commits are not relaxed at all.
    this.wal = db.pragma('journal_mode', { simple: true }) === 'wal' && !db.memory ? `${db.name}-wal` : null;
    this.db = db;
    const J = kind.jobs;
    const V = kind.versions;
    this.s = {
      enqueue: db.prepare(`INSERT INTO ${J} (avatar_id, link_count, enqueued_at, next_attempt_at) VALUES (?, ?, ?, ?)`),
      pendingAll: db.prepare<[], { avatar_id: number; first_at: number; next_at: number; max_count: number; attempts: number; jobs: number }>(
        `SELECT avatar_id, MIN(enqueued_at) AS first_at, MAX(next_attempt_at) AS next_at, MAX(link_count) AS max_count,
           MAX(attempts) AS attempts, COUNT(*) AS jobs
         FROM ${J} WHERE state = 'pending' GROUP BY avatar_id ORDER BY first_at`,
      ),
      pendingOne: db.prepare<[number], { first_at: number | null; next_at: number | null; max_count: number | null; attempts: number | null; jobs: number }>(
        `SELECT MIN(enqueued_at) AS first_at, MAX(next_attempt_at) AS next_at, MAX(link_count) AS max_count,
           MAX(attempts) AS attempts, COUNT(*) AS jobs
         FROM ${J} WHERE avatar_id = ? AND state = 'pending'`,
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
    // Prepared only where they run (the lease table's statements are PostgreSQL's).
    this.ls = !this.shared ? null : {
      due: db.prepare<[string, string, number, string, number, number, number], DueAvatar>(
        `SELECT j.avatar_id, MIN(j.enqueued_at) AS first_at, MAX(j.link_count) AS max_count, MAX(j.attempts) AS attempts
         FROM ${J} j WHERE j.state = 'pending' AND NOT (j.avatar_id = ANY (?::bigint[]))
           AND NOT EXISTS (SELECT 1 FROM archive_leases l WHERE l.kind = ? AND l.avatar_id = j.avatar_id AND l.expires_at > ? AND l.holder <> ?)
         GROUP BY j.avatar_id HAVING MIN(j.enqueued_at) <= ? AND MAX(j.next_attempt_at) <= ?
         ORDER BY first_at, j.avatar_id LIMIT ?`,
      ),
      claim: db.prepare<[string, number, string, number, number], { avatar_id: number }>(
        `INSERT INTO archive_leases (kind, avatar_id, holder, expires_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (kind, avatar_id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
         WHERE archive_leases.expires_at <= ? OR archive_leases.holder = excluded.holder
         RETURNING avatar_id`,
      ),
      renew: db.prepare<[number, string, string, string]>(
        'UPDATE archive_leases SET expires_at = ? WHERE kind = ? AND holder = ? AND avatar_id = ANY (?::bigint[])',
      ),
      holds: db.prepare<[string, number, string, number], { n: number }>(
        'SELECT count(*) AS n FROM archive_leases WHERE kind = ? AND avatar_id = ? AND holder = ? AND expires_at > ?',
      ),
      release: db.prepare<[string, number, string]>('DELETE FROM archive_leases WHERE kind = ? AND avatar_id = ? AND holder = ?'),
      releaseAll: db.prepare<[string, string]>('DELETE FROM archive_leases WHERE kind = ? AND holder = ?'),
      summary: db.prepare<[], { jobs: number; avatars: number; oldest: number | null; failing: number }>(
        `SELECT COUNT(*) AS jobs, COUNT(DISTINCT avatar_id) AS avatars, MIN(enqueued_at) AS oldest,
           COUNT(DISTINCT avatar_id) FILTER (WHERE attempts > 0) AS failing
         FROM ${J} WHERE state = 'pending'`,
      ),
    };
  }

  private remote: RemotePinStore | null = null;

  /** This kind's pinning service requests (./remote-pins.ts), prepared on first use. */
  get remotePins(): RemotePinStore {
    return (this.remote ??= new RemotePinStore(this.db, this.kind.name));
  }

  /** Run one step's write committed without an fsync (see the header). */
  private relaxed<T>(fn: () => T): T {
    return withoutFsync(this.db, fn);
  }

  /**
   * Every commit so far on disk: fsync of the WAL file in the thread pool (the event loop goes
   * on). After a checkpoint the frames are in the database file, which the checkpoint synced.
   */
  async durable(): Promise<void> {
    if (!this.wal) return;
    let fh;
    try {
      fh = await open(this.wal, 'r');
    } catch (err) {
      // No WAL file: everything was checkpointed into the (synced) database and the WAL removed.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  /** Called by the store's append hook, inside the append transaction. */
  enqueue(ev: Pick<AppendEvent, 'avatarId' | 'seq'>, now = Date.now()): void {
    this.s.enqueue.run(ev.avatarId, ev.seq + 1, now, now);
    if (this.shared) return;
    const index = this.pendingIndex;
    if (!index) return; // loaded from the table (this row included) on first use
    const p = index.get(ev.avatarId);
    if (p) {
      p.jobs++;
      p.maxCount = Math.max(p.maxCount, ev.seq + 1);
      p.nextAt = Math.max(p.nextAt, now);
    } else index.set(ev.avatarId, { firstAt: now, nextAt: now, maxCount: ev.seq + 1, attempts: 0, jobs: 1 });
  }

  private index(): Map<number, Pending> {
    if (!this.pendingIndex) {
      this.pendingIndex = new Map();
      for (const r of this.s.pendingAll.all()) {
        this.pendingIndex.set(r.avatar_id, { firstAt: r.first_at, nextAt: r.next_at, maxCount: r.max_count, attempts: r.attempts, jobs: r.jobs });
      }
    }
    return this.pendingIndex;
  }

  /**
   * Re-read one Avatar's pending jobs from the table into the index (an indexed query): after
   * its run, and before one (so an entry the table does not back is dropped). Returns whether
   * it has any. An Avatar with jobs left moves to the back of the index.
   */
  refresh(avatarId: number): boolean {
    if (this.shared) return this.s.pendingOne.get(avatarId)!.jobs > 0;
    const index = this.index();
    const r = this.s.pendingOne.get(avatarId)!;
    index.delete(avatarId);
    if (r.jobs === 0) return false;
    index.set(avatarId, { firstAt: r.first_at!, nextAt: r.next_at!, maxCount: r.max_count!, attempts: r.attempts ?? 0, jobs: r.jobs });
    return true;
  }

  /**
   * Avatars whose oldest pending job is older than the coalesce window and not backing off,
   * skipping those in `busy` (already running or queued): taken in the order they became
   * pending (an Avatar with jobs left after a run goes to the back), returned oldest first.
   */
  due(now: number, coalesceMs: number, limit: number, busy: ReadonlySet<number> = new Set()): DueAvatar[] {
    const out: DueAvatar[] = [];
    if (limit <= 0) return out;
    if (this.ls) return this.claimDue(now, coalesceMs, limit, busy);
    const cutoff = now - coalesceMs;
    for (const [avatarId, p] of this.index()) {
      if (p.firstAt > cutoff || p.nextAt > now || busy.has(avatarId)) continue;
      out.push({ avatar_id: avatarId, first_at: p.firstAt, max_count: p.maxCount, attempts: p.attempts });
      if (out.length >= limit) break;
    }
    return out.sort((a, b) => a.first_at - b.first_at);
  }

  /**
   * PostgreSQL: the due Avatars no other daemon holds, each claimed (or its lease renewed) for
   * this one; one another daemon claimed first (between the read and the claim) is left to it.
   * The worker's `busy` (what it runs already) is left out, as with the index. Oldest first.
   */
  private claimDue(now: number, coalesceMs: number, limit: number, busy: ReadonlySet<number>): DueAvatar[] {
    const ls = this.ls!;
    const name = this.kind.name;
    const candidates = ls.due.all(`{${[...busy].join(',')}}`, name, now, this.holder, now - coalesceMs, now, limit);
    return candidates.filter((c) => ls.claim.get(name, c.avatar_id, this.holder, now + this.leaseMs, now) !== undefined);
  }

  /** Extend the leases of the Avatars this daemon is running (at most every third of a lease). */
  renew(avatarIds: Iterable<number>, now = Date.now()): void {
    if (!this.ls || now - this.lastRenew < this.leaseMs / 3) return;
    const ids = [...avatarIds];
    this.lastRenew = now;
    if (ids.length > 0) this.ls.renew.run(now + this.leaseMs, this.kind.name, this.holder, `{${ids.join(',')}}`);
  }

  /** Whether this daemon still holds the Avatar's lease (always, on SQLite): asked before signing. */
  holds(avatarId: number, now = Date.now()): boolean {
    return !this.ls || this.ls.holds.get(this.kind.name, avatarId, this.holder, now)!.n > 0;
  }

  /** The Avatar's run ended: another daemon may take it at once. */
  release(avatarId: number): void {
    this.ls?.release.run(this.kind.name, avatarId, this.holder);
  }

  /** Shutdown: every lease of this daemon, so the others need not wait for them to expire. */
  releaseAll(): void {
    this.ls?.releaseAll.run(this.kind.name, this.holder);
  }

  attempts(avatarId: number): number {
    return this.s.attempts.get(avatarId)?.attempts ?? 0;
  }

  fail(avatarId: number, nextAttemptAt: number, error: string): void {
    this.relaxed(() => this.s.fail.run(nextAttemptAt, error.slice(0, 500), avatarId));
    this.refresh(avatarId);
  }

  complete(avatarId: number, upToCount: number, versionId: number, now = Date.now()): number {
    const n = this.relaxed(() => this.s.complete.run(now, versionId, avatarId, upToCount).changes);
    this.refresh(avatarId);
    return n;
  }

  /** The queue as the index has it: no scan of the jobs table. */
  summary(): PendingSummary {
    if (this.ls) {
      const r = this.ls.summary.get()!;
      return { jobs: r.jobs, avatars: r.avatars, oldest_enqueued_at: r.oldest, failing_avatars: r.failing };
    }
    let jobs = 0;
    let oldest: number | null = null;
    let failing = 0;
    const index = this.index();
    for (const p of index.values()) {
      jobs += p.jobs;
      if (oldest === null || p.firstAt < oldest) oldest = p.firstAt;
      if (p.attempts > 0) failing++;
    }
    return { jobs, avatars: index.size, oldest_enqueued_at: oldest, failing_avatars: failing };
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
    this.relaxed(() => this.s.insertVersion.run(v.avatarId, v.linkCount, v.headUuid, v.cid, v.size, v.ipfs, v.kubo, v.arweave, now, now));
    return this.version(v.avatarId, v.linkCount)!;
  }

  setIpfs(id: number, status: IpfsStatus): void {
    const now = Date.now();
    this.relaxed(() => this.s.setIpfs.run(status, status === 'pinned' ? now : null, now, id));
  }

  setKubo(id: number, status: IpfsStatus): void {
    this.relaxed(() => this.s.setKubo.run(status, Date.now(), id));
  }

  /** Persist the signed tx (and so its id) before it is posted: on disk once durable() resolves. */
  recordSigned(id: number, tx: SignedTx, previousTx: string | null): void {
    const now = Date.now();
    this.relaxed(() => this.s.signed.run(tx.id, JSON.stringify(tx.json), previousTx, now, now, id));
  }

  markPosted(id: number): void {
    const now = Date.now();
    this.relaxed(() => this.s.posted.run(now, now, id));
  }

  markReposted(id: number): void {
    const now = Date.now();
    this.relaxed(() => this.s.reposted.run(now, now, id));
  }

  setConfirmations(id: number, confirmations: number, height: number): void {
    this.relaxed(() => this.s.confirmations.run(confirmations, height, Date.now(), id));
  }

  markConfirmed(id: number, confirmations: number, height: number): void {
    const now = Date.now();
    this.relaxed(() => this.s.confirmed.run(confirmations, height, now, now, id));
  }

  /** A tx for this version was found on Arweave by its tags: it becomes the version's tx (a durable commit). */
  adopt(id: number, txId: string): void {
    const now = Date.now();
    this.s.adopt.run(txId, now, now, id);
  }

  /** Rotate a checked version to the back of the confirmation queue. */
  touch(id: number): void {
    this.relaxed(() => this.s.touch.run(Date.now(), id));
  }

  versionError(id: number, error: string): void {
    this.relaxed(() => this.s.versionError.run(error.slice(0, 500), Date.now(), id));
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

  /**
   * Whether this daemon polls the posted transactions: one daemon per database does (a session
   * lock, taken over when its holder dies), so a lost tx is re-posted or re-signed once, not by
   * every daemon at the same moment. Always true on SQLite.
   */
  confirmer(): boolean {
    return this.confirmLease.claim() !== false;
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
