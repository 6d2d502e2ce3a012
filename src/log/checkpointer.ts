/**
 * Signs checkpoints of the log's tree: at most one per interval while the log grows, one at
 * start when there is none, and a last one at shutdown. Before signing, the new tree is proven
 * consistent with the last signed checkpoint from the stored hashes, and a failure refuses to
 * sign (the log never signs two checkpoints that are inconsistent with each other).
 *
 * Only the sequencer signs (./sequencer.ts): with several daemons on one PostgreSQL database the
 * others try to take the role each interval, and read the latest checkpoint from the database
 * (which the sequencer's process may have signed), never from memory.
 */
import type { Logger } from 'pino';
import { signCheckpoint, toBase64, verifyConsistency, type Ed25519NoteKey } from '../core/tlog/index.js';
import { nodeHash, type LogTree } from './tree.js';
import { sequencerLock, type Sequencer } from './sequencer.js';

export interface SignedCheckpoint {
  size: number;
  root: Uint8Array;
  note: string;
  signedAt: number;
}

export class Checkpointer {
  private timer: NodeJS.Timeout | null = null;
  private latest: SignedCheckpoint | null = null;
  private lastError: string | null = null;
  /** called with each newly signed checkpoint (and the current one at start): witness submission */
  onSigned: ((c: SignedCheckpoint) => void) | null = null;

  constructor(
    private readonly tree: LogTree,
    private readonly key: Ed25519NoteKey,
    private readonly origin: string,
    private readonly intervalMs: number,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
    readonly sequencer: Sequencer = sequencerLock(tree.db),
  ) {
    this.shared = tree.db.dialect === 'postgres';
    this.reload();
  }

  /** Another process may sign (PostgreSQL): the stored checkpoints are the truth. */
  private readonly shared: boolean;

  private reload(): void {
    const row = this.tree.latestCheckpoint();
    if (row) this.latest = { size: row.size, root: new Uint8Array(row.root), note: row.note, signedAt: row.signed_at };
  }

  current(): SignedCheckpoint | null {
    if (this.shared) this.reload();
    return this.latest;
  }

  health(): { size: number; signed_at: number; error?: string } | null {
    if (!this.latest) return null;
    return { size: this.latest.size, signed_at: Math.floor(this.latest.signedAt / 1000), ...(this.lastError ? { error: this.lastError } : {}) };
  }

  start(): void {
    const before = this.latest;
    if (!this.latest) this.sign();
    if (before) this.onSigned?.(before);
    this.timer = setInterval(() => this.sign(), this.intervalMs);
    this.timer.unref();
  }

  /** Stop the timer and sign what the log holds now (the sequencer only). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.sequencer.held) this.sign();
  }

  /** Sign a checkpoint of the current tree if it grew (the sequencer only). Returns the latest checkpoint. */
  sign(): SignedCheckpoint | null {
    try {
      if (!this.sequencer.holds()) {
        if (this.shared) this.reload();
        return this.latest;
      }
      // The previous sequencer may have signed since this process last looked.
      if (this.shared) this.reload();
      this.tree.catchUp();
      const size = this.tree.size();
      const prev = this.latest;
      if (prev && size <= prev.size) return prev;
      const root = this.tree.root(size);
      if (prev && !verifyConsistency(prev.size, size, prev.root, root, this.tree.consistency(prev.size, size), nodeHash)) {
        throw new Error(`tree of size ${size} is not consistent with checkpoint ${prev.size}; refusing to sign`);
      }
      const note = signCheckpoint({ origin: this.origin, size, root, extensions: [] }, [this.key]);
      const signedAt = this.now();
      this.tree.saveCheckpoint(size, root, note, signedAt);
      this.latest = { size, root, note, signedAt };
      this.lastError = null;
      this.onSigned?.(this.latest);
      this.log.debug({ size, root: toBase64(root) }, 'checkpoint signed');
    } catch (err) {
      this.lastError = err instanceof Error ? err.message : String(err);
      this.log.error({ err }, 'checkpoint signing failed');
    }
    return this.latest;
  }
}
