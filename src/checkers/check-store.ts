/**
 * The checkers' SQL: the tables of ./migration.ts (schedule and evidence) and nothing else.
 * A binding's state changes through the store's binding module, in the same transaction as
 * the schedule: every verdict first confirms the binding still points at the link that was
 * checked, so a binding deleted or re-created meanwhile is left alone. The chain (links) is
 * never written here.
 */
import type { Bindings, BindingStatus } from '../store/bindings.js';
import { withoutFsync, type Db } from '../store/sqlite.js';
import { idList, inIdList, type Statement } from '../store/db.js';
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

export class CheckStore {
  private readonly s;
  /**
   * PostgreSQL: several daemons claim from one table, so the due rows are read and leased in one
   * statement that skips rows another daemon is claiming (FOR UPDATE SKIP LOCKED); a row is
   * leased once however many claim at the same moment. SQLite: one process owns the file and
   * reads, then leases, in one transaction.
   */
  private readonly claimShared: Statement<[string, number, string, number, number, number], { binding_id: number }> | null;

  constructor(
    private readonly db: Db,
    private readonly bindings: Bindings,
  ) {
    this.s = {
      due: db.prepare<[string, number, number], { binding_id: number }>(
        'SELECT binding_id FROM binding_checks WHERE platform = ? AND next_check_at <= ? ORDER BY next_check_at LIMIT ?',
      ),
      lease: db.prepare<[number, number, number]>('UPDATE binding_checks SET next_check_at = ?, last_attempt_at = ? WHERE binding_id = ?'),
      schedule: db.prepare(
        `INSERT INTO binding_checks (binding_id, link_id, platform, next_check_at, last_success_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (binding_id) DO UPDATE SET link_id = excluded.link_id, platform = excluded.platform,
           next_check_at = excluded.next_check_at, fail_count = 0, transient_streak = 0, last_attempt_at = NULL,
           last_success_at = excluded.last_success_at, last_error_code = '', last_error = ''`,
      ),
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
      release: db.prepare<[number, number]>('UPDATE binding_checks SET next_check_at = ? WHERE binding_id = ?'),
      // One statement for a pass's hints (a list of ids), not one per id: on PostgreSQL one round
      // trip. A row already at the front (0) is not written again: reads hint the same bindings often.
      queueMany: db.prepare<[string, number]>(
        `UPDATE binding_checks SET next_check_at = 0 WHERE binding_id ${inIdList(db)} AND next_check_at <= ? AND next_check_at > 0`,
      ),
    };
    // Answered in due order (oldest first, as SQLite's read gives them): RETURNING has no order.
    this.claimShared = db.dialect !== 'postgres' ? null : db.prepare(
      `WITH due AS (
         SELECT binding_id, next_check_at FROM binding_checks WHERE platform = ? AND next_check_at <= ? AND NOT (binding_id = ANY (?::bigint[]))
         ORDER BY next_check_at, binding_id LIMIT ? FOR UPDATE SKIP LOCKED),
       leased AS (
         UPDATE binding_checks c SET next_check_at = ?, last_attempt_at = ? FROM due WHERE c.binding_id = due.binding_id RETURNING c.binding_id)
       SELECT due.binding_id FROM due JOIN leased USING (binding_id) ORDER BY due.next_check_at, due.binding_id`,
    );
  }

  /**
   * Claim up to `limit` due checks of a platform: their next_check_at becomes the lease expiry,
   * so a crash mid-check retries them after the lease, and the next read does not see them.
   */
  claimDue(platform: string, now: number, limit: number, leaseSeconds: number, running: ReadonlySet<number> = new Set()): number[] {
    if (this.claimShared) {
      if (limit <= 0) return [];
      return this.claimShared.all(platform, now, `{${[...running].join(',')}}`, limit, now + leaseSeconds, now).map((r) => r.binding_id);
    }
    return this.db.transaction(() => {
      // `running`: checks in flight whose row an admin/read re-queued meanwhile; not twice at once.
      const ids = this.s.due.all(platform, now, limit + running.size).map((r) => r.binding_id).filter((id) => !running.has(id)).slice(0, limit);
      for (const id of ids) this.s.lease.run(now + leaseSeconds, now, id);
      return ids;
    })();
  }

  /**
   * One scheduler pass's writes in one transaction (one fsync, not one per platform): the
   * bindings reads hinted at move to the front, then each platform claims its free slots.
   */
  claimPass(hinted: number[], wants: ReadonlyArray<{ platform: string; limit: number; running: ReadonlySet<number> }>, now: number, leaseSeconds: number): number[][] {
    // No fsync of its own (leases and re-queues are redone if a power loss takes them): the
    // scheduler's passes must not hold the API's event loop on the disk.
    return withoutFsync(this.db, () =>
      this.db.transaction(() => {
        if (hinted.length > 0) this.queueEarly(hinted, now);
        return wants.map((w) => this.claimDue(w.platform, now, w.limit, leaseSeconds, w.running));
      })(),
    );
  }

