/**
 * Config section `checkers` (issue 3). Plain data: base URLs, tokens, limits, timeouts. The
 * lead's schema composes this section; tokens here are secrets and are never logged.
 */

/** Requests per interval (sliding window, p-queue strict mode) and concurrent requests. */
export interface RateLimit {
  intervalCap: number;
  intervalMs: number;
  concurrency: number;
}

export interface PlatformCommon {
  enabled: boolean;
  limit: RateLimit;
  /** per-request timeout; 0 = use checkers.requestTimeoutMs */
  timeoutMs: number;
}

export interface CheckersConfig {
  /** run the background scheduler */
  enabled: boolean;
  /** POST /v1/proof fetches and checks the proof post before accepting a create link */
  verifyOnSubmit: boolean;
  /** re-check interval of every binding (default 72 h) */
  intervalSeconds: number;
  /** +- fraction of the interval added at random, so checks spread out */
  jitter: number;
  /** due bindings read from SQLite per platform per tick (memory bound) */
  batchSize: number;
  /** checks in flight (queued + running) per platform; the scheduler never holds more */
  maxInFlightPerPlatform: number;
  /** scheduler poll period */
  tickMs: number;
  /** a claimed check is retried after this long if the daemon dies mid-check */
  leaseSeconds: number;
  /** transient failures retry after base * 2^(n-1), capped, with jitter */
  backoffBaseSeconds: number;
  backoffMaxSeconds: number;
  /** this many consecutive transient failures mark the binding `stale` (is_valid unchanged) */
  staleAfterFailures: number;
  requestTimeoutMs: number;
  /** response bodies are cut off (and the check fails transiently) beyond this */
  maxBodyBytes: number;
  /** a Retry-After longer than this is clamped (a hostile server cannot park a queue) */
  maxRetryAfterSeconds: number;
  /** bearer token for the admin re-check routes; empty disables them */
  adminToken: string;
  platforms: {
    twitter: PlatformCommon & { baseUrl: string; bearerToken: string };
    github: PlatformCommon & { baseUrl: string; token: string };
    keybase: PlatformCommon & { urlTemplate: string };
    dns: PlatformCommon & { dohUrl: string };
    discord: PlatformCommon & { baseUrl: string; botToken: string };
    minds: PlatformCommon & { baseUrl: string };
    activitypub: PlatformCommon & {
      /** 'https' in production; tests use 'http' with a fake server */
      scheme: 'https' | 'http';
      /** 0 = the scheme's default port; tests set the fake server's port */
      port: number;
      /** tests only: allow hosts resolving to loopback (127.0.0.0/8, ::1) */
      allowLoopback: boolean;
    };
    ethereum: PlatformCommon;
    solana: PlatformCommon;
  };
}

const limit = (intervalCap: number, intervalMs: number, concurrency: number): RateLimit => ({ intervalCap, intervalMs, concurrency });

export const checkersDefaults: CheckersConfig = {
  enabled: true,
  verifyOnSubmit: true,
  intervalSeconds: 72 * 3600,
  jitter: 0.1,
  batchSize: 200,
  maxInFlightPerPlatform: 64,
  tickMs: 1000,
  leaseSeconds: 600,
  backoffBaseSeconds: 300,
  backoffMaxSeconds: 12 * 3600,
  staleAfterFailures: 8,
  requestTimeoutMs: 10_000,
  maxBodyBytes: 1 << 20,
  maxRetryAfterSeconds: 3600,
  adminToken: '',
  platforms: {
    // X API v2 GET /2/tweets/:id, app bearer token: 450 / 15 min on paid tiers; 1 per 3 s stays under it.
    twitter: { enabled: true, timeoutMs: 0, limit: limit(1, 3000, 2), baseUrl: 'https://api.twitter.com', bearerToken: '' },
    // REST API: 5000/h with a token, 60/h without (then set intervalMs to 60000).
    github: { enabled: true, timeoutMs: 0, limit: limit(1, 1000, 4), baseUrl: 'https://api.github.com', token: '' },
    keybase: { enabled: true, timeoutMs: 0, limit: limit(2, 1000, 2), urlTemplate: 'https://{identity}.keybase.pub/NextID/{avatar}.json' },
    dns: { enabled: true, timeoutMs: 0, limit: limit(10, 1000, 4), dohUrl: 'https://cloudflare-dns.com/dns-query' },
    // Discord: 50 req/s global per bot, smaller per-route buckets; 5/s is well inside.
    discord: { enabled: true, timeoutMs: 0, limit: limit(5, 1000, 4), baseUrl: 'https://discord.com/api/v10', botToken: '' },
    minds: { enabled: true, timeoutMs: 0, limit: limit(1, 1000, 2), baseUrl: 'https://www.minds.com' },
    // Mastodon's default is 300 requests / 5 min per client IP; one instance sees at most this.
    activitypub: { enabled: true, timeoutMs: 0, limit: limit(1, 1000, 4), scheme: 'https', port: 0, allowLoopback: false },
    ethereum: { enabled: true, timeoutMs: 0, limit: limit(50, 1000, 4) },
    solana: { enabled: true, timeoutMs: 0, limit: limit(50, 1000, 4) },
  },
};

export type CheckerPlatform = keyof CheckersConfig['platforms'];
export const CHECKER_PLATFORMS = Object.keys(checkersDefaults.platforms) as CheckerPlatform[];
