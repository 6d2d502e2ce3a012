/**
 * Config section `checkers`, composed into the full schema by src/config/schema.ts. Plain data:
 * base URLs, tokens, limits, timeouts; the types and `checkersDefaults` are derived from this
 * schema (how to add a key: src/config/fields.ts). Tokens here are secrets and are never logged.
 */
import type { TProperties } from '@sinclair/typebox';
import { bool, defaultsOf, int, num, oneOf, section, str, type ConfigOf } from '../config/fields.js';

/** Requests per interval (sliding window, p-queue strict mode) and concurrent requests. */
const limitSection = (name: string, intervalCap: number, intervalMs: number, concurrency: number) =>
  section({
    intervalCap: int(intervalCap, `Most ${name} requests per intervalMs (as the platform counts them).`, 1),
    intervalMs: int(intervalMs, `Length of the ${name} rate window in ms.`, 1),
    concurrency: int(concurrency, `Most ${name} requests at once.`, 1, 256),
  });

/** What every platform has: on/off, a timeout and a rate limit; `extra` adds its own keys. */
function platformSection<E extends TProperties>(name: string, limit: [intervalCap: number, intervalMs: number, concurrency: number], extra: E) {
  return section({
    enabled: bool(true, `Check ${name} bindings.`),
    timeoutMs: int(0, `Per-request timeout for ${name} in ms; 0 = checkers.requestTimeoutMs.`, 0),
    limit: limitSection(name, ...limit),
    ...extra,
  });
}

export const checkersSection = section({
  enabled: bool(true, 'Run the background re-check scheduler.'),
  verifyOnSubmit: bool(true, 'POST /v1/proof fetches and checks the proof post before accepting a create link (400 PROOF_CHECK_FAILED when it fails).'),
  intervalSeconds: int(72 * 3600, 'Re-check interval of every binding (72 h).', 60),
  jitter: num(0.1, 'Random +- fraction of the interval, so checks spread out.', 0, 0.5),
  batchSize: int(200, 'Due bindings read from SQLite per platform per tick.', 1, 10000),
  maxInFlightPerPlatform: int(64, 'Checks queued or running per platform at once (memory bound).', 1, 10000),
  tickMs: int(1000, 'Scheduler poll period in ms.', 10),
  maxLoopUtilization: num(0.5, 'Event-loop utilisation (0..1) above which the background re-checks run one at a time per platform, so reads keep their latency (submit checks are not slowed).', 0, 1),
  leaseSeconds: int(600, 'A check interrupted by a crash is retried after this long.', 10),
  backoffBaseSeconds: int(300, 'First retry delay after a transient failure; doubles per failure.', 1),
  backoffMaxSeconds: int(12 * 3600, 'Longest retry delay after transient failures.', 1),
  staleAfterFailures: int(8, 'Consecutive transient failures that mark a valid binding stale (is_valid unchanged).', 1),
  requestTimeoutMs: int(10_000, 'Default per-request timeout in ms.', 100),
  maxBodyBytes: int(1 << 20, 'Largest platform response read, in bytes.', 1024),
  maxRetryAfterSeconds: int(3600, 'Longest Retry-After honoured (longer ones are clamped).', 1),
  submitTimeoutMs: int(20_000, 'How long POST /v1/proof waits for its proof check (503 UNAVAILABLE after).', 100),
  platforms: section({
    // X API v2 GET /2/tweets/:id, app bearer token: 450 / 15 min on paid tiers; 1 per 3 s stays under it.
    twitter: platformSection('twitter', [1, 3000, 2], {
      baseUrl: str('https://api.twitter.com', 'X/Twitter API base URL (GET /2/tweets/:id).'),
      bearerToken: str('', 'X API app bearer token; empty = twitter bindings are not checked.', { secret: true }),
    }),
    // REST API: 5000/h with a token, 60/h without (then set intervalMs to 60000).
    github: platformSection('github', [1, 1000, 4], {
      baseUrl: str('https://api.github.com', 'GitHub REST API base URL (GET /gists/:id).'),
      token: str('', 'GitHub token (optional; without it GitHub allows 60 requests/hour).', { secret: true }),
    }),
    keybase: platformSection('keybase', [2, 1000, 2], {
      urlTemplate: str('https://{identity}.keybase.pub/NextID/{avatar}.json', 'Proof file URL; {identity} and {avatar} are filled in.'),
    }),
    dns: platformSection('dns', [10, 1000, 4], { dohUrl: str('https://cloudflare-dns.com/dns-query', 'DNS-over-HTTPS JSON endpoint (?name=&type=TXT).') }),
    // Discord: 50 req/s global per bot, smaller per-route buckets; 5/s is well inside.
    discord: platformSection('discord', [5, 1000, 4], {
      baseUrl: str('https://discord.com/api/v10', 'Discord API base URL.'),
      botToken: str('', 'Discord bot token (the bot must read the proof channels); empty = not checked.', { secret: true }),
    }),
    minds: platformSection('minds', [1, 1000, 2], { baseUrl: str('https://www.minds.com', 'Minds base URL.') }),
    // Mastodon's default is 300 requests / 5 min per client IP; one instance sees at most this.
    activitypub: platformSection('activitypub', [1, 1000, 4], {
      // 'https' in production; tests use 'http' with a fake server on loopback
      scheme: oneOf(['https', 'http'], 'https', 'Scheme for ActivityPub servers (http only for tests).'),
      port: int(0, 'Port for ActivityPub servers; 0 = the scheme default (tests only).', 0, 65535),
      allowLoopback: bool(false, 'Allow ActivityPub hosts that resolve to loopback (tests only; private and link-local are always refused).'),
    }),
    ethereum: platformSection('ethereum', [50, 1000, 4], {}),
    solana: platformSection('solana', [50, 1000, 4], {}),
  }),
});

export type CheckersConfig = ConfigOf<typeof checkersSection>;
export type RateLimit = CheckersConfig['platforms']['twitter']['limit'];
/** What every platform's section has (the wallet checkers need no more). */
export type PlatformCommon = Pick<CheckersConfig['platforms']['ethereum'], 'enabled' | 'timeoutMs' | 'limit'>;

export const checkersDefaults: CheckersConfig = defaultsOf(checkersSection);

export type CheckerPlatform = keyof CheckersConfig['platforms'];
export const CHECKER_PLATFORMS = Object.keys(checkersDefaults.platforms) as CheckerPlatform[];
