/**
 * The checkers' SQL (tables of migration 3, plus the binding state columns of the base
 * schema). Every verdict is one transaction that first confirms the binding still points at
 * the link that was checked: a binding deleted or re-created meanwhile is left alone. The
 * chain (links) is never written here.
 */
import type Database from 'better-sqlite3';
import { parsePublicKey } from '../core/index.js';
import type { ValidityChange } from '../store/index.js';
import { rowToLink, type LinkRow } from '../store/rows.js';
import type { CheckResult, CheckTarget, Evidence } from './types.js';

export interface ScheduleRow {
  binding_id: number;
  link_id: number;
  platform: string;
  next_check_at: number;
  fail_count: number;
  transient_streak: number;
  last_attempt_at: number | null;
  last_success_at: number | null;
  last_error_code: string;
  last_error: string;
}

export interface EvidenceRow {
  url: string;
  text: string | null;
  fetched_at: number;
  outcome: string;
}

export interface DueCheck {
  bindingId: number;
  linkId: number;
  target: CheckTarget;
}

export interface VerdictPolicy {
  /** next check time after a verdict (interval with jitter) */
  nextAfterVerdict(now: number): number;
  /** next check time after the n-th consecutive transient failure */
  nextAfterTransient(now: number, streak: number, retryAfterMs?: number): number;
  staleAfterFailures: number;
}

type BindingJoin = LinkRow & { b_id: number; b_link_id: number; b_alt_id: string; a_avatar: string };

export class CheckStore {
  private readonly s;

  /** `onValidity` runs inside the verdict's transaction when the served validity changes (the log records it). */
  constructor(
    readonly db: Database.Database,
    private readonly onValidity: (ev: ValidityChange) => void = () => {},
  ) {
    this.s = {
      due: db.prepare<[string, number, number], { binding_id: number }>(
        'SELECT binding_id FROM binding_checks WHERE platform = ? AND next_check_at <= ? ORDER BY next_check_at LIMIT ?',
      ),
      lease: db.prepare<[number, number, number]>('UPDATE binding_checks SET next_check_at = ?, last_attempt_at = ? WHERE binding_id = ?'),
      target: db.prepare<[number], BindingJoin>(
        `SELECT l.*, b.id AS b_id, b.link_id AS b_link_id, b.alt_id AS b_alt_id, a.avatar AS a_avatar
           FROM bindings b JOIN links l ON l.id = b.link_id JOIN avatars a ON a.id = b.avatar_id WHERE b.id = ?`,
      ),
      schedule: db.prepare(
        `INSERT INTO binding_checks (binding_id, link_id, platform, next_check_at, last_success_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (binding_id) DO UPDATE SET link_id = excluded.link_id, platform = excluded.platform,
           next_check_at = excluded.next_check_at, fail_count = 0, transient_streak = 0, last_attempt_at = NULL,
           last_success_at = excluded.last_success_at, last_error_code = '', last_error = ''`,
      ),
      bindingCurrent: db.prepare<[number, number], { status: string; is_valid: number; invalid_code: string; platform: string; identity: string; avatar: string }>(
        'SELECT b.status, b.is_valid, b.invalid_code, b.platform, b.identity, a.avatar FROM bindings b JOIN avatars a ON a.id = b.avatar_id WHERE b.id = ? AND b.link_id = ?',
      ),
      setValid: db.prepare(
        `UPDATE bindings SET status = 'valid', is_valid = 1, invalid_reason = '', invalid_code = '', last_checked_at = ?,
           alt_id = CASE WHEN ? <> '' THEN ? ELSE alt_id END, updated_at = ? WHERE id = ?`,
      ),
      setInvalid: db.prepare(
        `UPDATE bindings SET status = 'invalid', is_valid = 0, invalid_reason = ?, invalid_code = ?, last_checked_at = ?, updated_at = ? WHERE id = ?`,
      ),
      setStale: db.prepare(`UPDATE bindings SET status = 'stale', updated_at = ? WHERE id = ? AND status IN ('valid', 'unchecked')`),
      verdict: db.prepare(
        `UPDATE binding_checks SET next_check_at = ?, transient_streak = 0, last_success_at = ?, last_error_code = '', last_error = '' WHERE binding_id = ?`,
      ),
      transient: db.prepare(
        `UPDATE binding_checks SET next_check_at = ?, transient_streak = transient_streak + 1, fail_count = fail_count + 1,
           last_error_code = ?, last_error = ? WHERE binding_id = ? RETURNING transient_streak`,
      ),
      evidence: db.prepare(
        `INSERT INTO binding_evidence (binding_id, link_id, url, text, fetched_at, outcome) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (binding_id) DO UPDATE SET link_id = excluded.link_id, url = excluded.url, text = excluded.text,
           fetched_at = excluded.fetched_at, outcome = excluded.outcome`,
      ),
      getSchedule: db.prepare<[number], ScheduleRow>('SELECT * FROM binding_checks WHERE binding_id = ?'),
      getEvidence: db.prepare<[number], EvidenceRow>('SELECT url, text, fetched_at, outcome FROM binding_evidence WHERE binding_id = ?'),
      queuePlatform: db.prepare<[number, string, number]>('UPDATE binding_checks SET next_check_at = ? WHERE platform = ? AND next_check_at > ?'),
      queueOne: db.prepare<[number, number, number]>('UPDATE binding_checks SET next_check_at = ? WHERE binding_id = ? AND next_check_at <= ?'),
    };
  }

