/**
 * Binding state: the one place a binding's status changes. A binding is the current state of
 * one (Avatar, platform, identity) claim; its row is written by the append path (a create link
 * upserts it, a delete link removes it) and by the checkers' verdicts, all through here.
 *
 *   create link ─► unchecked (post not checked yet) | valid (wallet, or checked on submit)
 *   check: valid ─► valid | invalid;  a long run of transient failures: valid/unchecked ─► stale
 *   delete link ─► row removed
 *
 * Every verdict names the link it checked: a binding re-created meanwhile is left alone.
 * Callers that must change their own tables atomically with a transition (the checkers'
 * schedule) run both inside one transaction on the shared connection.
 */
import { isWalletPlatform, parsePublicKey, type AvatarKey, type Link } from '../core/index.js';
import type { Db } from './sqlite.js';
import { rowToLink, type LinkRow } from './rows.js';

/** What a verdict saw (the checkers' evidence), as far as the log needs it. */
export interface VerdictEvidence {
  url: string;
  text: string | null;
  fetchedAt: number;
}

/**
 * A verdict changed what is served about a binding: 'downgrade' (judged invalid — from valid,
 * from unchecked, or invalid for another code) or 'restore' (judged valid after not being
 * valid). A repeated verdict is no change. Reported inside the verdict's transaction.
 */
export interface ValidityChange {
  kind: 'validity';
  bindingId: number;
  /** links.id of the binding's link */
  linkId: number;
  /** 0x + compressed key */
  avatar: string;
  platform: string;
  identity: string;
  change: 'downgrade' | 'restore';
  /** 'valid' or the invalid code */
  outcome: string;
  /** unix seconds */
  checkedAt: number;
  evidence: VerdictEvidence | null;
}

export const BINDING_STATUSES = ['unchecked', 'valid', 'invalid', 'stale'] as const;
export type BindingStatus = (typeof BINDING_STATUSES)[number];

export interface InitialBindingState {
  status: 'unchecked' | 'valid';
  alt_id?: string;
  /** unix seconds of the check that set this state */
  checkedAt?: number;
  reason?: string;
  code?: string;
  /** what the check that set this state saw (opaque here; the checkers' hook stores it) */
  evidence?: unknown;
}

/** What a checker needs to check a binding: its stored create link and the Avatar's key. */
export interface BindingTarget {
  bindingId: number;
  linkId: number;
  avatar: AvatarKey;
  link: Link;
  /** the platform's stable account id learnt by an earlier check, or null */
  altId: string | null;
}

/** A binding row as stored (the API renders it; only this module writes it). */
export interface BindingRow {
  id: number;
  avatar_id: number;
  platform: string;
  identity: string;
  link_id: number;
  created_at: number;
  proof_location: string | null;
  alt_id: string;
  status: BindingStatus;
  is_valid: number;
  invalid_reason: string;
  invalid_code: string;
  last_checked_at: number | null;
  updated_at: number;
}

type TargetJoin = LinkRow & { b_link_id: number; b_alt_id: string; a_avatar: string };

export class Bindings {
  private readonly s;
  /** SQLite's identity search index (FTS5): inserted into per batch, see indexNewBindings. null on PostgreSQL (a plain index). */
  private readonly search;
  /** ids of the bindings inserted since the last indexNewBindings (in the caller's open transaction) */
  private unindexed: number[] = [];

  /** `onValidity` runs inside the verdict's transaction for every ValidityChange (the store's change hooks). */
  constructor(
    db: Db,
    private readonly onValidity: (ev: ValidityChange) => void = () => {},
  ) {
    this.s = {
      served: db.prepare<[number, number], { status: BindingStatus; is_valid: number; invalid_code: string; platform: string; identity: string; avatar: string }>(
        'SELECT b.status, b.is_valid, b.invalid_code, b.platform, b.identity, a.avatar FROM bindings b JOIN avatars a ON a.id = b.avatar_id WHERE b.id = ? AND b.link_id = ?',
      ),
      upsert: db.prepare<unknown[], { id: number }>(
        `INSERT INTO bindings (avatar_id, platform, identity, link_id, created_at, proof_location, alt_id, status, is_valid,
           invalid_reason, invalid_code, last_checked_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)
         ON CONFLICT (avatar_id, platform, identity) DO UPDATE SET link_id = excluded.link_id, created_at = excluded.created_at,
           proof_location = excluded.proof_location, alt_id = excluded.alt_id, status = excluded.status,
           is_valid = excluded.is_valid, invalid_reason = excluded.invalid_reason, invalid_code = excluded.invalid_code,
           last_checked_at = excluded.last_checked_at, updated_at = excluded.updated_at
         RETURNING id`,
      ),
      remove: db.prepare('DELETE FROM bindings WHERE avatar_id = ? AND platform = ? AND identity = ?'),
      current: db.prepare<[number, number], { status: BindingStatus }>('SELECT status FROM bindings WHERE id = ? AND link_id = ?'),
      valid: db.prepare(
        `UPDATE bindings SET status = 'valid', is_valid = 1, invalid_reason = '', invalid_code = '', last_checked_at = ?,
           alt_id = CASE WHEN ? <> '' THEN ? ELSE alt_id END, updated_at = ? WHERE id = ? AND link_id = ?`,
      ),
      invalid: db.prepare(
        `UPDATE bindings SET status = 'invalid', is_valid = 0, invalid_reason = ?, invalid_code = ?, last_checked_at = ?, updated_at = ?
         WHERE id = ? AND link_id = ?`,
      ),
      stale: db.prepare(`UPDATE bindings SET status = 'stale', updated_at = ? WHERE id = ? AND link_id = ? AND status IN ('valid', 'unchecked')`),
      exists: db.prepare<[number, string, string], { id: number }>('SELECT id FROM bindings WHERE avatar_id = ? AND platform = ? AND identity = ?'),
      target: db.prepare<[number], TargetJoin>(
        `SELECT l.*, b.link_id AS b_link_id, b.alt_id AS b_alt_id, a.avatar AS a_avatar
           FROM bindings b JOIN links l ON l.id = b.link_id JOIN avatars a ON a.id = b.avatar_id WHERE b.id = ?`,
      ),
    };
    this.search = db.dialect !== 'sqlite' ? null : {
      // A row gone meanwhile (its item's savepoint rolled back) is simply not found.
      index: db.prepare<[string]>(
        'INSERT INTO binding_identity_fts (rowid, identity) SELECT id, identity FROM bindings WHERE id IN (SELECT value FROM json_each(?))',
      ),
    };
  }

