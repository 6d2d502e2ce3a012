/**
 * The `archive` config section. Retry and rate-limit policies are plain data so an operator can
 * tune them without code. Defaults give a clean clone an end-to-end archive: an embedded Helia
 * node listening on loopback and a local arlocal devnet (in a child process).
 */
import { bool, defaultsOf, int, list, num, section, str, type ConfigOf } from '../config/fields.js';
import type { RetryPolicy } from '../util/retry.js';

export const archiveSection = section({
  enabled: bool(true, 'Archive every chain version to IPFS and Arweave (an outbox drained by a background worker).'),
  coalesceMs: int(2000, 'A burst of links on one Avatar within this many ms becomes one archived version (the newest is always archived).', 0),
  concurrency: int(2, 'Avatars archived in parallel.', 1, 64),
  rateLimit: section({
    intervalMs: int(1000, 'Rate-limit window for starting archive runs, ms.', 1),
    perInterval: int(20, 'Most archive runs started per window.', 1),
  }),
  pollMs: int(250, 'How often the outbox is polled for due jobs, ms.', 10),
  leaseMs: int(60_000, 'PostgreSQL with several daemons: an Avatar being archived is leased to one daemon, renewed while its run goes on; a daemon that died is replaced after this long, ms.', 100),
  pacing: section({
    maxLoopUtilization: num(0.5, 'Event-loop utilisation (0..1) above which archive steps wait for the API to leave room.', 0, 1),
    windowMs: int(50, 'Window over which the event-loop utilisation is measured, ms.', 5, 10_000),
    maxWaitMs: int(1000, 'Longest an archive step waits for room before it runs anyway (the archive always drains), ms.', 0, 600_000),
  }),
  retry: section({
    initialMs: int(1000, 'Delay before the first retry of a failed archive run, ms.', 1),
    maxMs: int(300_000, 'Largest retry delay, ms (retries never stop: a job is never dropped).', 1),
    multiplier: num(2, 'Growth of the retry delay per failed attempt.', 1, 100),
    jitter: num(0.2, 'Random spread of each delay: scaled by [1-jitter, 1+jitter].', 0, 1),
  }),
  ipfs: section({
    enabled: bool(true, 'Pin chain documents on the embedded Helia node.'),
    dir: str('', 'Directory of the Helia level stores; empty = <dataDir>/ipfs.'),
    listen: list(['/ip4/127.0.0.1/tcp/0'], 'libp2p listen multiaddrs (TCP + bitswap) other IPFS nodes fetch pinned documents from; [] = none. Production: e.g. /ip4/0.0.0.0/tcp/4001.'),
    keepHistory: bool(true, 'Keep superseded chain versions pinned; false unpins each once its successor is pinned.'),
    gateway: bool(true, 'Serve pinned documents at GET /ipfs/:cid (trustless gateway: raw block or CAR).'),
    kubo: section({
      url: str('', 'Kubo RPC API URL (e.g. http://127.0.0.1:5001) to pin on as well; empty = none.'),
      timeoutMs: int(30_000, 'Kubo request timeout, ms.', 100),
    }),
  }),
  pinningService: section({
    url: str('', 'IPFS Pinning Service API endpoint (IPFS Cluster\'s pinsvc API, a hosted pinning service; e.g. https://pins.example.net/psa) every version is also pinned on; empty = none. Point every daemon of a deployment at the same one.'),
    token: str('', 'Bearer token for the pinning service (also PROOFKEEP_PINNING_SERVICE_TOKEN); empty = tokenFile, or no Authorization header when that is empty too.', { secret: true }),
    tokenFile: str('', 'File holding the pinning service token (mode 600; refused when other users can read it). Alternative to token.'),
    timeoutMs: int(30_000, 'Pinning service request timeout, ms.', 100),
    pollMs: int(5_000, 'How often queued and pinning requests are checked until pinned or failed, ms.', 10),
  }),
  arweave: section({
    enabled: bool(true, 'Upload chain documents to Arweave.'),
    gatewayUrl: str('https://arweave.net', 'Arweave gateway URL; used only when walletFile is set.'),
    walletFile: str('', 'JWK wallet file (mode 600; refused when other users can read it). Empty = embedded local devnet (arlocal) with a generated dev wallet.'),
    confirmations: int(1, 'Confirmations after which a posted tx counts as confirmed.', 0, 1000),
    confirmPollMs: int(5000, 'How often posted transactions are checked for confirmations, ms.', 100),
    repostAfterMs: int(30 * 60_000, 'A posted tx the gateway still does not know after this many ms is re-posted.', 1000),
    timeoutMs: int(30_000, 'Arweave request timeout, ms.', 100),
    devnet: section({
      port: int(0, 'Port of the embedded devnet on 127.0.0.1; 0 = any free port.', 0, 65535),
      persist: bool(true, 'Keep the devnet chain and dev wallet under <dataDir>/arlocal across restarts; false = a temp dir removed on stop.'),
      mineIntervalMs: int(2000, 'Mine a devnet block this often, ms; 0 = never (tests mine by hand).', 0),
    }),
  }),
});

export type ArchiveConfig = ConfigOf<typeof archiveSection>;
export type ArchiveRetryConfig = ArchiveConfig['retry'];
export type IpfsConfig = ArchiveConfig['ipfs'];
export type ArweaveConfig = ArchiveConfig['arweave'];
export type PinningServiceConfig = ArchiveConfig['pinningService'];
export type DevnetConfig = ArweaveConfig['devnet'];

/** The archive worker's retries as the one policy: forever (a job is never dropped), jittered, capped. */
export function archiveRetryPolicy(r: ArchiveRetryConfig): RetryPolicy {
  return { attempts: Infinity, baseMs: r.initialMs, capMs: r.maxMs, factor: r.multiplier, jitter: r.jitter };
}

export const ARCHIVE_DEFAULTS: ArchiveConfig = defaultsOf(archiveSection);

/** Deep-merge a partial section over the defaults (tests and the standalone wiring use it). */
export function archiveConfig(partial: DeepPartial<ArchiveConfig> = {}): ArchiveConfig {
  return merge(ARCHIVE_DEFAULTS, partial) as ArchiveConfig;
}

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K] };

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
