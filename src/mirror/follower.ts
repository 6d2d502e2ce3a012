/**
 * Follows an upstream ProofService's `GET /v1/proofchain/changes?last_id=&count=` feed from a
 * persisted cursor. The upstream is never trusted: every link is verified here (core
 * `verifyLink` through the worker pool) and appended through the store's one append path,
 * which applies the chain rule (`checkAppend`) against the head inside its transaction.
 * Whatever fails is quarantined with the raw upstream JSON and its code; the mirror goes on.
 *
 * Crash safety: a page's links are appended (durable group commit) before the page's faults and
 * the new cursor are committed together. A crash in between replays the page on restart:
 * appends are idempotent (`existed`), faults are unique per upstream id — nothing is lost and
 * nothing is stored twice.
 */
import type { Logger } from 'pino';
import type { BulkVerifier, VerifyResult } from '../crypto/verifier.js';
import { fetchJson, joinUrl, type FetchPolicy } from '../audit/http.js';
import {
  hasUnsignableCharacters,
  isRecord,
  linksFromProofchainItems,
  parsePublicKey,
  prevKey,
  ProofError,
  type AvatarKey,
  type ErrorCode,
  type Link,
} from '../core/index.js';
import type { AppendItem, Store } from '../store/index.js';
import type { MirrorConfig } from './config.js';
import type { Fault, MirrorState } from './state.js';

/** Platform names accepted from elsewhere (same rule as bulk import). */
const PLATFORM_NAME = /^[a-z0-9_]{1,32}$/;

