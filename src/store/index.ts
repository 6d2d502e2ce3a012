/**
 * The SQLite index. Appends go through one path (API, bulk import, mirror): each is checked
 * against the Avatar's head re-read inside the transaction, so two concurrent appends on one
 * Avatar never both land. Concurrent appends share one durable commit (group commit), so
 * synchronous=FULL costs one fsync per batch, not per link; callers get their outcome only after
 * that commit returns. A batch is one transaction with no savepoint per item: every item is
 * judged before anything of it is written, so a rejected one writes nothing by construction.
 */
import type { Logger } from 'pino';
import {
  judgeChain, prevKey, ProofError, signatureForms,
  type AvatarKey, type ChainEntry, type ChainView, type Link, type Rejection, type TimeWindow,
} from '../core/index.js';
import { Bindings, type InitialBindingState, type ValidityChange } from './bindings.js';
import { MIGRATIONS, type Migration } from './migrations.js';
import { Reader } from './read.js';
import type { AvatarRow } from './rows.js';
import { openDatabase } from './open.js';
import { lockKeys } from './db.js';
import { requireFsync, type Db } from './sqlite.js';

export type { BindingRow, BindingStatus, BindingTarget, InitialBindingState } from './bindings.js';
export { Bindings } from './bindings.js';
export type { ValidityChange, VerdictEvidence } from './bindings.js';
export type { Db, Dialect } from './db.js';
export { sql, lockKeys } from './db.js';
export { openDatabase, openConfigured } from './open.js';

export interface AppendItem {
  avatar: AvatarKey;
  /** verified link in stored form (verifyLink's result), or the link as received when `own` failed */
  link: Link;
  /**
   * The link's own verification failed with this verdict. It still goes through the judge, so
   * a chain failure (BROKEN_ANCESTOR, DUPLICATE_UUID, FORK, …) wins in the judge's one order;
   * nothing of it is ever written.
   */
  own?: Rejection;
  initial?: InitialBindingState;
  /** an identical stored link is a success (import, mirror) instead of DUPLICATE_UUID */
  idempotent?: boolean;
}

/** Links an appender has seen rejected, by Avatar and prevKey form of their signature. */
export interface RejectedLinks {
  has(avatar: string, key: string): boolean;
  add(avatar: string, key: string): void;
}

/**
 * What the judge sees beyond the store's own state, for one appender (an import request, a
 * mirror page): its time window, and the links it saw rejected — earlier in the same call or in
 * its earlier calls — so that what hangs off them is BROKEN_ANCESTOR. The store adds every item
 * it rejects to `rejected`.
 */
export interface AppendContext {
  window?: TimeWindow;
  rejected?: RejectedLinks;
}

export type AppendOutcome = { ok: true; linkId: number; seq: number; existed: boolean } | { ok: false; error: ProofError };

/**
 * What an in-transaction append hook is told. The hook runs inside the append transaction on
 * the shared connection and writes only its owner's tables; throwing rolls the link back.
 */
export interface AppendEvent {
  avatarId: number;
  avatar: string;
  publicKey: string;
  linkId: number;
  seq: number;
  link: Link;
  bindingId: number | null;
  /** the binding state the appender asked for (e.g. a check passed on submit), if any */
  initial: InitialBindingState | undefined;
}

export type AppendHook = (ev: AppendEvent) => void;

/** A subkey record was stored (src/subkeys), fields as stored. */
export interface SubkeyChange {
  kind: 'subkey';
  id: number;
  avatar: string;
  algorithm: string;
  public_key: string;
  rp_id: string;
  name: string;
  sign_payload: string;
  signature: string;
  created_at: number;
}

/** A KV write was stored (the KVService): the signed payload and signature as stored; `id` is its row id. */
export interface KvChange {
  kind: 'kv';
  id: number;
  avatar: string;
  platform: string;
  identity: string;
  uuid: string;
  created_at: number;
  sign_payload: string;
  signature: string;
}

