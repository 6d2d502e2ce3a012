/**
 * The outbox worker. Polls for Avatars with due jobs, and for each (one run per Avatar at a
 * time, `concurrency` Avatars in parallel, runs started at most `perInterval` per `intervalMs`)
 * archives the Avatar's NEWEST chain version: every pending job it covers is then done, so a
 * burst of links costs one upload. Each step records its result before the next starts, so a
 * re-run after a failure or a crash skips what is done and repeats nothing that matters:
 *
 *   1. version row (link count, head uuid, CID of the exact document bytes)
 *   2. embedded IPFS: put + pin, then unpin superseded versions (unless keepHistory)
 *   3. Arweave: sign → persist the signed tx → post; a persisted-but-unposted tx is re-posted
 *      as is (same id), never re-signed, so one chain version never gets two transactions
 *   4. Kubo (optional): put + pin
 *   5. pinning service (optional): the pin request is accepted (its state is then polled by
 *      ./remote-pinner.ts until pinned, failed ones asked for again)
 *   6. jobs up to that link count → done
 *
 * A failed run backs off (exponential + jitter, from config) and is retried forever: jobs are
 * never dropped. A separate loop tracks confirmations of posted transactions.
 *
 * The API's reads come first: before a run and before signing the worker waits for the event
 * loop to have room (src/util/pacer.ts), up to `pacing.maxWaitMs`; a signed tx is posted at once.
 */
import { setMaxListeners } from 'node:events';
import PQueue from 'p-queue';
import type { Logger } from 'pino';
import { CID } from 'multiformats/cid';
import { ArweaveRejected, type ArweaveClient, type SignedTx, type Tag } from './arweave.js';
import { archiveRetryPolicy, type ArchiveConfig } from './config.js';
import { retryDelayMs } from '../util/retry.js';
import { documentCid, type IpfsNode } from './ipfs.js';
import type { KuboPinner } from './kubo.js';
import type { PinningServiceClient } from './pinning-service.js';
import { RemotePinner } from './remote-pinner.js';
import type { OutboxStore, VersionRow } from './outbox-store.js';
import { LoopPacer, type PacerClock } from '../util/pacer.js';

export interface ArchiveTargets {
  ipfs: IpfsNode | null;
  kubo: KuboPinner | null;
  arweave: ArweaveClient | null;
  /** the wallet address (tag lookups are restricted to our own transactions) */
  arweaveOwner: string | null;
  /** an IPFS Pinning Service API endpoint (absent or null = none) */
  pinningService?: PinningServiceClient | null;
}

function message(err: unknown): string {
  const e = err as { message?: unknown; cause?: { message?: unknown } };
  const m = typeof e?.message === 'string' ? e.message : String(err);
  return typeof e?.cause?.message === 'string' ? `${m}: ${e.cause.message}` : m;
}

export class ArchiveWorker {
  private readonly queue: PQueue;
  private readonly inFlight = new Set<number>();
  private readonly ac = new AbortController();
  private pollTimer: NodeJS.Timeout | undefined;
  private confirmTimer: NodeJS.Timeout | undefined;
  private confirming: Promise<void> | null = null;
  private pinTimer: NodeJS.Timeout | undefined;
  private pinning: Promise<void> | null = null;
  readonly remote: RemotePinner | null;
  private stopped = false;
  /** versions archived by this process (for logs and tests) */
  archivedCount = 0;
  readonly pacer: LoopPacer;

  constructor(
    private readonly outbox: OutboxStore,
    private readonly targets: ArchiveTargets,
    private readonly cfg: ArchiveConfig,
    private readonly log: Logger,
    pacerClock?: PacerClock,
  ) {
    this.pacer = new LoopPacer(
      { maxUtilization: cfg.pacing.maxLoopUtilization, windowMs: cfg.pacing.windowMs, maxWaitMs: cfg.pacing.maxWaitMs },
      pacerClock,
    );
    // Every in-flight request of every run listens on this one signal.
    setMaxListeners(0, this.ac.signal);
    this.remote = targets.pinningService
      ? new RemotePinner(targets.pinningService, outbox, cfg, log, () => targets.ipfs?.multiaddrs() ?? [])
      : null;
    this.queue = new PQueue({
      concurrency: cfg.concurrency,
      intervalCap: cfg.rateLimit.perInterval,
      interval: cfg.rateLimit.intervalMs,
    });
  }

