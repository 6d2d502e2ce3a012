/** The mirror's own SQL (cursor and quarantine), on the store's database. */
import { sql, type Db } from '../store/db.js';
import { FeedLease, type Claim } from '../store/lease.js';

export interface Fault {
  upstreamId: number;
  avatar: string;
  uuid: string;
  sigKey: string;
  code: string;
  message: string;
  raw: string;
}

export interface FaultRow {
  id: number;
  upstream: string;
  upstream_id: number;
  avatar: string;
  uuid: string;
  code: string;
  message: string;
  raw: string;
  quarantined_at: number;
}

export class MirrorState {
  private readonly s;
  private readonly lease: FeedLease;
  /** a follower claims the feed before each pass; from then on its commits are fenced by the lease */
  private claimed = false;

  constructor(
    private readonly db: Db,
    private readonly upstream: string,
  ) {
    this.lease = new FeedLease(db, upstream);
    this.s = {
      cursor: db.prepare<[string], { cursor: number }>('SELECT cursor FROM mirror_state WHERE upstream = ?'),
      // The cursor never moves backwards, whoever commits last (a replay, or another process).
      setCursor: db.prepare(sql(db,
        'INSERT INTO mirror_state (upstream, cursor, updated_at) VALUES (?, ?, ?) ON CONFLICT (upstream) DO UPDATE SET cursor = max(cursor, excluded.cursor), updated_at = excluded.updated_at',
        'INSERT INTO mirror_state (upstream, cursor, updated_at) VALUES (?, ?, ?) ON CONFLICT (upstream) DO UPDATE SET cursor = GREATEST(mirror_state.cursor, excluded.cursor), updated_at = excluded.updated_at',
      )),
      fault: db.prepare(sql(db,
        `INSERT OR IGNORE INTO mirror_faults (upstream, upstream_id, avatar, uuid, sig_key, code, message, raw, quarantined_at)
         VALUES (?,?,?,?,?,?,?,?,?)`,
        `INSERT INTO mirror_faults (upstream, upstream_id, avatar, uuid, sig_key, code, message, raw, quarantined_at)
         VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (upstream, upstream_id) DO NOTHING`,
      )),
      quarantined: db.prepare<[string, string], { one: number }>('SELECT 1 AS one FROM mirror_faults WHERE avatar = ? AND sig_key = ? LIMIT 1'),
      list: db.prepare<[number, number], FaultRow>('SELECT * FROM mirror_faults WHERE id > ? ORDER BY id LIMIT ?'),
      count: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM mirror_faults'),
    };
  }

  /** Take or keep the right to follow this feed (./lease.ts); false while another process follows it. */
  claim(): Claim {
    this.claimed = true;
    return this.lease.claim();
  }

  /** Give the feed up (stopping): another process may follow it at once. */
  release(): void {
    this.lease.release();
  }

  cursor(): number {
    return this.s.cursor.get(this.upstream)?.cursor ?? 0;
  }

  /** Record a page's quarantined links and advance the cursor, in one transaction. */
  commitPage(faults: readonly Fault[], cursor: number): void {
    const now = Date.now();
    this.db.transaction(() => {
      // A process that lost the feed since it claimed it commits nothing: the holder owns the cursor.
      if (this.claimed) this.lease.assertHeld();
      for (const f of faults) this.s.fault.run(this.upstream, f.upstreamId, f.avatar, f.uuid, f.sigKey, f.code, f.message, f.raw, now);
      this.s.setCursor.run(this.upstream, cursor, now);
    })();
  }

  isQuarantined(avatar: string, sigKey: string): boolean {
    return this.s.quarantined.get(avatar, sigKey) !== undefined;
  }

  faults(afterId: number, count: number): FaultRow[] {
    return this.s.list.all(afterId, count);
  }

  faultCount(): number {
    return this.s.count.get()!.n;
  }
}