/** Accepted changes other than links, reported by their writers inside the accepting transaction. */
export type StoreChange = ValidityChange | SubkeyChange | KvChange;
export type ChangeHook = (ev: StoreChange) => void;

export interface StoreOptions {
  log?: Logger | undefined;
  groupCommitMs?: number | undefined;
}

export interface OpenStoreOptions extends StoreOptions {
  file: string;
  busyTimeoutMs?: number;
  /** default: the store's own tables only; pass src/schema.ts's SCHEMA for every owner's */
  migrations?: readonly Migration[];
}

interface Pending {
  items: AppendItem[];
  ctx: AppendContext | undefined;
  resolve: (r: AppendOutcome[]) => void;
  reject: (e: unknown) => void;
}

export class Store {
  readonly read: Reader;
  /** binding state transitions (the checkers' verdicts go through here) */
  readonly bindings: Bindings;
  private readonly hooks: AppendHook[] = [];
  private readonly changeHooks: ChangeHook[] = [];
  private readonly log: Logger | undefined;
  private readonly groupCommitMs: number;
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  private closed = false;
  /** group commit effect, for /healthz and tests: appends per durable commit */
  private readonly counters = { commits: 0, appends: 0 };
  private readonly stmts;
  /** the batch's one durable transaction, and an item's savepoint inside it (prepared once) */
  private readonly batchTx: (batch: Pending[], ctxs: Array<AppendContext | undefined>, safe: boolean) => AppendOutcome[][];
  private readonly applyInSavepoint: (item: AppendItem, row: AvatarRow | undefined, replayOf: StoredLink | undefined) => AppendOutcome;

  /** Takes over the connection (close() closes it); the tables must be migrated already. */
  constructor(
    private readonly db: Db,
    opts: StoreOptions = {},
  ) {
    this.log = opts.log;
    this.groupCommitMs = opts.groupCommitMs ?? 2;
    this.read = new Reader(db);
    this.bindings = new Bindings(db, (ev) => this.changed(ev));
    this.stmts = {
      avatar: db.prepare<[string], AvatarRow>('SELECT * FROM avatars WHERE avatar = ?'),
      hasSig: db.prepare<[number, string, string], { one: number }>('SELECT 1 AS one FROM links WHERE avatar_id = ? AND signature IN (?, ?) LIMIT 1'),
      // `uuid <> ''` lets SQLite use the partial index links_avatar_uuid; without it the lookup
      // walks the Avatar's whole chain (O(links) per append, ~0.1 ms at 100 links).
      hasUuid: db.prepare<[number, string], { one: number }>("SELECT 1 AS one FROM links WHERE avatar_id = ? AND uuid = ? AND uuid <> '' LIMIT 1"),
      sameLink: db.prepare<[number, string, string], { id: number; seq: number }>(
        'SELECT id, seq FROM links WHERE avatar_id = ? AND signature = ? AND uuid = ? LIMIT 1',
      ),
      insertAvatar: db.prepare<[string, string, number, number], AvatarRow>(
        'INSERT INTO avatars (avatar, public_key, link_count, activated_at, updated_at) VALUES (?, ?, 0, ?, ?) RETURNING *',
      ),
      // RETURNING: the new id on either engine (PostgreSQL has no lastInsertRowid).
      insertLink: db.prepare<unknown[], { id: number }>(
        `INSERT INTO links (avatar_id, seq, prev, action, platform, identity, proof_location, created_at, uuid,
           signature, signature_payload, extra, received_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id`,
      ),
      advanceHead: db.prepare('UPDATE avatars SET head_link_id = ?, head_signature = ?, link_count = link_count + 1, updated_at = ? WHERE id = ?'),
    };
    this.batchTx = db.transaction((batch: Pending[], ctxs: Array<AppendContext | undefined>, safe: boolean) => this.applyBatch(batch, ctxs, safe));
    this.applyInSavepoint = db.transaction((item: AppendItem, row: AvatarRow | undefined, replayOf: StoredLink | undefined) => this.applyOne(item, row, replayOf));
  }