  start(): void {
    this.pollTimer = setInterval(() => this.tick(), this.cfg.pollMs);
    if (this.targets.arweave) {
      this.confirmTimer = setInterval(() => {
        this.confirming ??= this.confirmTick().finally(() => (this.confirming = null));
      }, this.cfg.arweave.confirmPollMs);
    }
    if (this.remote) {
      const remote = this.remote;
      this.pinTimer = setInterval(() => {
        this.pinning ??= remote
          .tick(this.ac.signal)
          .catch((err: unknown) => this.log.error({ err: message(err) }, 'pinning service poll failed'))
          .finally(() => (this.pinning = null));
      }, this.cfg.pinningService.pollMs);
    }
    this.tick();
  }

  /** Stop taking work, let running archive runs finish (bounded), then return. */
  async stop(graceMs = 15_000): Promise<void> {
    this.stopped = true;
    clearInterval(this.pollTimer);
    clearInterval(this.confirmTimer);
    clearInterval(this.pinTimer);
    this.queue.clear();
    const grace = setTimeout(() => this.ac.abort(new Error('archive worker stopping')), graceMs);
    try {
      await this.queue.onIdle();
      await this.confirming;
      await this.pinning;
    } finally {
      clearTimeout(grace);
      try {
        // Queued runs were dropped: their Avatars are free for the other daemons at once.
        this.outbox.releaseAll();
      } catch (err) {
        this.log.warn({ err: message(err) }, 'archive: releasing leases failed; they expire');
      }
    }
  }

  /** Schedule due Avatars that are not already running or queued. */
  tick(): void {
    if (this.stopped) return;
    const room = this.cfg.concurrency * 2 - this.inFlight.size;
    if (room <= 0) return;
    const now = Date.now();
    let due;
    try {
      // Several daemons (PostgreSQL): the Avatars this one runs stay leased to it.
      this.outbox.renew(this.inFlight, now);
      due = this.outbox.due(now, this.cfg.coalesceMs, room, this.inFlight);
    } catch (err) {
      this.log.error({ err: message(err) }, 'archive: reading the outbox failed');
      return;
    }
    for (const d of due) {
      if (this.inFlight.has(d.avatar_id)) continue;
      this.inFlight.add(d.avatar_id);
      void this.queue.add(() => this.run(d.avatar_id)).finally(() => this.inFlight.delete(d.avatar_id));
    }
  }

  private async run(avatarId: number): Promise<void> {
    if (this.stopped && this.ac.signal.aborted) return;
    try {
      await this.pacer.turn(this.ac.signal);
      // The table is the truth: an index entry it does not back (a rolled-back enqueue) ends here.
      if (!this.outbox.refresh(avatarId)) return;
      await this.archiveAvatar(avatarId, this.ac.signal);
    } catch (err) {
      const attempts = this.outbox.attempts(avatarId);
      const delay = retryDelayMs(archiveRetryPolicy(this.cfg.retry), attempts + 1);
      this.outbox.fail(avatarId, Date.now() + delay, message(err));
      this.log.warn({ avatarId, attempts: attempts + 1, retryInMs: delay, err: message(err) }, 'archive run failed; will retry');
    } finally {
      try {
        this.outbox.release(avatarId);
      } catch (err) {
        this.log.warn({ avatarId, err: message(err) }, 'archive: releasing a lease failed; it expires');
      }
    }
  }

  private document(avatarId: number, publicKey: string, count: number): Uint8Array {
    return this.documentAt(avatarId, publicKey, count).bytes;
  }

  private documentAt(avatarId: number, publicKey: string, count: number): { bytes: Uint8Array; headUuid: string } {
    const d = this.outbox.document(avatarId, publicKey, count);
    if (d.entries !== count) throw new Error(`${this.outbox.kind.name} chain of avatar ${avatarId} has ${d.entries} entries, expected ${count}`);
    return d;
  }

