/**
 * The SQLite index. Appends go through one path (API, bulk import, mirror): each is checked
 * against the Avatar's head re-read inside the transaction, so two concurrent appends on one
 * Avatar never both land. Concurrent appends share one durable commit (group commit), so
 * synchronous=FULL costs one fsync per batch, not per link; callers get their outcome only after
 * that commit returns.
 */
import type { Logger } from 'pino';
import { checkAppend, ProofError, signatureForms, type AvatarKey, type ChainView, type Link } from '../core/index.js';
import { Bindings, type InitialBindingState, type ValidityChange } from './bindings.js';
import { MIGRATIONS, type Migration } from './migrations.js';
import { Reader } from './read.js';
import type { AvatarRow } from './rows.js';
import { openDatabase, type Db } from './sqlite.js';

export type { BindingRow, BindingStatus, BindingTarget, InitialBindingState } from './bindings.js';
export { Bindings } from './bindings.js';
export type { ValidityChange, VerdictEvidence } from './bindings.js';
export type { Db } from './sqlite.js';
export { openDatabase } from './sqlite.js';

export interface AppendItem {
  avatar: AvatarKey;
  /** verified link in stored form (verifyLink's result) */
  link: Link;
  initial?: InitialBindingState;
  /** an identical stored link is a success (import, mirror) instead of DUPLICATE_UUID */
  idempotent?: boolean;
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
      insertAvatar: db.prepare(
        'INSERT INTO avatars (avatar, public_key, link_count, activated_at, updated_at) VALUES (?, ?, 0, ?, ?)',
      ),
      insertLink: db.prepare(
        `INSERT INTO links (avatar_id, seq, prev, action, platform, identity, proof_location, created_at, uuid,
           signature, signature_payload, extra, received_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`,
      ),
      advanceHead: db.prepare('UPDATE avatars SET head_link_id = ?, head_signature = ?, link_count = link_count + 1, updated_at = ? WHERE id = ?'),
    };
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
  appendLinks(items: AppendItem[]): Promise<AppendOutcome[]> {
    if (this.closed) return Promise.reject(new ProofError('UNAVAILABLE', 'store is closed'));
    if (items.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.pending.push({ items, resolve, reject });
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
    const outcomes: AppendOutcome[][] = batch.map(() => []);
    const applyOne = this.db.transaction((item: AppendItem) => this.applyOne(item));
    const started = performance.now();
    try {
      this.db.transaction(() => {
        batch.forEach((p, i) => {
          for (const item of p.items) {
            try {
              outcomes[i]!.push(applyOne(item));
            } catch (err) {
              // The nested transaction was a SAVEPOINT: rolled back, the batch goes on.
              outcomes[i]!.push({ ok: false, error: asProofError(err, this.log) });
            }
          }
        });
      })();
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

  private applyOne(item: AppendItem): AppendOutcome {
    const { avatar, link } = item;
    const now = Date.now();
    let row = this.stmts.avatar.get(avatar.id);
    if (item.idempotent && row) {
      const same = this.stmts.sameLink.get(row.id, link.signature, link.uuid);
      if (same) return { ok: true, linkId: same.id, seq: same.seq, existed: true };
    }
    checkAppend(this.chainView(row?.id, row?.head_signature ?? null), link);
    if (!row) {
      this.stmts.insertAvatar.run(avatar.id, avatar.uncompressedHex, link.created_at, now);
      row = this.stmts.avatar.get(avatar.id)!;
    }
    const seq = row.link_count;
    const linkId = Number(
      this.stmts.insertLink.run(
        row.id, seq, link.prev, link.action, link.platform, link.identity, link.proof_location, link.created_at,
        link.uuid, link.signature, link.signature_payload, JSON.stringify(link.extra), now,
      ).lastInsertRowid,
    );
    this.stmts.advanceHead.run(linkId, link.signature, now, row.id);
    const bindingId = this.bindings.applyLink(row.id, linkId, link, item.initial, now);
    const ev: AppendEvent = { avatarId: row.id, avatar: avatar.id, publicKey: avatar.uncompressedHex, linkId, seq, link, bindingId, initial: item.initial };
    for (const hook of this.hooks) hook(ev);
    return { ok: true, linkId, seq, existed: false };
  }


  stats(): { links: number; avatars: number; commits: number; appends: number } {
    return { ...this.read.counts(), ...this.counters };
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

function asProofError(err: unknown, log: Logger | undefined): ProofError {
  if (err instanceof ProofError) return err;
  log?.error({ err }, 'append failed unexpectedly');
  return new ProofError('INTERNAL', 'append failed', { cause: err });
}

export type { AvatarRow } from './rows.js';
