/**
 * Config section `checkers` (issue 3). Plain data: base URLs, tokens, limits, timeouts. The
 * lead's schema composes this section; tokens here are secrets and are never logged.
 */
import { bool, int, num, oneOf, str, type Section } from '../config/fields.js';

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
  /** POST /v1/proof waits at most this long for the proof check (503 UNAVAILABLE after) */
  submitTimeoutMs: number;
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
  submitTimeoutMs: 20_000,
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

// ---- the config schema section (composed by src/config/schema.ts) ----

function platformSection(name: string, d: PlatformCommon, extra: Section): Section {
  return {
    enabled: bool(d.enabled, `Check ${name} bindings.`),
    timeoutMs: int(d.timeoutMs, `Per-request timeout for ${name} in ms; 0 = checkers.requestTimeoutMs.`, 0),
    limit: {
      intervalCap: int(d.limit.intervalCap, `Most ${name} requests per intervalMs (as the platform counts them).`, 1),
      intervalMs: int(d.limit.intervalMs, `Length of the ${name} rate window in ms.`, 1),
      concurrency: int(d.limit.concurrency, `Most ${name} requests at once.`, 1, 256),
    },
    ...extra,
  };
}

const D = checkersDefaults;
const P = D.platforms;
export const checkersSection: Section = {
  enabled: bool(D.enabled, 'Run the background re-check scheduler.'),
  verifyOnSubmit: bool(D.verifyOnSubmit, 'POST /v1/proof fetches and checks the proof post before accepting a create link (400 PROOF_CHECK_FAILED when it fails).'),
  intervalSeconds: int(D.intervalSeconds, 'Re-check interval of every binding (72 h).', 60),
  jitter: num(D.jitter, 'Random +- fraction of the interval, so checks spread out.', 0, 0.5),
  batchSize: int(D.batchSize, 'Due bindings read from SQLite per platform per tick.', 1, 10000),
  maxInFlightPerPlatform: int(D.maxInFlightPerPlatform, 'Checks queued or running per platform at once (memory bound).', 1, 10000),
  tickMs: int(D.tickMs, 'Scheduler poll period in ms.', 10),
  leaseSeconds: int(D.leaseSeconds, 'A check interrupted by a crash is retried after this long.', 10),
  backoffBaseSeconds: int(D.backoffBaseSeconds, 'First retry delay after a transient failure; doubles per failure.', 1),
  backoffMaxSeconds: int(D.backoffMaxSeconds, 'Longest retry delay after transient failures.', 1),
  staleAfterFailures: int(D.staleAfterFailures, 'Consecutive transient failures that mark a valid binding stale (is_valid unchanged).', 1),
  requestTimeoutMs: int(D.requestTimeoutMs, 'Default per-request timeout in ms.', 100),
  maxBodyBytes: int(D.maxBodyBytes, 'Largest platform response read, in bytes.', 1024),
  maxRetryAfterSeconds: int(D.maxRetryAfterSeconds, 'Longest Retry-After honoured (longer ones are clamped).', 1),
  submitTimeoutMs: int(D.submitTimeoutMs, 'How long POST /v1/proof waits for its proof check (503 UNAVAILABLE after).', 100),
  platforms: {
    twitter: platformSection('twitter', P.twitter, {
      baseUrl: str(P.twitter.baseUrl, 'X/Twitter API base URL (GET /2/tweets/:id).'),
      bearerToken: str('', 'X API app bearer token; empty = twitter bindings are not checked.', { secret: true }),
    }),
    github: platformSection('github', P.github, {
      baseUrl: str(P.github.baseUrl, 'GitHub REST API base URL (GET /gists/:id).'),
      token: str('', 'GitHub token (optional; without it GitHub allows 60 requests/hour).', { secret: true }),
    }),
    keybase: platformSection('keybase', P.keybase, {
      urlTemplate: str(P.keybase.urlTemplate, 'Proof file URL; {identity} and {avatar} are filled in.'),
    }),
    dns: platformSection('dns', P.dns, { dohUrl: str(P.dns.dohUrl, 'DNS-over-HTTPS JSON endpoint (?name=&type=TXT).') }),
    discord: platformSection('discord', P.discord, {
      baseUrl: str(P.discord.baseUrl, 'Discord API base URL.'),
      botToken: str('', 'Discord bot token (the bot must read the proof channels); empty = not checked.', { secret: true }),
    }),
    minds: platformSection('minds', P.minds, { baseUrl: str(P.minds.baseUrl, 'Minds base URL.') }),
    activitypub: platformSection('activitypub', P.activitypub, {
      scheme: oneOf(['https', 'http'], P.activitypub.scheme, 'Scheme for ActivityPub servers (http only for tests).'),
      port: int(P.activitypub.port, 'Port for ActivityPub servers; 0 = the scheme default (tests only).', 0, 65535),
      allowLoopback: bool(P.activitypub.allowLoopback, 'Allow ActivityPub hosts that resolve to loopback (tests only; private and link-local are always refused).'),
    }),
    ethereum: platformSection('ethereum', P.ethereum, {}),
    solana: platformSection('solana', P.solana, {}),
  },
};
