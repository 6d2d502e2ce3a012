/**
 * Which process signs the log's checkpoints. On SQLite one process owns the file, so it always
 * is the sequencer. On PostgreSQL several daemons share one log: the sequencer is the one whose
 * connection holds a session-level advisory lock. The server releases it when that connection
 * ends (the holder died, or lost its connection), and another daemon takes it on its next try,
 * so there is never more than one signer and never none for longer than one interval.
 *
 * Appends need no sequencer: every append takes the log's transaction-scoped lock
 * (LogTree.append), whichever process accepted the change.
 */
import type { Db } from '../store/db.js';

/** The advisory lock's two-int key (pg_locks shows it as classid / objid, objsubid 2). */
const KEY1 = 727001;
const KEY2 = 1;

export interface Sequencer {
  /** whether this process is the sequencer now: takes the role when it is free */
  holds(): boolean;
  /** what the last holds() found, without asking the database */
  readonly held: boolean;
}

export function sequencerLock(db: Db): Sequencer {
  if (db.dialect !== 'postgres') return { holds: () => true, held: true };
  let held = false;
  let s: { take: ReturnType<Db['prepare']>; check: ReturnType<Db['prepare']> } | null = null;
  return {
    get held() {
      return held;
    },
    holds() {
      try {
        s ??= {
          take: db.prepare(`SELECT pg_try_advisory_lock(${KEY1}, ${KEY2}) AS ok`),
          check: db.prepare(
            `SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted AND classid = ${KEY1} AND objid = ${KEY2} AND objsubid = 2`,
          ),
        };
        // Still ours? (a reconnect loses it silently); taken again only when it is not, so the
        // lock's count on this session stays one.
        if (held && (s.check.get() as { n: number }).n > 0) return true;
        held = (s.take.get() as { ok: number }).ok === 1;
      } catch {
        // database unreachable: not the sequencer until it answers again
        held = false;
      }
      return held;
    },
  };
}