  /**
   * Claim up to `limit` due checks of a platform: their next_check_at becomes the lease expiry,
   * so a crash mid-check retries them after the lease, and the next read does not see them.
   */
  claimDue(platform: string, now: number, limit: number, leaseSeconds: number, running: ReadonlySet<number> = new Set()): number[] {
    return this.db.transaction(() => {
      // `running`: checks in flight whose row an admin/read re-queued meanwhile; not twice at once.
      const ids = this.s.due.all(platform, now, limit + running.size).map((r) => r.binding_id).filter((id) => !running.has(id)).slice(0, limit);
      for (const id of ids) this.s.lease.run(now + leaseSeconds, now, id);
      return ids;
    })();
  }

  /** Load what to check for a claimed binding; undefined when it is gone. */
  load(bindingId: number): DueCheck | undefined {
    const r = this.s.target.get(bindingId);
    if (!r) return undefined;
    const link = rowToLink(r);
    return { bindingId, linkId: r.b_link_id, target: { avatar: parsePublicKey(r.a_avatar), link, altId: r.b_alt_id || null } };
  }

  /** Schedule a binding (inside the append transaction, or at backfill). */
  schedule(bindingId: number, linkId: number, platform: string, nextCheckAt: number, checkedAt: number | null): void {
    this.s.schedule.run(bindingId, linkId, platform, nextCheckAt, checkedAt);
  }

  writeEvidence(bindingId: number, linkId: number, ev: Evidence, outcome: string): void {
    this.s.evidence.run(bindingId, linkId, ev.url, ev.text, ev.fetchedAt, outcome);
  }

  /** Record a result. Returns the binding's new status, or null when the binding moved on. */
  apply(check: { bindingId: number; linkId: number }, result: CheckResult, now: number, policy: VerdictPolicy): string | null {
    return this.db.transaction((): string | null => {
      const cur = this.s.bindingCurrent.get(check.bindingId, check.linkId);
      if (!cur) return null;
      const nowMs = now * 1000;
      const changed = (change: 'downgrade' | 'restore', outcome: string, evidence: Evidence | null): void =>
        this.onValidity({
          kind: 'validity', bindingId: check.bindingId, linkId: check.linkId, avatar: cur.avatar, platform: cur.platform, identity: cur.identity,
          change, outcome, checkedAt: now, evidence: evidence ? { url: evidence.url, text: evidence.text, fetchedAt: evidence.fetchedAt } : null,
        });
      if (result.kind === 'valid') {
        const alt = result.altId ?? '';
        this.s.setValid.run(now, alt, alt, nowMs, check.bindingId);
        this.s.verdict.run(policy.nextAfterVerdict(now), now, check.bindingId);
        if (result.evidence) this.writeEvidence(check.bindingId, check.linkId, result.evidence, 'valid');
        if (cur.is_valid !== 1) changed('restore', 'valid', result.evidence);
        return 'valid';
      }
      if (result.kind === 'invalid') {
        this.s.setInvalid.run(result.reason, result.code, now, nowMs, check.bindingId);
        this.s.verdict.run(policy.nextAfterVerdict(now), now, check.bindingId);
        if (result.evidence) this.writeEvidence(check.bindingId, check.linkId, result.evidence, result.code);
        // A repeat of the same verdict is no change; an unchecked binding judged invalid is.
        if (cur.is_valid === 1 || cur.status !== 'invalid' || cur.invalid_code !== result.code) changed('downgrade', result.code, result.evidence);
        return 'invalid';
      }
      // Transient: never a verdict. Only a long run marks a valid/unchecked binding stale.
      const prev = this.s.getSchedule.get(check.bindingId);
      const streak = (prev?.transient_streak ?? 0) + 1;
      this.s.transient.run(policy.nextAfterTransient(now, streak, result.retryAfterMs), result.code, result.reason.slice(0, 500), check.bindingId);
      if (streak >= policy.staleAfterFailures) this.s.setStale.run(nowMs, check.bindingId);
      return (this.s.bindingCurrent.get(check.bindingId, check.linkId)?.status) ?? null;
    })();
  }

  scheduleOf(bindingId: number): ScheduleRow | undefined {
    return this.s.getSchedule.get(bindingId);
  }

  evidenceOf(bindingId: number): EvidenceRow | undefined {
    return this.s.getEvidence.get(bindingId);
  }

  /** A cancelled check (shutdown) is due again at once rather than after its lease. */
  release(bindingId: number, now: number): void {
    this.db.prepare('UPDATE binding_checks SET next_check_at = ? WHERE binding_id = ?').run(now, bindingId);
  }

  /** Make every binding of a platform due now (admin). Returns how many were queued. */
  queuePlatform(platform: string, now: number): number {
    return this.s.queuePlatform.run(0, platform, -1).changes;
  }

  /** Move already-due bindings to the front of the line (read path: overdue ones are wanted now). */
  queueEarly(bindingIds: number[], now: number): number {
    return this.db.transaction(() => {
      let n = 0;
      for (const id of bindingIds) n += this.s.queueOne.run(0, id, now).changes;
      return n;
    })();
  }

  /** Bindings without a schedule row (made before migration 3 by other paths): schedule in batches. */
  backfill(now: number, spreadSeconds: number, limit: number): number {
    const rows = this.db
      .prepare<[number], { id: number; link_id: number; platform: string }>(
        'SELECT b.id, b.link_id, b.platform FROM bindings b LEFT JOIN binding_checks c ON c.binding_id = b.id WHERE c.binding_id IS NULL LIMIT ?',
      )
      .all(limit);
    this.db.transaction(() => {
      for (const r of rows) this.schedule(r.id, r.link_id, r.platform, now + Math.floor(Math.random() * spreadSeconds), null);
    })();
    return rows.length;
  }
}
