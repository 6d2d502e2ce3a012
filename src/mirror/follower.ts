/**
 * Follows an upstream ProofService's `GET /v1/proofchain/changes?last_id=&count=` feed from a
 * persisted cursor. The upstream is never trusted: every link's own verification runs in the
 * worker pool, then every link goes to the store's one append path, where the core's one judge
 * decides it in order inside the transaction (against the head, the page's rejected links and
 * the quarantine: what hangs off a quarantined link is BROKEN_ANCESTOR). Whatever is rejected is
 * quarantined with the raw upstream JSON and its code; the mirror goes on.
 *
 * Crash safety: a page's links are appended (durable group commit) before the page's faults and
 * the new cursor are committed together. A crash in between replays the page on restart:
 * appends are idempotent (`existed`), faults are unique per upstream id — nothing is lost and
 * nothing is stored twice.
 */
import type { Logger } from 'pino';
import type { BulkVerifier } from '../crypto/verifier.js';
import { fetchJson, joinUrl, type FetchPolicy } from '../audit/http.js';
import {
  DEFAULT_CREATED_AT_SKEW_SECONDS,
  isRecord,
  linksFromProofchainItems,
  parsePublicKey,
  prevKey,
  ProofError,
  timeWindow,
  type AvatarKey,
  type ErrorCode,
  type Link,
} from '../core/index.js';
import type { AppendContext, AppendItem, Store } from '../store/index.js';
import type { MirrorConfig } from './config.js';
import type { Fault, MirrorState } from './state.js';
import { FeedLoop } from './feed-loop.js';

/** How the follower judges time: the daemon's clock skew, an injectable clock (ms). */
export interface FollowerClock {
  skewSeconds?: number;
  now?: () => number;
}

interface Entry {
  id: number;
  raw: unknown;
  avatarLabel: string;
  key: AvatarKey | null;
  link: Link | null;
  error: { code: ErrorCode; message: string } | null;
}

export interface PageResult {
  /** links in the page */
  received: number;
  stored: number;
  existed: number;
  quarantined: number;
  /** the page was full: more is probably waiting upstream */
  full: boolean;
}

export interface FollowerStatus {
  /** this process follows the upstream (false: another daemon on the database does, or none may) */
  following: boolean;
  caughtUp: boolean;
  lastSyncAt: number | null;
  lastCaughtUpAt: number | null;
  failures: number;
  lastError: string | null;
  nextRetryAt: number | null;
  upstreamLatest: number | null;
  stored: number;
  quarantined: number;
  pages: number;
}

class UpstreamError extends Error {}

export { mirrorRetryPolicy } from './feed-loop.js';

export class MirrorFollower {
  readonly status: FollowerStatus = {
    following: false,
    caughtUp: false,
    lastSyncAt: null,
    lastCaughtUpAt: null,
    failures: 0,
    lastError: null,
    nextRetryAt: null,
    upstreamLatest: null,
    stored: 0,
    quarantined: 0,
    pages: 0,
  };
  private readonly loop: FeedLoop;
  private lastLatestProbe = 0;
  private readonly policy: FetchPolicy;

  constructor(
    private readonly store: Pick<Store, 'appendLinks' | 'avatarRow'>,
    private readonly verifier: BulkVerifier,
    private readonly state: MirrorState,
    private readonly config: MirrorConfig,
    private readonly log: Logger,
    private readonly clock: FollowerClock = {},
    /** while true (an alarm about the upstream's log stands) no process may follow the feed */
    blocked: () => boolean = () => false,
  ) {
    // Retries are the loop's own backoff, not the fetch's.
    this.policy = { timeoutMs: config.timeoutMs, retries: 0, retryBaseMs: 0, maxBodyBytes: config.maxPageBytes };
    this.loop = new FeedLoop({ feed: 'the upstream', upstream: config.upstream, state, config, log, status: this.status, blocked, syncOnce: (signal) => this.syncOnce(signal) });
  }

  start(): void {
    this.loop.start();
  }

  /** Stop polling; an in-flight page finishes its commit (or is replayed after restart). */
  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Fetch and apply one page from the cursor. */
  async syncOnce(signal: AbortSignal): Promise<PageResult> {
    const cursor = this.state.cursor();
    const url = joinUrl(this.config.upstream, `v1/proofchain/changes?last_id=${cursor}&count=${this.config.pageSize}`);
    let res;
    try {
      res = await fetchJson(url, this.policy, { signal });
    } catch (err) {
      throw new UpstreamError((err as Error).message, { cause: err });
    }
    if (res.status === 404 || !isRecord(res.json) || !Array.isArray(res.json['links'])) {
      throw new UpstreamError(`${url}: not a /v1/proofchain/changes response`);
    }
    const links = res.json['links'] as unknown[];
    const result = await this.applyPage(links, cursor, signal);
    this.status.pages++;
    this.status.lastSyncAt = Date.now();
    if (!result.full) {
      this.status.caughtUp = true;
      this.status.lastCaughtUpAt = Date.now();
      this.status.upstreamLatest = this.state.cursor();
    } else {
      this.status.caughtUp = false;
      await this.probeLatest(signal);
    }
    return result;
  }