  /** Archive the Avatar's newest version (finishing any earlier signed-but-unposted one first). */
  async archiveAvatar(avatarId: number, signal: AbortSignal): Promise<VersionRow> {
    const avatar = this.outbox.avatar(avatarId);
    if (!avatar) throw new Error(`avatar ${avatarId} not found`);
    const target = avatar.link_count;
    const { ipfs, kubo, arweave } = this.targets;

    // An earlier version whose tx was signed but never acknowledged: post that same tx first,
    // so it is neither lost nor duplicated, and later versions' Previous-Tx points at it.
    if (arweave) {
      for (const v of this.outbox.inState(avatarId, 'signed')) {
        if (v.link_count === target) continue;
        await this.postSigned(v, this.document(avatarId, avatar.public_key, v.link_count), signal, true);
      }
    }

    const { bytes, headUuid } = this.documentAt(avatarId, avatar.public_key, target);
    let v = this.outbox.version(avatarId, target);
    if (!v) {
      v = this.outbox.insertVersion({
        avatarId,
        linkCount: target,
        headUuid,
        cid: (await documentCid(bytes)).toString(),
        size: bytes.length,
        ipfs: ipfs ? 'pending' : 'disabled',
        kubo: kubo ? 'pending' : 'disabled',
        arweave: arweave ? 'pending' : 'disabled',
      });
    }
    const cid = CID.parse(v.cid);

    if (ipfs && v.ipfs_status === 'pending') {
      const got = await ipfs.put(bytes, signal);
      if (!got.equals(cid)) throw new Error(`IPFS stored ${got}, expected ${cid}`);
      await ipfs.pin(cid, signal);
      this.outbox.setIpfs(v.id, 'pinned');
    }

    if (arweave) {
      v = this.outbox.versionById(v.id)!;
      // Signed in an earlier run (that failed or crashed around the post): it may have landed.
      let maybePosted = v.arweave_status === 'signed';
      if (v.arweave_status === 'pending') {
        maybePosted = false;
        const previousTx = this.outbox.previousTx(avatarId, target);
        const tags = this.outbox.tags({ avatar: avatar.avatar, links: target, headUuid: v.head_uuid, cid: v.cid, previousTx });
        await this.pacer.turn(signal);
        // Another daemon took the Avatar over (this one stalled past its lease): it signs, not us.
        if (!this.outbox.holds(avatarId)) throw new Error(`the archive lease of avatar ${avatarId} was lost`);
        const signed = await arweave.sign(bytes, tags, signal);
        this.outbox.recordSigned(v.id, signed, previousTx);
        // On disk before anything is posted: a version never gets a second tx.
        await this.outbox.durable();
        v = this.outbox.versionById(v.id)!;
      }
      // Posted at once, never paced: a signed tx's anchor expires (50 blocks), and one that
      // expired before its first post is refused for good.
      if (v.arweave_status === 'signed') await this.postSigned(v, bytes, signal, maybePosted);
    }

    if (kubo && v.kubo_status === 'pending') {
      await kubo.pin(cid, bytes, signal);
      this.outbox.setKubo(v.id, 'pinned');
    }

    if (this.remote) await this.remote.request(v, signal);

    // The new version is pinned; only now may superseded ones be unpinned.
    if (!this.cfg.ipfs.keepHistory) {
      for (const old of this.outbox.pinnedBefore(avatarId, target)) {
        const oldCid = CID.parse(old.cid);
        if (ipfs && old.ipfs_status === 'pinned') {
          await ipfs.unpin(oldCid, signal);
          this.outbox.setIpfs(old.id, 'unpinned');
        }
        if (kubo && old.kubo_status === 'pinned') {
          await kubo.unpin(oldCid, signal);
          this.outbox.setKubo(old.id, 'unpinned');
        }
      }
    }

    const done = this.outbox.complete(avatarId, target, v.id);
    const final = this.outbox.versionById(v.id)!;
    this.archivedCount++;
    this.log.info(
      { avatar: avatar.avatar, links: target, jobs: done, cid: final.cid, tx: final.tx_id, ipfs: final.ipfs_status, arweave: final.arweave_status },
      this.outbox.kind.name === 'kv' ? 'archived KV chain version' : 'archived chain version',
    );
    return final;
  }

  /** Post a persisted signed tx; with `checkFirst`, a tx the gateway already has is not sent again. */
  private async postSigned(v: VersionRow, bytes: Uint8Array, signal: AbortSignal, checkFirst = false): Promise<void> {
    const arweave = this.targets.arweave!;
    if (!checkFirst || (await arweave.status(v.tx_id!, signal)).state === 'not_found') {
      const signed: SignedTx = { id: v.tx_id!, json: JSON.parse(v.tx_json!) as Record<string, unknown> };
      try {
        await arweave.post(signed, bytes, signal);
      } catch (err) {
        // Refused for good and unknown to the gateway (its anchor expired while the gateway was
        // down, say): posting it again can never succeed, so the version gets a new tx.
        if (!(err instanceof ArweaveRejected)) throw err;
        this.log.warn({ tx: v.tx_id, status: err.status }, 'arweave refused a signed tx that was never posted; signing a new one');
        await this.resign(v, bytes, signal);
        return;
      }
    }
    this.outbox.markPosted(v.id);
  }