  /**
   * The append path (inside the append transaction): a create link sets the binding's state
   * (what the appender asked for, else valid for a wallet, unchecked otherwise); a delete link
   * removes it. Returns the binding's id, or null for a delete. A new binding is searchable once
   * the caller has run indexNewBindings, in the same transaction.
   */
  applyLink(avatarRowId: number, linkId: number, link: Link, initial: InitialBindingState | undefined, nowMs = Date.now()): number | null {
    if (link.action === 'delete') {
      // The delete trigger takes the row out of the search index, so it must be in it already.
      this.indexNewBindings();
      this.s.remove.run(avatarRowId, link.platform, link.identity);
      return null;
    }
    // An upsert does not say whether it inserted: only a new row gets an index entry (a second
    // entry for one rowid would corrupt the index).
    const isNew = this.search !== null && this.s.exists.get(avatarRowId, link.platform, link.identity) === undefined;
    const nowS = Math.floor(nowMs / 1000);
    // Wallet bindings are proven by the wallet signature itself; others await a post check.
    const init: InitialBindingState = initial ??
      (isWalletPlatform(link.platform)
        ? { status: 'valid', alt_id: link.identity, checkedAt: nowS }
        : { status: 'unchecked', reason: 'proof post not checked yet', code: 'NOT_CHECKED' });
    const r = this.s.upsert.get(
      avatarRowId, link.platform, link.identity, linkId, link.created_at, link.proof_location, init.alt_id ?? '',
      init.status, init.status === 'valid' ? 1 : 0, init.reason ?? '', init.code ?? '', init.checkedAt ?? null, nowMs,
    );
    if (isNew) this.unindexed.push(r!.id);
    return r!.id;
  }

  /**
   * Put the bindings applyLink inserted into the identity search index: one statement, so FTS5
   * writes them as one segment at the commit (../store/migrations/016-identity-search-batched.ts).
   * Call inside the transaction that inserted them, before it commits, and before a savepoint
   * that may roll back (what it indexed would be rolled back with it). Ids queued by a write
   * that was rolled back name rows that are gone, or that a later insert took again and queued
   * too: the statement indexes exactly the rows that exist.
   */
  indexNewBindings(): void {
    if (this.unindexed.length === 0) return;
    const ids = this.unindexed;
    this.unindexed = [];
    this.search?.index.run(JSON.stringify(ids));
  }

  /** The binding's status while it still points at `linkId`; undefined when it moved on. */
  statusOf(bindingId: number, linkId: number): BindingStatus | undefined {
    return this.s.current.get(bindingId, linkId)?.status;
  }

  /** A check found the post: valid (a learnt account id replaces the old one). Call inside a transaction. */
  markValid(bindingId: number, linkId: number, altId: string, nowS: number, evidence: VerdictEvidence | null = null): boolean {
    const before = this.s.served.get(bindingId, linkId);
    const done = this.s.valid.run(nowS, altId, altId, nowS * 1000, bindingId, linkId).changes > 0;
    if (done && before && before.is_valid !== 1) this.report(bindingId, linkId, before, 'restore', 'valid', nowS, evidence);
    return done;
  }

  /** A check found the post gone or wrong: invalid, with the stable code and the reason. Call inside a transaction. */
  markInvalid(bindingId: number, linkId: number, reason: string, code: string, nowS: number, evidence: VerdictEvidence | null = null): boolean {
    const before = this.s.served.get(bindingId, linkId);
    const done = this.s.invalid.run(reason, code, nowS, nowS * 1000, bindingId, linkId).changes > 0;
    if (done && before && (before.is_valid === 1 || before.status !== 'invalid' || before.invalid_code !== code)) {
      this.report(bindingId, linkId, before, 'downgrade', code, nowS, evidence);
    }
    return done;
  }

  private report(
    bindingId: number, linkId: number, b: { avatar: string; platform: string; identity: string }, change: ValidityChange['change'],
    outcome: string, checkedAt: number, evidence: VerdictEvidence | null,
  ): void {
    this.onValidity({
      kind: 'validity', bindingId, linkId, avatar: b.avatar, platform: b.platform, identity: b.identity, change, outcome, checkedAt,
      evidence: evidence ? { url: evidence.url, text: evidence.text, fetchedAt: evidence.fetchedAt } : null,
    });
  }

  /** Too many transient failures in a row: a valid or unchecked binding becomes stale (never invalid). */
  markStale(bindingId: number, linkId: number, nowS: number): boolean {
    return this.s.stale.run(nowS * 1000, bindingId, linkId).changes > 0;
  }

  /** What to check for a binding; undefined when it is gone. */
  target(bindingId: number): BindingTarget | undefined {
    const r = this.s.target.get(bindingId);
    if (!r) return undefined;
    return { bindingId, linkId: r.b_link_id, avatar: parsePublicKey(r.a_avatar), link: rowToLink(r), altId: r.b_alt_id || null };
  }
}