interface Entry {
  id: number;
  raw: unknown;
  avatarLabel: string;
  key: AvatarKey | null;
  link: Link | null;
  error: { code: ErrorCode; message: string } | null;
  verdict?: VerifyResult;
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

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export class MirrorFollower {
  readonly status: FollowerStatus = {
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
  private controller: AbortController | null = null;
  private loop: Promise<void> | null = null;
  private lastLatestProbe = 0;
  private readonly policy: FetchPolicy;

  constructor(
    private readonly store: Pick<Store, 'appendLinks' | 'avatarRow'>,
    private readonly verifier: BulkVerifier,
    private readonly state: MirrorState,
    private readonly config: MirrorConfig,
    private readonly log: Logger,
  ) {
    // Retries are the loop's own backoff, not the fetch's.
    this.policy = { timeoutMs: config.timeoutMs, retries: 0, retryBaseMs: 0, maxBodyBytes: config.maxPageBytes };
  }

  start(): void {
    if (this.loop) return;
    this.controller = new AbortController();
    this.loop = this.run(this.controller.signal);
  }

  /** Stop polling; an in-flight page finishes its commit (or is replayed after restart). */
  async stop(): Promise<void> {
    this.controller?.abort();
    await this.loop;
    this.loop = null;
  }

  private backoff(failures: number): number {
    const exp = Math.min(this.config.backoffMaxMs, this.config.backoffBaseMs * 2 ** Math.min(failures - 1, 30));
    return Math.round(exp * (0.75 + Math.random() * 0.25));
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let wait: number;
      try {
        const r = await this.syncOnce(signal);
        this.status.failures = 0;
        this.status.lastError = null;
        this.status.nextRetryAt = null;
        wait = r.full ? 0 : this.config.pollIntervalMs;
      } catch (err) {
        if (signal.aborted) break;
        this.status.failures++;
        this.status.lastError = (err as Error).message;
        wait = this.backoff(this.status.failures);
        this.status.nextRetryAt = Date.now() + wait;
        this.log.warn({ err: (err as Error).message, failures: this.status.failures, retryInMs: wait }, 'mirror: upstream sync failed; backing off');
      }
      if (wait > 0) await sleep(wait, signal);
    }
  }

  /** Fetch and apply one page from the cursor. */
  async syncOnce(signal: AbortSignal): Promise<PageResult> {
    const cursor = this.state.cursor();
    const url = joinUrl(this.config.upstream, `v1/proofchain/changes?last_id=${cursor}&count=${this.config.pageSize}`);
    let res;
    try {
      res = await fetchJson(url, this.policy, { signal });
    } catch (err) {
      throw new UpstreamError((err as Error).message);
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
    // Signatures: independent of chain position, so all at once (worker pool).
    const toVerify = entries.filter((e) => e.link && e.key);
    const verdicts = await this.verifier.verifyLinks(
      toVerify.map((e) => ({ avatar: e.key!.id, link: e.link!, allowLegacy: true })),
      signal,
    );
    toVerify.forEach((e, i) => (e.verdict = verdicts[i]));

    const faults: Fault[] = [];
    const pageBad = new Set<string>();
    const isBad = (avatar: string, sigKey: string) => pageBad.has(`${avatar}\u0000${sigKey}`) || this.state.isQuarantined(avatar, sigKey);
    const quarantine = (e: Entry, code: ErrorCode, message: string) => {
      const rawSig = e.link ? e.link.signature : isRecord(e.raw) && typeof e.raw['signature'] === 'string' ? e.raw['signature'] : '';
      const sigKey = rawSig === '' ? '' : prevKey(rawSig);
      pageBad.add(`${e.avatarLabel}\u0000${sigKey}`);
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
    const hangsOffBad = (e: Entry) => e.link!.prev !== null && isBad(e.avatarLabel, prevKey(e.link!.prev));

    const candidates: Entry[] = [];
    const items: AppendItem[] = [];
    for (const e of entries) {
      if (e.error || !e.link || !e.key) quarantine(e, e.error?.code ?? 'BAD_REQUEST', e.error?.message ?? 'unreadable link');
      else if (hangsOffBad(e)) quarantine(e, 'BROKEN_ANCESTOR', 'link hangs off a quarantined link');
      else if (!e.verdict?.ok) quarantine(e, e.verdict ? (e.verdict as { code: ErrorCode }).code : 'INTERNAL', e.verdict ? (e.verdict as { message: string }).message : 'not verified');
      else {
        candidates.push(e);
        items.push({ avatar: e.key, link: e.verdict.link, idempotent: true });
      }
    }
    // The store applies them in order inside one transaction: link n is visible to link n+1.
    const outcomes = items.length > 0 ? await this.store.appendLinks(items) : [];
    let stored = 0;
    let existed = 0;
    outcomes.forEach((o, i) => {
      const e = candidates[i]!;
      if (o.ok) {
        if (o.existed) existed++;
        else stored++;
        return;
      }
      // A link after one that failed the chain rule in this very batch fails PREV_MISMATCH;
      // what it really is: a descendant of a quarantined link.
      const code: ErrorCode = o.error.code === 'PREV_MISMATCH' && hangsOffBad(e) ? 'BROKEN_ANCESTOR' : o.error.code;
      quarantine(e, code, code === 'BROKEN_ANCESTOR' ? 'link hangs off a quarantined link' : o.error.message);
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
      e.key = parsePublicKey(rawAvatar);
      e.avatarLabel = e.key.id;
      // prev: the entry's own (proofkeep), else its signed payload, else (legacy) the previous
      // link of this Avatar: earlier in this page, else the stored head.
      const fallback = lastSig.get(e.key.id) ?? this.store.avatarRow(e.key.id)?.head_signature ?? null;
      const link = linksFromProofchainItems([raw], fallback)[0]!;
      lastSig.set(e.key.id, link.signature);
      if (!PLATFORM_NAME.test(link.platform)) throw new ProofError('UNKNOWN_PLATFORM', `bad platform name "${link.platform.slice(0, 40)}"`);
      if (link.identity === '' || hasUnsignableCharacters(link.identity)) throw new ProofError('BAD_IDENTITY', 'identity is empty or has control characters');
      e.link = link;
    } catch (err) {
      if (!(err instanceof ProofError)) throw err;
      e.error = { code: err.code, message: err.message };
    }
    return e;
  }
}
