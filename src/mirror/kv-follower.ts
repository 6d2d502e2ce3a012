/**
 * Follows an upstream proofkeep's KV change feed (`GET /v1/kv/changes?last_id=&count=`) from its
 * own persisted cursor, like MirrorFollower does for links. The upstream is never trusted: every
 * write is parsed and verified here (core verifyKvWrite, legacy payloads accepted as history),
 * then appended through the KV store's one append path, which applies the KV chain rule against
 * the head inside its transaction. Whatever fails is quarantined with the raw JSON and its code
 * (same table and codes as links; a write hanging off a quarantined one is BROKEN_ANCESTOR).
 *
 * An upstream without a KV feed (Next.ID's ProofService: 404) is not an error: the follower just
 * looks again later. Crash safety as for links: appends are durable and idempotent, the page's
 * faults and cursor are committed together afterwards.
 */
import type { Logger } from 'pino';
import { fetchJson, joinUrl, type FetchPolicy } from '../audit/http.js';
import {
  isRecord, parseKvWrite, parsePublicKey, prevKey, ProofError, verifyKvWrite, type ErrorCode, type RecoveryBackend,
} from '../core/index.js';
import type { KvStore } from '../kv/kv-store.js';
import type { MirrorConfig } from './config.js';
import type { Fault, MirrorState } from './state.js';
import { FeedLoop } from './feed-loop.js';

export interface KvPageResult {
  received: number;
  stored: number;
  existed: number;
  quarantined: number;
  full: boolean;
  /** the upstream has no KV feed */
  absent: boolean;
}

/** The MirrorState key of an upstream's KV feed: its own cursor and quarantine namespace. */
export function kvFeedKey(upstream: string): string {
  return `${upstream}#kv`;
}

export class KvFollower {
  readonly status = { following: false, caughtUp: false, absent: false, lastSyncAt: null as number | null, failures: 0, lastError: null as string | null, nextRetryAt: null as number | null, stored: 0, quarantined: 0, upstreamLatest: null as number | null };
  private readonly loop: FeedLoop;
  private readonly policy: FetchPolicy;

  constructor(
    private readonly kv: KvStore,
    private readonly backend: () => RecoveryBackend,
    private readonly state: MirrorState,
    private readonly config: MirrorConfig,
    private readonly log: Logger,
  ) {
    this.policy = { timeoutMs: config.timeoutMs, retries: 0, retryBaseMs: 0, maxBodyBytes: config.maxPageBytes };
    this.loop = new FeedLoop({ feed: 'the upstream KV feed', upstream: config.upstream, state, config, log, status: this.status, syncOnce: (signal) => this.syncOnce(signal) });
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  async syncOnce(signal: AbortSignal): Promise<KvPageResult> {
    const cursor = this.state.cursor();
    const url = joinUrl(this.config.upstream, `v1/kv/changes?last_id=${cursor}&count=${this.config.pageSize}`);
    const res = await fetchJson(url, this.policy, { signal });
    if (res.status === 404) {
      if (!this.status.absent) this.log.info({ upstream: this.config.upstream }, 'mirror: upstream has no KV feed (not a proofkeep); KV data is not mirrored');
      this.status.absent = true;
      return { received: 0, stored: 0, existed: 0, quarantined: 0, full: false, absent: true };
    }
    if (!isRecord(res.json) || !Array.isArray(res.json['writes'])) throw new Error(`${url}: not a /v1/kv/changes response`);
    this.status.absent = false;
    const latest = res.json['latest'];
    if (typeof latest === 'number' && Number.isSafeInteger(latest)) this.status.upstreamLatest = latest;
    const r = this.applyPage(res.json['writes'] as unknown[], cursor);
    this.status.lastSyncAt = Date.now();
    this.status.caughtUp = !r.full;
    return r;
  }

  /** Verify, append and quarantine one page's writes; then commit faults and cursor together. */
  applyPage(writes: readonly unknown[], cursor: number): KvPageResult {
    const faults: Fault[] = [];
    const pageBad = new Set<string>();
    let maxId = cursor;
    let stored = 0;
    let existed = 0;
    const backend = this.backend();
    for (const raw of writes) {
      const id = isRecord(raw) ? raw['id'] : undefined;
      if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) throw new Error('KV feed entry without a positive integer id');
      if (id <= maxId) continue;
      maxId = id;
      // Attacker-controlled: every field is parsed before use; failures become faults.
      const rawAvatar = isRecord(raw) ? raw['avatar'] : undefined;
      let avatarLabel = typeof rawAvatar === 'string' ? rawAvatar.slice(0, 140) : '';
      let sigKey = isRecord(raw) && typeof raw['signature'] === 'string' ? prevKey(raw['signature'].slice(0, 200)) : '';
      const quarantine = (code: ErrorCode, message: string) => {
        pageBad.add(`${avatarLabel}\u0000${sigKey}`);
        faults.push({
          upstreamId: id, avatar: avatarLabel, uuid: isRecord(raw) && typeof raw['uuid'] === 'string' ? raw['uuid'].slice(0, 64) : '',
          sigKey, code, message, raw: JSON.stringify(raw),
        });
      };
      try {
        const key = parsePublicKey(rawAvatar);
        avatarLabel = key.id;
        const w = parseKvWrite(raw);
        sigKey = prevKey(w.signature);
        if (w.previous !== null) {
          const parent = `${key.id}\u0000${prevKey(w.previous)}`;
          if (pageBad.has(parent) || this.state.isQuarantined(key.id, prevKey(w.previous))) {
            quarantine('BROKEN_ANCESTOR', 'write hangs off a quarantined write');
            continue;
          }
        }
        const verified = verifyKvWrite(key, w, { backend, allowLegacy: true });
        const o = this.kv.append(key, verified, { idempotent: true });
        if (o.existed) existed++;
        else stored++;
      } catch (err) {
        if (!(err instanceof ProofError)) throw err;
        quarantine(err.code, err.message);
      }
    }
    this.state.commitPage(faults, maxId);
    this.status.stored += stored;
    this.status.quarantined += faults.length;
    if (faults.length > 0) this.log.warn({ count: faults.length, codes: [...new Set(faults.map((f) => f.code))] }, 'mirror: KV writes quarantined');
    return { received: writes.length, stored, existed, quarantined: faults.length, full: writes.length >= this.config.pageSize, absent: false };
  }
}