  /** Open a database file and the store on it (tools and tests; the daemon opens it itself). */
  static open(opts: OpenStoreOptions): Store {
    const db = openDatabase({ file: opts.file, migrations: opts.migrations ?? MIGRATIONS, ...(opts.busyTimeoutMs !== undefined ? { busyTimeoutMs: opts.busyTimeoutMs } : {}) });
    return new Store(db, opts);
  }

  /**
   * Register a hook that runs inside every append transaction. The daemon registers the hooks
   * components contribute, before the API accepts anything.
   */
  onAppend(hook: AppendHook): void {
    this.hooks.push(hook);
  }

  /** Register a hook that runs inside the transaction of every other accepted change (the log). */
  onChange(hook: ChangeHook): void {
    this.changeHooks.push(hook);
  }

  /**
   * Report an accepted change. Must be called inside the transaction that makes it, on this
   * store's connection: a hook that throws rolls the change back with it.
   */
  changed(ev: StoreChange): void {
    if (!this.db.inTransaction) throw new Error('store.changed must run inside the change\'s transaction');
    for (const hook of this.changeHooks) hook(ev);
    // What the hooks write (the log's entry) is served at once: the commit must be durable even
    // when its writer relaxed it (the checkers' verdicts).
    if (this.changeHooks.length > 0) requireFsync(this.db);
  }

  avatarRow(avatarId: string): AvatarRow | undefined {
    return this.stmts.avatar.get(avatarId);
  }

  /** The append rule's view of an Avatar's chain, read from the current state. */
  chainView(avatarRowId: number | undefined, head: string | null): ChainView {
    const { hasSig, hasUuid } = this.stmts;
    return {
      head,
      hasSignature: (key) => {
        if (avatarRowId === undefined) return false;
        // A chain made elsewhere may have stored either twin of a malleable signature.
        const [a, b = a] = signatureForms(key);
        return hasSig.get(avatarRowId, a!, b!) !== undefined;
      },
      hasUuid: (uuid) => avatarRowId !== undefined && hasUuid.get(avatarRowId, uuid) !== undefined,
    };
  }

