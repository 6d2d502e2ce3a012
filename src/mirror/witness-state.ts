/** SQL of the mirror's witness tables (./witness-migration.ts): cosigned state, rebuilt leaves, alarms. */
import { lockKeys, type Db } from '../store/db.js';
import { FeedLease, type Claim } from '../store/lease.js';

export interface CosignedRow {
  origin: string;
  size: number;
  root: Buffer;
  note: string;
  cosignature: string;
  cosigned_at: number;
}

export interface AlarmRow {
  id: number;
  upstream: string;
  origin: string;
  kind: string;
  message: string;
  note_a: string | null;
  note_b: string;
  raised_at: number;
  cleared_at: number | null;
}

export type AlarmKind = 'fork' | 'root_mismatch' | 'inconsistent';

export class WitnessState {
  private readonly s;
  /** the right to rebuild the upstream's log (one log follower among the daemons on the database) */
  private readonly lease: FeedLease;
  private claimed = false;

  constructor(
    readonly db: Db,
    private readonly upstream: string,
  ) {
    this.lease = new FeedLease(db, `${upstream}#log`);
    this.s = {
      cosigned: db.prepare<[string], CosignedRow>('SELECT * FROM mirror_witness WHERE origin = ?'),
      setCosigned: db.prepare(
        `INSERT INTO mirror_witness (origin, size, root, note, cosignature, cosigned_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (origin) DO UPDATE SET size = excluded.size, root = excluded.root, note = excluded.note,
           cosignature = excluded.cosignature, cosigned_at = excluded.cosigned_at`,
      ),
      forget: db.prepare<[string]>('DELETE FROM mirror_witness WHERE origin = ?'),
      leaves: db.prepare<[string], { hash: Buffer }>('SELECT hash FROM mirror_leaves WHERE upstream = ? ORDER BY idx'),
      addLeaf: db.prepare<[string, number, Uint8Array]>('INSERT INTO mirror_leaves (upstream, idx, hash) VALUES (?, ?, ?)'),
      dropLeaves: db.prepare<[string]>('DELETE FROM mirror_leaves WHERE upstream = ?'),
      raise: db.prepare('INSERT INTO mirror_alarms (upstream, origin, kind, message, note_a, note_b, raised_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      active: db.prepare<[string], AlarmRow>('SELECT * FROM mirror_alarms WHERE upstream = ? AND cleared_at IS NULL ORDER BY id LIMIT 1'),
      all: db.prepare<[string, number], AlarmRow>('SELECT * FROM mirror_alarms WHERE upstream = ? ORDER BY id DESC LIMIT ?'),
      clear: db.prepare<[number, string]>('UPDATE mirror_alarms SET cleared_at = ? WHERE upstream = ? AND cleared_at IS NULL'),
    };
  }

  /** Take or keep the right to rebuild the upstream's log (./lease.ts). */
  claim(): Claim {
    this.claimed = true;
    return this.lease.claim();
  }

  release(): void {
    this.lease.release();
  }

  /**
   * Run `fn` as one transaction that no other daemon's check-and-cosign (or alarm) of this origin
   * interleaves with: reading the latest cosigned size and persisting the next one is atomic
   * across processes (on SQLite the one connection makes it so already).
   */
  exclusive<T>(origin: string, fn: () => T): T {
    return this.db.transaction(() => {
      lockKeys(this.db, 'mirror-witness', [origin]);
      return fn();
    })();
  }

  cosigned(origin: string): CosignedRow | undefined {
    return this.s.cosigned.get(origin);
  }

  /** Persist a new cosigned checkpoint (durable before the cosignature is handed out). */
  setCosigned(origin: string, size: number, root: Uint8Array, note: string, cosignature: string, at: number): void {
    this.s.setCosigned.run(origin, size, root, note, cosignature, at);
  }

  leafHashes(): Uint8Array[] {
    return this.s.leaves.all(this.upstream).map((r) => new Uint8Array(r.hash));
  }

  addLeaves(from: number, hashes: readonly Uint8Array[]): void {
    this.db.transaction(() => {
      // A follower that lost the log to another daemon adds nothing: the holder's leaves are the tree.
      if (this.claimed) this.lease.assertHeld();
      hashes.forEach((h, i) => this.s.addLeaf.run(this.upstream, from + i, h));
    })();
  }

  raise(origin: string, kind: AlarmKind, message: string, noteA: string | null, noteB: string, now = Date.now()): void {
    this.exclusive(origin, () => {
      if (this.active()) return; // one standing alarm is enough to stop; its evidence is kept
      this.s.raise.run(this.upstream, origin, kind, message, noteA, noteB, now);
    });
  }

  active(): AlarmRow | undefined {
    return this.s.active.get(this.upstream);
  }

  alarms(limit = 100): AlarmRow[] {
    return this.s.all.all(this.upstream, limit);
  }

  /** The operator's action: clear the standing alarm; with reset, also forget the rebuilt tree and cosigned state. */
  clear(origin: string, reset: boolean, now = Date.now()): number {
    return this.db.transaction(() => {
      const n = this.s.clear.run(now, this.upstream).changes;
      if (reset) {
        this.s.forget.run(origin);
        this.s.dropLeaves.run(this.upstream);
      }
      return n;
    })();
  }
}
