/**
 * Follows the upstream's verifiable log next to its feed: fetches its signed /checkpoint,
 * rebuilds the tree from the entry bundles (/tile/entries/...) beyond what it already holds,
 * compares the root with the checkpoint, checks consistency with the last cosigned
 * checkpoint (the upstream's /v1/log/consistency proof) and cosigns. Any signed evidence of a
 * forked or rewritten log raises the alarm (Witness.alarm), which stops this loop and the feed.
 * Upstream bytes are attacker-controlled: sizes are bounded by the signed checkpoint.
 */
import type { Logger } from 'pino';
import { fetchBytes, fetchJson, joinUrl, type FetchPolicy } from '../audit/http.js';
import { isRecord } from '../core/index.js';
import {
  decodeBundle, equalBytes, fromBase64, leafHash, MemoryTree, textDecoder, tilePath, tileWidth, TILE_WIDTH, type Hash,
} from '../core/tlog/index.js';
import { retryDelayMs, type RetryPolicy } from '../util/retry.js';
import { sleep } from '../util/sleep.js';
import type { WitnessState } from './witness-state.js';
import { LeaseLostError } from '../store/lease.js';
import type { Witness } from './witness.js';

export interface LogFollowerStatus {
  /** this daemon rebuilds the upstream's log (false: another on the database does) */
  following: boolean;
  lastCheckAt: number | null;
  lastError: string | null;
  failures: number;
  rebuiltSize: number;
  upstreamSize: number | null;
}

export class LogFollower {
  readonly status: LogFollowerStatus = { following: false, lastCheckAt: null, lastError: null, failures: 0, rebuiltSize: 0, upstreamSize: null };
  private tree = new MemoryTree();
  private controller: AbortController | null = null;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly upstream: string,
    private readonly witness: Witness,
    private readonly state: WitnessState,
    private readonly policy: FetchPolicy,
    private readonly retries: RetryPolicy,
    private readonly pollMs: number,
    private readonly log: Logger,
  ) {
    this.reload();
  }

  /** (Re)build the in-memory tree from the stored leaves (after start or an operator reset). */
  reload(): void {
    this.tree = new MemoryTree();
    for (const h of this.state.leafHashes()) this.tree.appendLeaf(h);
    this.status.rebuiltSize = this.tree.size;
  }

  start(): void {
    if (this.loop) return;
    this.controller = new AbortController();
    const signal = this.controller.signal;
    this.loop = (async () => {
      while (!signal.aborted && !this.state.active()) {
        let wait = this.pollMs;
        try {
          // One rebuilder of the upstream's log among the daemons on the database (./lease.ts).
          // The tree in memory is only this daemon's copy of mirror_leaves: after the log was
          // someone else's it is reloaded from the table before it is extended.
          const claim = this.state.claim();
          if (claim === false) {
            this.status.following = false;
          } else {
            if (claim === 'taken') this.reload();
            this.status.following = true;
            await this.checkOnce(signal);
            this.status.failures = 0;
            this.status.lastError = null;
          }
        } catch (err) {
          if (signal.aborted) break;
          if (err instanceof LeaseLostError) {
            this.status.following = false;
          } else {
            this.status.failures++;
            this.status.lastError = (err as Error).message;
            wait = retryDelayMs(this.retries, this.status.failures);
            this.log.warn({ err: (err as Error).message, retryInMs: wait }, 'mirror: upstream log check failed');
          }
        }
        if (this.state.active()) break;
        await sleep(wait, signal);
      }
      this.state.release();
      this.status.following = false;
    })();
  }

  async stop(): Promise<void> {
    this.controller?.abort();
    await this.loop;
    this.loop = null;
  }

  /** One round: fetch the checkpoint, extend the rebuilt tree, compare, check consistency, cosign. */
  async checkOnce(signal: AbortSignal): Promise<void> {
    const res = await fetchBytes(joinUrl(this.upstream, 'checkpoint'), { ...this.policy, maxBodyBytes: 64 * 1024 }, { signal });
    if (res.status !== 200) throw new Error(`upstream /checkpoint answered ${res.status}`);
    const note = textDecoder.decode(res.body);
    const cp = this.witness.open(note); // an unsigned or foreign checkpoint is no evidence: just a failure
    this.status.upstreamSize = cp.size;
    await this.extend(cp.size, signal);
    const prev = this.witness.latest();
    this.status.lastCheckAt = Date.now();
    if (this.tree.size < cp.size) throw new Error(`upstream serves ${this.tree.size} of the checkpoint's ${cp.size} entries`);
    if (!equalBytes(this.tree.root(cp.size), cp.root)) {
      const kind = prev && prev.size === cp.size ? 'fork' : 'root_mismatch';
      this.witness.alarm(kind, `the checkpoint of size ${cp.size} does not match the root of the entries the upstream served`, prev?.note ?? null, note);
      return;
    }
    if (prev && cp.size === prev.size && equalBytes(cp.root, new Uint8Array(prev.root))) return;
    if (prev && cp.size < prev.size) return; // an older, matching checkpoint: stale, not inconsistent
    const proof = prev && prev.size > 0 ? await this.consistency(prev.size, cp.size, signal) : [];
    const r = this.witness.add(prev?.size ?? 0, proof, note);
    if (r.status === 422) {
      this.witness.alarm('inconsistent', `${r.message} (proof served by the upstream)`, prev?.note ?? null, note);
    } else if (r.status !== 200 && r.status !== 409) {
      throw new Error(`cosigning failed: ${r.message}`);
    }
  }

  /** Fetch entry bundles from the rebuilt size up to `size` and append their leaf hashes (durably). */
  private async extend(size: number, signal: AbortSignal): Promise<void> {
    while (this.tree.size < size) {
      const from = this.tree.size;
      const n = Math.floor(from / TILE_WIDTH);
      const width = tileWidth(0, n, size);
      const res = await fetchBytes(joinUrl(this.upstream, tilePath({ level: -1, index: n, width })), this.policy, { signal });
      if (res.status !== 200) throw new Error(`upstream entry bundle ${n} answered ${res.status}`);
      const entries = decodeBundle(res.body);
      if (!entries || entries.length !== width) throw new Error(`upstream entry bundle ${n} is malformed`);
      const hashes = entries.slice(from - n * TILE_WIDTH).map(leafHash);
      this.state.addLeaves(from, hashes);
      for (const h of hashes) this.tree.appendLeaf(h);
      this.status.rebuiltSize = this.tree.size;
    }
  }

  private async consistency(from: number, to: number, signal: AbortSignal): Promise<Hash[]> {
    const r = await fetchJson(joinUrl(this.upstream, `v1/log/consistency?from=${from}&to=${to}`), { ...this.policy, maxBodyBytes: 64 * 1024 }, { signal });
    const proof = isRecord(r.json) && Array.isArray(r.json['proof']) ? r.json['proof'] : null;
    if (r.status !== 200 || !proof || proof.length > 64) throw new Error('upstream gave no consistency proof');
    return proof.map((h) => {
      const b = typeof h === 'string' ? fromBase64(h) : null;
      if (!b || b.length !== 32) throw new Error('malformed consistency proof from upstream');
      return b;
    });
  }
}