  /**
   * Append verified links. Resolves once the batch containing them is committed durably; each
   * item gets its own outcome (a rejected item changes nothing). Rejects only when the commit
   * itself fails (disk full, I/O error): then nothing of the batch was stored.
   */
  appendLinks(items: AppendItem[], ctx?: AppendContext): Promise<AppendOutcome[]> {
    if (this.closed) return Promise.reject(new ProofError('UNAVAILABLE', 'store is closed'));
    if (items.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.pending.push({ items, ctx, resolve, reject });
      if (this.timer === null) {
        this.timer = this.groupCommitMs > 0 ? setTimeout(() => this.flush(), this.groupCommitMs) : setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.timer = null;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const started = performance.now();
    let outcomes: AppendOutcome[][];
    try {
      try {
        // The fast pass notes rejections in overlays (one per request context, shared by its
        // chunks), so an abandoned pass leaves each request's rejected set as it was.
        const overlays = new Map<AppendContext, OverlayRejected>();
        const ctxs = batch.map((p) => {
          if (!p.ctx?.rejected) return p.ctx;
          let o = overlays.get(p.ctx);
          if (!o) overlays.set(p.ctx, (o = new OverlayRejected(p.ctx.rejected)));
          return { ...p.ctx, rejected: o };
        });
        outcomes = this.batchTx(batch, ctxs, false);
        for (const o of overlays.values()) o.commit();
      } catch (err) {
        if (!(err instanceof ItemFailed)) throw err;
        // An item the judge passed failed while being written (a hook refused it, e.g. a log
        // entry too large): the whole transaction rolled back, nothing of it stayed. The batch
        // runs again, each item in a savepoint of its own; every outcome is the same as before
        // but that item's (and what the rejected set then makes of later ones).
        outcomes = this.batchTx(batch, batch.map((p) => p.ctx), true);
      }
    } catch (err) {
      this.log?.error({ err }, 'append commit failed; batch not stored');
      for (const p of batch) p.reject(new ProofError('UNAVAILABLE', 'the index could not commit', { cause: err }));
      return;
    }
    this.counters.commits++;
    this.counters.appends += outcomes.reduce((n, o) => n + o.filter((x) => x.ok && !x.existed).length, 0);
    this.log?.debug({ requests: batch.length, ms: +(performance.now() - started).toFixed(2) }, 'group commit');
    batch.forEach((p, i) => p.resolve(outcomes[i]!));
  }

  /**
   * One transaction for the whole batch. Every item is judged before anything of it is
   * written, so a rejected item needs no savepoint; `safe` gives each written item a SAVEPOINT
   * (only after a write failed, see flush). Without it, a write that throws aborts the batch.
   */
  private applyBatch(batch: Pending[], ctxs: Array<AppendContext | undefined>, safe: boolean): AppendOutcome[][] {
    const outcomes: AppendOutcome[][] = batch.map(() => []);
    // Several daemons on one PostgreSQL: the batch's Avatars are locked (in one order) before any
    // head is read, so two processes appending to one Avatar queue and the judge sees the winner.
    lockKeys(this.db, 'avatar', batch.flatMap((p) => p.items.map((it) => it.avatar.id)));
    // …and the links feed: a link's id is taken from a sequence before its commit, so without this
    // a mirror could read id 11 from one daemon before id 10 of another commits, move its cursor
    // past 10 and never see it. Held to the commit, so ids become visible in order. Taken after
    // the Avatar locks and before any log entry's, the order every writer takes them in.
    lockKeys(this.db, 'feed', ['links']);
    batch.forEach((p, i) => {
      const ctx = ctxs[i];
      for (const item of p.items) {
        const row = this.stmts.avatar.get(item.avatar.id);
        const replay = { of: undefined as { id: number; seq: number } | undefined };
        const rejected = this.judge(item, ctx, row, replay);
        if (rejected) {
          ctx?.rejected?.add(item.avatar.id, prevKey(item.link.signature));
          outcomes[i]!.push({ ok: false, error: new ProofError(rejected.code, rejected.message) });
          continue;
        }
        if (!safe) {
          try {
            outcomes[i]!.push(this.applyOne(item, row, replay.of));
          } catch (err) {
            throw new ItemFailed(err);
          }
          continue;
        }
        // Indexed before the savepoint: a rollback of this item must not take the earlier ones' entries.
        this.bindings.indexNewBindings();
        try {
          outcomes[i]!.push(this.applyInSavepoint(item, row, replay.of));
        } catch (err) {
          // The nested transaction was a SAVEPOINT: rolled back, the batch goes on.
          ctx?.rejected?.add(item.avatar.id, prevKey(item.link.signature));
          outcomes[i]!.push({ ok: false, error: asProofError(err, this.log) });
        }
      }
    });
    this.bindings.indexNewBindings();
    return outcomes;
  }

  /**
   * The one judge (core judgeChain, then the item's own verdict) against the Avatar's state
   * inside the transaction: earlier items of the batch are visible, so concurrent appends on
   * one Avatar never both land and a batch is judged exactly as sequential appends would be.
   */
  private judge(item: AppendItem, ctx: AppendContext | undefined, row: AvatarRow | undefined, replay: { of: StoredLink | undefined }): Rejection | null {
    const { avatar, link } = item;
    const view: ChainView = this.chainView(row?.id, row?.head_signature ?? null);
    const rejected = ctx?.rejected;
    if (rejected) view.isRejected = (key) => rejected.has(avatar.id, key);
    if (ctx?.window) view.window = ctx.window;
    // The judge asks only when the uuid is taken already; what it found is the replayed row.
    if (item.idempotent && row) view.isStored = (e: ChainEntry) => (replay.of = this.stmts.sameLink.get(row.id, e.signature, e.uuid)) !== undefined;
    return judgeChain(view, link) ?? item.own ?? null;
  }

  /**
   * Write one judged item; `row` is the Avatar as read by the judge in this transaction, and
   * `replayOf` the identical stored link the judge found (an idempotent replay).
   */
  private applyOne(item: AppendItem, judgedRow: AvatarRow | undefined, replayOf: StoredLink | undefined): AppendOutcome {
    const { avatar, link } = item;
    const now = Date.now();
    let row = judgedRow;
    if (item.idempotent && row) {
      // judged already: an identical stored link is an idempotent replay. The judge looked it up
      // when the uuid was taken; a legacy link (no uuid) is never asked about, so it is looked up here.
      const same = link.uuid === '' ? this.stmts.sameLink.get(row.id, link.signature, link.uuid) : replayOf;
      if (same) return { ok: true, linkId: same.id, seq: same.seq, existed: true };
    }
    if (!row) row = this.stmts.insertAvatar.get(avatar.id, avatar.uncompressedHex, link.created_at, now)!;
    const seq = row.link_count;
    const linkId = this.stmts.insertLink.get(
      row.id, seq, link.prev, link.action, link.platform, link.identity, link.proof_location, link.created_at,
      link.uuid, link.signature, link.signature_payload, JSON.stringify(link.extra), now,
    )!.id;
    this.stmts.advanceHead.run(linkId, link.signature, now, row.id);
    const bindingId = this.bindings.applyLink(row.id, linkId, link, item.initial, now);
    const ev: AppendEvent = { avatarId: row.id, avatar: avatar.id, publicKey: avatar.uncompressedHex, linkId, seq, link, bindingId, initial: item.initial };
    for (const hook of this.hooks) hook(ev);
    return { ok: true, linkId, seq, existed: false };
  }

  stats(): { links: number; avatars: number; commits: number; appends: number } {
    return { ...this.read.counts(), ...this.counters };
  }

  /**
   * /healthz's `store` section: the counts and whether the database answers. An unreachable
   * database (PostgreSQL down, a timed-out statement) is reported, not thrown, so /healthz still
   * answers during an outage.
   */
  health(): { engine: string; reachable: boolean; links?: number; avatars?: number; commits: number; appends: number; error?: string } {
    try {
      return { engine: this.db.dialect, reachable: true, ...this.stats() };
    } catch (err) {
      if (!(err instanceof ProofError) || err.code !== 'UNAVAILABLE') throw err;
      return { engine: this.db.dialect, reachable: false, ...this.counters, error: err.message };
    }
  }

  /** Stop accepting appends, commit what is queued, close the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) {
      clearTimeout(this.timer as NodeJS.Timeout);
      clearImmediate(this.timer as NodeJS.Immediate);
      this.timer = null;
    }
    this.flush();
    this.db.close();
  }
}

/** A stored link, as the replay lookup finds it. */
interface StoredLink {
  id: number;
  seq: number;
}

/** A request's rejected set as one pass sees it: its own additions on top, kept only on commit(). */
class OverlayRejected implements RejectedLinks {
  private readonly added = new Map<string, [string, string]>();
  constructor(private readonly base: RejectedLinks) {}
  has(avatar: string, key: string): boolean {
    return this.added.has(`${avatar}\u0000${key}`) || this.base.has(avatar, key);
  }
  add(avatar: string, key: string): void {
    this.added.set(`${avatar}\u0000${key}`, [avatar, key]);
  }
  commit(): void {
    for (const [avatar, key] of this.added.values()) this.base.add(avatar, key);
  }
}

/** A judged item's write failed: aborts the batch's transaction (flush retries it with savepoints). */
class ItemFailed extends Error {
  constructor(cause: unknown) {
    super('an append failed after the judge passed it', { cause });
  }
}

function asProofError(err: unknown, log: Logger | undefined): ProofError {
  if (err instanceof ProofError) return err;
  log?.error({ err }, 'append failed unexpectedly');
  return new ProofError('INTERNAL', 'append failed', { cause: err });
}

export type { AvatarRow } from './rows.js';