  /**
   * Give a version whose tx the gateway refuses a new tx — unless a tx for it is found by its
   * tags (an earlier post that did land): then that one is adopted and nothing is signed.
   * A refusal of the new tx too is thrown: the run backs off and comes back here.
   */
  private async resign(v: VersionRow, bytes: Uint8Array, signal: AbortSignal): Promise<void> {
    const arweave = this.targets.arweave!;
    const avatar = this.outbox.avatar(v.avatar_id)!;
    const tags: Tag[] = this.outbox.tags({ avatar: avatar.avatar, links: v.link_count, headUuid: v.head_uuid, cid: v.cid, previousTx: v.previous_tx });
    const key = tags.filter((t) => this.outbox.kind.keyTags.includes(t.name));
    const found = (await arweave.findByTags(key, this.targets.arweaveOwner, signal)).filter((id) => id !== v.tx_id);
    if (found[0]) {
      this.outbox.adopt(v.id, found[0]);
      return;
    }
    const signed = await arweave.sign(bytes, tags, signal);
    this.outbox.recordSigned(v.id, signed, v.previous_tx);
    // On disk before it is posted, as every signed tx is.
    await this.outbox.durable();
    await arweave.post(signed, bytes, signal);
    this.outbox.markPosted(v.id);
  }

  /** Check posted transactions: confirmations, and re-post those the gateway lost. */
  async confirmTick(): Promise<void> {
    const arweave = this.targets.arweave;
    if (!arweave || this.stopped) return;
    // Several daemons on one database: one of them polls (and re-posts or re-signs) at a time.
    if (!this.outbox.confirmer()) return;
    const cfg = this.cfg.arweave;
    for (const v of this.outbox.toConfirm(50)) {
      if (this.stopped) return;
      try {
        if (v.arweave_status === 'signed') {
          // Normally posted by its Avatar's run; one left behind (a failed re-post, a crash
          // after the jobs were done) is posted here, as the same signed tx.
          if (Date.now() - (v.arweave_signed_at ?? 0) > 2 * cfg.timeoutMs) {
            const avatar = this.outbox.avatar(v.avatar_id)!;
            await this.postSigned(v, this.document(v.avatar_id, avatar.public_key, v.link_count), this.ac.signal, true);
          } else this.outbox.touch(v.id);
          continue;
        }
        const st = await arweave.status(v.tx_id!, this.ac.signal);
        if (st.state === 'mined') {
          if (st.confirmations >= cfg.confirmations) this.outbox.markConfirmed(v.id, st.confirmations, st.height);
          else this.outbox.setConfirmations(v.id, st.confirmations, st.height);
        } else if (st.state === 'not_found' && Date.now() - (v.arweave_posted_at ?? 0) > cfg.repostAfterMs) {
          await this.repost(v);
        } else {
          this.outbox.touch(v.id);
        }
      } catch (err) {
        this.outbox.versionError(v.id, message(err));
        this.log.debug({ tx: v.tx_id, err: message(err) }, 'confirmation check failed');
        return; // gateway trouble: try again next round
      }
    }
  }

  /** A posted tx vanished: post the same signed tx again; if the gateway refuses it, re-sign. */
  private async repost(v: VersionRow): Promise<void> {
    const arweave = this.targets.arweave!;
    const avatar = this.outbox.avatar(v.avatar_id)!;
    const bytes = this.document(v.avatar_id, avatar.public_key, v.link_count);
    this.log.warn({ avatar: avatar.avatar, links: v.link_count, tx: v.tx_id }, 'arweave tx vanished; re-posting');
    if (v.tx_json) {
      try {
        await arweave.post({ id: v.tx_id!, json: JSON.parse(v.tx_json) as Record<string, unknown> }, bytes, this.ac.signal);
        this.outbox.markReposted(v.id);
        return;
      } catch (err) {
        if (!(err instanceof ArweaveRejected)) throw err;
      }
    }
    // Refused (expired anchor): a new tx, unless one for this version is found by its tags.
    this.outbox.markReposted(v.id);
    await this.resign(v, bytes, this.ac.signal);
  }

  health(): Record<string, unknown> {
    const s = this.outbox.summary();
    return {
      queue_depth: s.jobs,
      pending_avatars: s.avatars,
      oldest_pending_age_ms: s.oldest_enqueued_at === null ? 0 : Math.max(0, Date.now() - s.oldest_enqueued_at),
      failing_avatars: s.failing_avatars,
      in_flight: this.inFlight.size,
      // archive steps that waited for the API's loop to have room, and those that ran at maxWaitMs
      paced_steps: this.pacer.waited,
      forced_steps: this.pacer.forced,
      unconfirmed_txs: this.outbox.unconfirmed(),
      ...(this.remote ? { pinning_service: this.outbox.remotePins.counts() } : {}),
    };
  }
}
