/**
 * The right to do one singleton task among the daemons on one PostgreSQL database — follow one
 * upstream feed (src/mirror), poll the archive's posted transactions (src/archive) — so that
 * exactly one does it at a time, and another takes over when it dies.
 *
 * A PostgreSQL session advisory lock rather than a lease row: the server releases it the moment
 * the holder's connection ends (a crashed or stopped daemon), so failover needs no expiry to
 * tune against the longest pass (an upstream timeout, a page of verifications) and no clocks to
 * agree. The cost is that the lock lives on a connection PgDb reopens silently after a loss, so
 * the holder asks the server whether it still holds it (pg_locks) at every pass instead of
 * remembering it, and the follower's commits are fenced by the same question inside their
 * transaction: a process that lost the lock commits nothing. Between claim and commit another
 * holder may run the same page too; that is harmless because appends are idempotent, faults are
 * unique per upstream id and the cursor only moves forwards.
 *
 * On SQLite one process owns the file: every claim succeeds and nothing is taken.
 */
import type { Db, Statement } from './db.js';

/** 'taken': acquired now (someone else may have moved the feed meanwhile); 'kept': held since the last claim. */
export type Claim = 'taken' | 'kept' | false;

export class LeaseLostError extends Error {
  constructor(key: string) {
    super(`another process follows ${key} now`);
    this.name = 'LeaseLostError';
  }
}

// The advisory lock of a bigint key k shows in pg_locks as classid = k >> 32, objid = k & 0xffffffff, objsubid = 1.
const MINE = `EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.pid = pg_backend_pid() AND l.granted
  AND l.objsubid = 1 AND l.classid::bigint = ((h.k >> 32) & 4294967295) AND l.objid::bigint = (h.k & 4294967295))`;
const KEY = `(SELECT hashtextextended(?, 0) AS k) h`;

export class FeedLease {
  private readonly s: { claim: Statement<[string], { kept: number; held: number }>; held: Statement<[string], { held: number }>; unlock: Statement<[string]> } | null;
  private readonly key: string;

  constructor(
    private readonly db: Db,
    feed: string,
  ) {
    this.key = `proofkeep-lease:${feed}`;
    this.s = db.dialect !== 'postgres' ? null : {
      // CASE evaluates lazily: the lock is only tried when this session does not hold it (a
      // session lock taken twice would need two unlocks).
      claim: db.prepare(`SELECT ${MINE} AS kept, CASE WHEN ${MINE} THEN true ELSE pg_try_advisory_lock(h.k) END AS held FROM ${KEY}`),
      held: db.prepare(`SELECT ${MINE} AS held FROM ${KEY}`),
      unlock: db.prepare(`SELECT pg_advisory_unlock(h.k) FROM ${KEY} WHERE ${MINE}`),
    };
  }

  /** Take or keep the feed; false while another process holds it. */
  claim(): Claim {
    if (!this.s) return 'kept';
    const r = this.s.claim.get(this.key)!;
    return r.held ? (r.kept ? 'kept' : 'taken') : false;
  }

  /** Inside a commit's transaction: throw unless this session still holds the feed. */
  assertHeld(): void {
    if (this.s && !this.s.held.get(this.key)!.held) throw new LeaseLostError(this.key);
  }

  /** Let another process take the feed now (a stopping daemon; a lost connection has let it go already). */
  release(): void {
    if (!this.s) return;
    try {
      this.s.unlock.all(this.key);
    } catch {
      /* the connection is gone, and the lock with it */
    }
  }
}
