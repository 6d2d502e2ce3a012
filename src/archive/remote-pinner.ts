/**
 * Pinning on an IPFS Pinning Service (./pinning-service.ts), for one outbox (proof or KV chains).
 * The service works asynchronously — a request is queued, then pinning, then pinned or failed —
 * so the archive records the request id and the last state per version (./remote-pins.ts):
 *
 *   - the archive run asks for the version's pin (POST /pins) and records the request id; an
 *     outage throws, so the run fails and its jobs stay queued and are retried, as for Kubo;
 *   - `tick()` (on a timer) polls queued / pinning requests (GET /pins/{id}) until pinned or
 *     failed; a failed request (or one the service forgot) is asked for again after the archive's
 *     retry delay (src/util/retry.ts), forever, and shown as failed with its attempts meanwhile;
 *   - a request whose POST may have been sent but whose answer was not recorded (a crash, a
 *     timeout) is looked up by CID before asking again, so a version gets one request;
 *   - after a restart the rows are the state: polling resumes from the recorded request ids.
 *
 * With keepHistory false, an Avatar's older requests are removed (DELETE) once a newer one is
 * pinned, before that newer one is recorded as pinned (so a failed removal is tried again).
 */
import type { Logger } from 'pino';
import { CID } from 'multiformats/cid';
import { archiveRetryPolicy, type ArchiveConfig } from './config.js';
import type { OutboxStore, VersionRow } from './outbox-store.js';
import type { PinningServiceClient, PinStatus } from './pinning-service.js';
import type { RemotePinRow } from './remote-pins.js';
import { retryDelayMs } from '../util/retry.js';

function message(err: unknown): string {
  return typeof (err as Error)?.message === 'string' ? (err as Error).message : String(err);
}

export class RemotePinner {
  /** versions being asked about right now (by a run or the tick): never two requests at once */
  private readonly busy = new Set<number>();
  /** consecutive failures to reach the service from the tick, for its backoff */
  private outages = 0;

  constructor(
    private readonly client: PinningServiceClient,
    private readonly outbox: OutboxStore,
    private readonly cfg: ArchiveConfig,
    private readonly log: Logger,
    /** our node's multiaddrs, given to the service as origins to fetch the document from */
    private readonly origins: () => string[],
  ) {}

  private get store() {
    return this.outbox.remotePins;
  }

  private retryAt(failures: number): number {
    return Date.now() + retryDelayMs(archiveRetryPolicy(this.cfg.retry), failures);
  }

  private get staleMs(): number {
    return 2 * this.cfg.pinningService.timeoutMs;
  }

  /** The run's step: make sure the service has a request for this version (throws on an outage). */
  async request(v: VersionRow, signal: AbortSignal): Promise<void> {
    const { row, created } = this.store.ensure(v);
    if (row.status !== 'requesting' || this.busy.has(row.version_id)) return;
    this.busy.add(row.version_id);
    try {
      await this.ask(row, signal, !created);
    } finally {
      this.busy.delete(row.version_id);
    }
  }

  /** Ask the service for the pin; with `lookFirst`, adopt a request it already has for the CID. */
  private async ask(row: RemotePinRow, signal: AbortSignal, lookFirst: boolean): Promise<void> {
    const cid = CID.parse(row.cid);
    // touched first: the tick leaves a `requesting` row alone while a run may be posting it
    this.store.setStatus(row.version_id, 'requesting', row.next_check_at);
    let st: PinStatus | undefined;
    if (lookFirst) {
      const found = await this.client.find(cid, ['pinned', 'pinning', 'queued'], signal);
      st = found.find((f) => f.status === 'pinned') ?? found[0];
    }
    const avatar = this.outbox.avatar(row.avatar_id);
    st ??= await this.client.add(
      cid,
      {
        name: `proofkeep ${this.outbox.kind.name} chain ${avatar?.avatar ?? row.avatar_id} v${row.link_count}`,
        origins: this.origins().filter((a) => a.includes('/p2p/')),
        meta: { app: 'proofkeep', chain: this.outbox.kind.name, avatar: avatar?.avatar ?? '', links: String(row.link_count) },
      },
      signal,
    );
    await this.record(row, st, signal, true);
  }

  /** Record what the service said about the row's request. */
  private async record(row: RemotePinRow, st: PinStatus, signal: AbortSignal, fresh: boolean): Promise<void> {
    const next = Date.now() + this.cfg.pinningService.pollMs;
    if (st.status === 'failed') {
      if (fresh) this.store.accepted(row.version_id, st.requestid, 'queued', next);
      this.fail(row, `the pinning service reported request ${st.requestid} failed${detail(st)}`);
      return;
    }
    // the request id is recorded before anything else can fail; `pinned` only once older
    // requests are removed, so a failed removal is tried again on the next poll
    if (fresh) this.store.accepted(row.version_id, st.requestid, st.status === 'pinned' ? 'pinning' : st.status, next);
    if (st.status === 'pinned') await this.supersede(row, signal);
    if (!fresh || st.status === 'pinned') this.store.setStatus(row.version_id, st.status, next);
    this.log.debug({ cid: row.cid, request: st.requestid, status: st.status }, 'pinning service request');
  }

  private fail(row: RemotePinRow, why: string): void {
    const attempts = row.attempts + 1;
    this.store.failed(row.version_id, this.retryAt(attempts), why);
    // reported every time; loudly once it keeps failing
    this.log[attempts >= 5 ? 'error' : 'warn']({ cid: row.cid, links: row.link_count, attempts }, `pinning service: ${why}; will ask again`);
  }

  /** The Avatar's older requests are removed once this one is pinned (keepHistory false). */
  private async supersede(row: RemotePinRow, signal: AbortSignal): Promise<void> {
    if (this.cfg.ipfs.keepHistory) return;
    for (const old of this.store.olderOpen(row.avatar_id, row.link_count)) {
      if (this.busy.has(old.version_id)) continue;
      if (old.request_id) await this.client.remove(old.request_id, signal);
      this.store.setStatus(old.version_id, 'unpinned', Date.now());
    }
  }

  /** Poll due requests; stops at the first outage (the service is down: next round). */
  async tick(signal: AbortSignal): Promise<void> {
    for (const row of this.store.due(Date.now(), this.staleMs, 20)) {
      if (signal.aborted) return;
      if (this.busy.has(row.version_id)) continue;
      this.busy.add(row.version_id);
      try {
        await this.check(row, signal);
        this.outages = 0;
      } catch (err) {
        this.outages++;
        this.store.error(row.version_id, this.retryAt(this.outages), message(err));
        this.log.warn({ cid: row.cid, links: row.link_count, err: message(err) }, 'pinning service check failed; will retry');
        return;
      } finally {
        this.busy.delete(row.version_id);
      }
    }
  }

  private async check(row: RemotePinRow, signal: AbortSignal): Promise<void> {
    if (row.status === 'requesting') return this.ask(row, signal, true);
    if (row.status === 'failed') return this.ask(row, signal, false);
    const st = await this.client.get(row.request_id!, CID.parse(row.cid), signal);
    if (!st) return this.fail(row, `the pinning service no longer knows request ${row.request_id}`);
    await this.record(row, st, signal, false);
  }
}

function detail(st: PinStatus): string {
  const d = st.info['status_details'] ?? Object.values(st.info)[0];
  return d ? ` (${d.slice(0, 200)})` : '';
}
