/**
 * A mirror follows its upstream's subkeys too: `GET /v1/subkey/changes?last_id=&count=` (a
 * proofkeep upstream; the deployed Next.ID service has no such feed and keeps no subkey
 * signatures, so there is nothing verifiable to follow there). Every record is re-verified by
 * the core (verifySubkeyRecord) and stored through the subkeys store; a bad one is quarantined
 * in the mirror's fault table with its raw JSON and code, under the cursor key
 * `<upstream>#subkeys`, so its ids never collide with the link feed's. A page's records are
 * committed before its faults and cursor: a crash in between replays the page, and replaying
 * is a no-op (identical records `existed`, faults unique per upstream id).
 */
import type { Logger } from 'pino';
import { fetchJson, joinUrl, type FetchPolicy } from '../audit/http.js';
import { isRecord, ProofError, verifySubkeyRecord, type RecoveryBackend } from '../core/index.js';
import type { MirrorConfig } from '../mirror/config.js';
import type { Fault, MirrorState } from '../mirror/state.js';
import type { SubkeyStore } from './store.js';
import { FeedLoop, type LoopStatus } from '../mirror/feed-loop.js';

export const SUBKEY_FEED_SUFFIX = '#subkeys';

export interface SubkeyPage {
  received: number;
  stored: number;
  quarantined: number;
  full: boolean;
}

export class SubkeyFollower {
  /** false once the upstream answered 404: it has no subkey feed (e.g. Next.ID itself) */
  available = true;
  stored = 0;
  quarantined = 0;
  /** the loop's view: following = this daemon holds the subkey feed's lease (always, on SQLite) */
  readonly status: LoopStatus = { following: false, caughtUp: false, failures: 0, lastError: null, nextRetryAt: null };
  private readonly loop: FeedLoop;
  private readonly policy: FetchPolicy;

  constructor(
    private readonly subkeys: SubkeyStore,
    private readonly backend: RecoveryBackend,
    private readonly state: MirrorState,
    private readonly config: MirrorConfig & { upstream: string },
    private readonly log: Logger,
  ) {
    this.policy = { timeoutMs: config.timeoutMs, retries: 0, retryBaseMs: 0, maxBodyBytes: config.maxPageBytes };
    this.loop = new FeedLoop({
      feed: 'the upstream subkey feed', upstream: config.upstream, state, config, log, status: this.status,
      wanted: () => this.available, syncOnce: (signal) => this.syncOnce(signal),
    });
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Fetch and apply one page from the cursor. */
  async syncOnce(signal: AbortSignal): Promise<SubkeyPage> {
    const cursor = this.state.cursor();
    const url = joinUrl(this.config.upstream, `v1/subkey/changes?last_id=${cursor}&count=${Math.min(100, this.config.pageSize)}`);
    const res = await fetchJson(url, this.policy, { signal });
    if (res.status === 404) {
      this.available = false;
      this.log.info({ upstream: this.config.upstream }, 'mirror: the upstream has no subkey feed; not following subkeys');
      return { received: 0, stored: 0, quarantined: 0, full: false };
    }
    if (res.status !== 200 || !isRecord(res.json) || !Array.isArray(res.json['subkeys'])) throw new Error(`${url}: not a /v1/subkey/changes response`);
    return this.applyPage(res.json['subkeys'] as unknown[], cursor);
  }

  applyPage(records: readonly unknown[], cursor: number): SubkeyPage {
    let maxId = cursor;
    let stored = 0;
    const faults: Fault[] = [];
    for (const raw of records) {
      const id = isRecord(raw) ? raw['id'] : undefined;
      if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) throw new Error('subkey feed entry without a positive integer id');
      if (id <= maxId) continue; // replayed or out of order: the cursor never goes back
      maxId = id;
      try {
        const rec = verifySubkeyRecord(this.backend, raw as Record<string, unknown>);
        if (!this.subkeys.insert(rec).existed) stored++;
      } catch (err) {
        if (!(err instanceof ProofError)) throw err;
        const r = raw as Record<string, unknown>;
        faults.push({
          upstreamId: id, avatar: typeof r['avatar'] === 'string' ? r['avatar'].slice(0, 140) : '', uuid: '', sigKey: '',
          code: err.code, message: err.message, raw: JSON.stringify(raw),
        });
      }
    }
    this.state.commitPage(faults, maxId);
    this.stored += stored;
    this.quarantined += faults.length;
    if (faults.length > 0) this.log.warn({ count: faults.length, codes: [...new Set(faults.map((f) => f.code))] }, 'mirror: subkeys quarantined');
    return { received: records.length, stored, quarantined: faults.length, full: records.length >= Math.min(100, this.config.pageSize) };
  }
}