  /** A proofkeep upstream tells its newest feed id in /healthz; Next.ID does not (then: unknown). */
  private async probeLatest(signal: AbortSignal): Promise<void> {
    if (Date.now() - this.lastLatestProbe < 10_000) return;
    this.lastLatestProbe = Date.now();
    try {
      const r = await fetchJson(joinUrl(this.config.upstream, 'healthz'), { ...this.policy, maxBodyBytes: 1 << 20 }, { signal });
      // With a verifiable log the feed ids are log positions: its size is the newest id.
      const logSize = isRecord(r.json) && isRecord(r.json['tlog']) ? r.json['tlog']['size'] : undefined;
      const links = isRecord(r.json) && isRecord(r.json['store']) ? r.json['store']['links'] : undefined;
      const latest = typeof logSize === 'number' ? logSize : links;
      if (typeof latest === 'number' && Number.isSafeInteger(latest)) this.status.upstreamLatest = latest;
    } catch {
      /* optional */
    }
  }

  /** Verify, append and quarantine one page's links; then commit faults and cursor together. */
  async applyPage(links: readonly unknown[], cursor: number, signal: AbortSignal): Promise<PageResult> {
    const entries: Entry[] = [];
    let maxId = cursor;
    const lastSig = new Map<string, string>();
    for (const raw of links) {
      const id = isRecord(raw) ? raw['id'] : undefined;
      if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) throw new UpstreamError('feed entry without a positive integer id');
      if (id <= maxId) continue; // already handled (replay) or out of order: the cursor never goes back
      maxId = id;
      // A proofkeep upstream's feed is its log: validity changes, KV writes and subkeys sit
      // between the links. They are not links; the cursor moves past them.
      if (isRecord(raw) && raw['kind'] !== undefined && raw['kind'] !== 'link') continue;
      entries.push(this.parseEntry(id, raw, lastSig));
    }
    // Own verification: independent of chain position, so all at once (worker pool).
    const toVerify = entries.filter((e) => e.link && e.key);
    const verdicts = await this.verifier.verifyLinks(
      toVerify.map((e) => ({ avatar: e.key!, link: e.link!, allowLegacy: true })),
      signal,
    );

    const faults: Fault[] = [];
    const pageBad = new Set<string>();
    const ctx: AppendContext = {
      window: timeWindow((this.clock.now ?? Date.now)(), this.clock.skewSeconds ?? DEFAULT_CREATED_AT_SKEW_SECONDS),
      rejected: {
        has: (avatar, key) => pageBad.has(`${avatar}\u0000${key}`) || this.state.isQuarantined(avatar, key),
        add: (avatar, key) => void pageBad.add(`${avatar}\u0000${key}`),
      },
    };
    const quarantine = (e: Entry, code: ErrorCode, message: string) => {
      const rawSig = e.link ? e.link.signature : isRecord(e.raw) && typeof e.raw['signature'] === 'string' ? e.raw['signature'] : '';
      const sigKey = rawSig === '' ? '' : prevKey(rawSig);
      ctx.rejected!.add(e.avatarLabel, sigKey);
      faults.push({
        upstreamId: e.id,
        avatar: e.avatarLabel,
        uuid: e.link?.uuid ?? (isRecord(e.raw) && typeof e.raw['uuid'] === 'string' ? e.raw['uuid'].slice(0, 64) : ''),
        sigKey,
        code,
        message,
        raw: JSON.stringify(e.raw),
      });
    };

    const candidates: Entry[] = [];
    const items: AppendItem[] = [];
    for (const e of entries) {
      if (e.error || !e.link || !e.key) {
        quarantine(e, e.error?.code ?? 'BAD_REQUEST', e.error?.message ?? 'unreadable link');
        continue;
      }
      const v = verdicts[candidates.length]!;
      candidates.push(e);
      items.push(v.ok ? { avatar: e.key, link: v.link, idempotent: true } : { avatar: e.key, link: e.link, own: v, idempotent: true });
    }
    // The store judges them in order inside one transaction: link n is visible to link n+1.
    const outcomes = items.length > 0 ? await this.store.appendLinks(items, ctx) : [];
    let stored = 0;
    let existed = 0;
    outcomes.forEach((o, i) => {
      if (o.ok) {
        if (o.existed) existed++;
        else stored++;
        return;
      }
      quarantine(candidates[i]!, o.error.code, o.error.message);
    });
    this.state.commitPage(faults, maxId);
    this.status.stored += stored;
    this.status.quarantined += faults.length;
    if (faults.length > 0) this.log.warn({ count: faults.length, codes: [...new Set(faults.map((f) => f.code))] }, 'mirror: links quarantined');
    return { received: links.length, stored, existed, quarantined: faults.length, full: links.length >= this.config.pageSize };
  }

  private parseEntry(id: number, raw: unknown, lastSig: Map<string, string>): Entry {
    const rawAvatar = isRecord(raw) ? raw['avatar'] : undefined;
    const e: Entry = { id, raw, avatarLabel: typeof rawAvatar === 'string' ? rawAvatar.slice(0, 140) : '', key: null, link: null, error: null };
    try {
      e.key = parsePublicKey(rawAvatar, this.verifier.backend);
      e.avatarLabel = e.key.id;
      // prev: the entry's own (proofkeep), else its signed payload, else (legacy) the previous
      // link of this Avatar: earlier in this page, else the stored head.
      const fallback = lastSig.get(e.key.id) ?? this.store.avatarRow(e.key.id)?.head_signature ?? null;
      const link = linksFromProofchainItems([raw], fallback)[0]!;
      lastSig.set(e.key.id, link.signature);
      e.link = link;
    } catch (err) {
      if (!(err instanceof ProofError)) throw err;
      e.error = { code: err.code, message: err.message };
    }
    return e;
  }
}
