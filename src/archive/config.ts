/**
 * The `archive` config section. Retry and rate-limit policies are plain data so an operator can
 * tune them without code. Defaults give a clean clone an end-to-end archive: an embedded Helia
 * node listening on loopback and an in-process arlocal devnet.
 */

export interface RetryPolicy {
  /** delay before the first retry, ms */
  initialMs: number;
  /** upper bound of the delay, ms */
  maxMs: number;
  /** growth factor per failed attempt */
  multiplier: number;
  /** 0..1: the delay is scaled by a random factor in [1 - jitter, 1 + jitter] */
  jitter: number;
}

export interface IpfsConfig {
  /** pin chain documents on the embedded Helia node */
  enabled: boolean;
  /** Helia's level stores; '' = <dataDir>/ipfs */
  dir: string;
  /** libp2p listen multiaddrs (TCP + bitswap); [] = no listener (gateway only) */
  listen: string[];
  /** keep superseded chain versions pinned (history) or unpin them once the new one is pinned */
  keepHistory: boolean;
  /** serve GET /ipfs/:cid (trustless gateway: raw blocks and CAR) */
  gateway: boolean;
  kubo: {
    /** Kubo RPC API URL (e.g. http://127.0.0.1:5001); '' = no external pinning */
    url: string;
    /** per-request timeout, ms */
    timeoutMs: number;
  };
}

export interface DevnetConfig {
  /** port of the in-process arlocal devnet on 127.0.0.1; 0 = any free port */
  port: number;
  /** keep the devnet's chain (sqlite) under <dataDir>/arlocal across restarts; false = temp dir */
  persist: boolean;
  /** mine a block this often, ms */
  mineIntervalMs: number;
}

export interface ArweaveConfig {
  /** upload chain documents to Arweave */
  enabled: boolean;
  /** gateway URL (e.g. https://arweave.net); used only with walletFile */
  gatewayUrl: string;
  /** JWK wallet file; '' = embedded local devnet (arlocal) with a generated dev wallet */
  walletFile: string;
  /** confirmations before a tx counts as `confirmed` */
  confirmations: number;
  /** how often posted txs are checked for confirmations, ms */
  confirmPollMs: number;
  /** a posted tx the gateway no longer knows after this long is re-posted, ms */
  repostAfterMs: number;
  /** per-request timeout, ms */
  timeoutMs: number;
  devnet: DevnetConfig;
}

export interface ArchiveConfig {
  enabled: boolean;
  /** a burst of links on one Avatar within this window becomes one archived version, ms */
  coalesceMs: number;
  /** Avatars archived in parallel */
  concurrency: number;
  /** at most `perInterval` archive runs start per `intervalMs` */
  rateLimit: { intervalMs: number; perInterval: number };
  /** how often the outbox is polled for due jobs, ms */
  pollMs: number;
  retry: RetryPolicy;
  ipfs: IpfsConfig;
  arweave: ArweaveConfig;
}

export const ARCHIVE_DEFAULTS: ArchiveConfig = {
  enabled: true,
  coalesceMs: 2000,
  concurrency: 2,
  rateLimit: { intervalMs: 1000, perInterval: 20 },
  pollMs: 250,
  retry: { initialMs: 1000, maxMs: 300_000, multiplier: 2, jitter: 0.2 },
  ipfs: {
    enabled: true,
    dir: '',
    listen: ['/ip4/127.0.0.1/tcp/0'],
    keepHistory: true,
    gateway: true,
    kubo: { url: '', timeoutMs: 30_000 },
  },
  arweave: {
    enabled: true,
    gatewayUrl: 'https://arweave.net',
    walletFile: '',
    confirmations: 1,
    confirmPollMs: 5000,
    repostAfterMs: 30 * 60_000,
    timeoutMs: 30_000,
    devnet: { port: 0, persist: true, mineIntervalMs: 2000 },
  },
};

/** Deep-merge a partial section over the defaults (tests and the standalone wiring use it). */
export function archiveConfig(partial: DeepPartial<ArchiveConfig> = {}): ArchiveConfig {
  return merge(ARCHIVE_DEFAULTS, partial) as ArchiveConfig;
}

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K] };

function merge(base: unknown, over: unknown): unknown {
  if (over === undefined) return structuredClone(base);
  if (base === null || typeof base !== 'object' || Array.isArray(base) || typeof over !== 'object' || over === null) {
    return structuredClone(over);
  }
  const out: Record<string, unknown> = {};
  for (const k of new Set([...Object.keys(base), ...Object.keys(over)])) {
    out[k] = merge((base as Record<string, unknown>)[k], (over as Record<string, unknown>)[k]);
  }
  return out;
}