  /** Load what to check for a claimed binding; undefined when it is gone. */
  load(bindingId: number): DueCheck | undefined {
    const t = this.bindings.target(bindingId);
    if (!t) return undefined;
    return { bindingId, linkId: t.linkId, target: { avatar: t.avatar, link: t.link, altId: t.altId, verified: true } };
  }

  /** Schedule a binding (inside the append transaction, or at backfill). */
  schedule(bindingId: number, linkId: number, platform: string, nextCheckAt: number, checkedAt: number | null): void {
    this.s.schedule.run(bindingId, linkId, platform, nextCheckAt, checkedAt);
  }

  writeEvidence(bindingId: number, linkId: number, ev: Evidence, outcome: string): void {
    this.s.evidence.run(bindingId, linkId, ev.url, ev.text, ev.fetchedAt, outcome);
  }

  /** Record a result. Returns the binding's new status, or null when the binding moved on. */
  apply(check: { bindingId: number; linkId: number }, result: CheckResult, now: number, policy: VerdictPolicy): BindingStatus | null {
    return this.db.transaction(() => this.applyOne(check, result, now, policy))();
  }

  /**
   * Record several results in one transaction, committed without an fsync (see withoutFsync):
   * a scheduler draining many bindings does not hold the event loop on commits.
   * Should the batch fail, each is recorded on its own, so one bad result cannot lose the others.
   */
  applyMany(items: ReadonlyArray<{ check: { bindingId: number; linkId: number }; result: CheckResult; now: number }>, policy: VerdictPolicy): Array<BindingStatus | null | Error> {
    try {
      // Committed without an fsync of its own: a result a power loss takes is checked again.
      return withoutFsync(this.db, () => this.db.transaction(() => items.map((i) => this.applyOne(i.check, i.result, i.now, policy)))());
    } catch {
      return items.map((i) => {
        try {
          return this.apply(i.check, i.result, i.now, policy);
        } catch (err) {
          return err as Error;
        }
      });
    }
  }

  private applyOne(check: { bindingId: number; linkId: number }, result: CheckResult, now: number, policy: VerdictPolicy): BindingStatus | null {
    const { bindingId, linkId } = check;
    {
      if (this.bindings.statusOf(bindingId, linkId) === undefined) return null;
      if (result.kind === 'valid') {
        this.bindings.markValid(bindingId, linkId, result.altId ?? '', now, result.evidence);
        this.s.verdict.run(policy.nextAfterVerdict(now), now, check.bindingId);
        if (result.evidence) this.writeEvidence(check.bindingId, check.linkId, result.evidence, 'valid');
        return 'valid';
      }
      if (result.kind === 'invalid') {
        this.bindings.markInvalid(bindingId, linkId, result.reason, result.code, now, result.evidence);
        this.s.verdict.run(policy.nextAfterVerdict(now), now, check.bindingId);
        if (result.evidence) this.writeEvidence(check.bindingId, check.linkId, result.evidence, result.code);
        return 'invalid';
      }
      // Transient: never a verdict. Only a long run marks a valid/unchecked binding stale.
      const prev = this.s.getSchedule.get(check.bindingId);
      const streak = (prev?.transient_streak ?? 0) + 1;
      this.s.transient.run(policy.nextAfterTransient(now, streak, result.retryAfterMs), result.code, result.reason.slice(0, 500), check.bindingId);
      if (streak >= policy.staleAfterFailures) this.bindings.markStale(bindingId, linkId, now);
      return this.bindings.statusOf(bindingId, linkId) ?? null;
    }
  }

  scheduleOf(bindingId: number): ScheduleRow | undefined {
    return this.s.getSchedule.get(bindingId);
  }

  evidenceOf(bindingId: number): EvidenceRow | undefined {
    return this.s.getEvidence.get(bindingId);
  }

  /** A cancelled check (shutdown) is due again at once rather than after its lease. */
  release(bindingId: number, now: number): void {
    this.s.release.run(now, bindingId);
  }

  /** Make every binding of a platform due now (admin). Returns how many were queued. */
  queuePlatform(platform: string, now: number): number {
    return this.s.queuePlatform.run(0, platform, -1).changes;
  }

  /**
   * Move already-due bindings to the front of the line: the scheduler folds in the bindings
   * reads have served (overdue ones are wanted now) at the start of its pass, never on a read.
   */
  queueEarly(bindingIds: number[], now: number): number {
    const ids = bindingIds.filter((id) => Number.isSafeInteger(id));
    if (ids.length === 0) return 0;
    return this.s.queueMany.run(idList(this.db, ids), now).changes;
  }

}
