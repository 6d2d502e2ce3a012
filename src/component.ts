/**
 * The component contract: what a part of the daemon contributes, and nothing it may take.
 *
 * A component is made by a factory from the narrow dependencies it names (its config section,
 * a logger, the store's reader, the shared database connection for its own tables…), and
 * returns a `Component` value that says everything it adds:
 *
 *   - `start` / `stop`: background work; started in dependency order (`after`), stopped in
 *     reverse, after the API has stopped accepting requests;
 *   - `onAppend`: a hook run inside every append transaction (its owner's tables only), so
 *     a 201 implies what the hook wrote is durable too; `onKvAppend` the same for KV writes;
 *   - `api`: capabilities the API uses (read-only mode, the submit-time check, archive tx ids,
 *     read hints); each one may come from one component only;
 *   - `health`: its /healthz section, under its name;
 *   - `metrics`: the collectors it registers on the daemon's Prometheus registry;
 *   - `routes`: the HTTP routes it adds before the API listens.
 *
 * The daemon (src/daemon.ts) is the one place that composes contributions; nothing mutates a
 * shared object after construction. This module imports no part of the project but types of
 * the core, the store and the KV store, so every part can import it without a cycle.
 */
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { AvatarKey, Link } from './core/index.js';
import type { KvAppendHook } from './kv/kv-store.js';
import type { AppendHook, ChangeHook } from './store/index.js';

export interface SubmitCheckResult {
  /** 'unchecked': no checker can run for this platform (e.g. no token); accepted unchecked */
  status: 'valid' | 'unchecked';
  alt_id?: string;
  evidence?: unknown;
}

export interface ArchiveInfo {
  lastTxId(avatarId: number): string;
  txIdForLink(avatarId: number, seq: number): string;
}

/** What components may provide to the API (each key from at most one component). */
export interface ApiCapabilities {
  /** a mirror refuses writes with READ_ONLY */
  readOnly?: boolean;
  /** fetch and check the proof post before accepting (checkers.verifyOnSubmit); `link` is verified already (its own signature) */
  submitCheck?: (args: { avatar: AvatarKey; link: Link; signal: AbortSignal }) => Promise<SubmitCheckResult>;
  /**
   * POST /v1/proof without extra.signature: fetch the proof post, return the signature in it
   * (verified over the link's payload) with the check's outcome; SIGNATURE_REQUIRED when no
   * checker can. Absent: every such submission is SIGNATURE_REQUIRED.
   */
  signatureFromPost?: (args: { avatar: AvatarKey; link: Link; signal: AbortSignal }) => Promise<SubmitCheckResult & { signature: string }>;
  /**
   * Bindings just served by GET /v1/proof: a hint, kept in memory by its receiver (never a
   * write on the read path). Must be cheap and must not throw.
   */
  proofsRead?: (bindingIds: readonly number[]) => void;
  /** Arweave tx ids of archived chain versions */
  archiveInfo?: ArchiveInfo;
  /** the verifiable log: the feed in log order, and a link's log index (its receipt) */
  tlog?: LogCapability;
}

export interface LogCapability {
  /** log entries after feed id `lastId` (feed id = log index + 1) */
  feed(lastId: number, count: number): Array<{ id: number; kind: string; refId: number | null; entry: Uint8Array }>;
  receiptIndex(linkId: number): number | undefined;
}

export interface Component {
  readonly name: string;
  /** names of components that must start before this one (and stop after it) */
  readonly after?: readonly string[];
  start?(): Promise<void>;
  stop?(): Promise<void>;
  /** runs inside every append transaction; throwing rolls that link back */
  readonly onAppend?: AppendHook;
  /** runs inside every KV write's transaction (the KVService's chain); throwing rolls that write back */
  readonly onKvAppend?: KvAppendHook;
  /** runs inside the transaction of every other accepted change (validity, subkey, KV); throwing rolls it back */
  readonly onChange?: ChangeHook;
  readonly api?: ApiCapabilities;
  health?(): Record<string, unknown>;
  /** register this component's collectors (called once, before start) */
  metrics?(registry: Registry): void;
  routes?(app: FastifyInstance): void | Promise<void>;
}
