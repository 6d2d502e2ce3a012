/**
 * Fetching from remotes the auditor does not trust (gateways, ProofServices): timeouts, a body
 * size cap (src/util/body.ts), and retries through the one retry policy (src/util/retry.ts) for
 * transient failures only (network errors, 429, 5xx), honouring Retry-After. Everything takes
 * an AbortSignal. Every byte and header here is attacker-controlled.
 */
import { ProofError } from '../core/index.js';
import { BodyTooLarge, readCapped } from '../util/body.js';
import { parseRetryAfter, retry, type RetryPolicy } from '../util/retry.js';
import type { Sleep } from '../util/sleep.js';

export interface FetchPolicy {
  readonly timeoutMs: number;
  /** retries after the first attempt (0 = one attempt: the mirror retries in its own loop) */
  readonly retries: number;
  /** first retry delay, doubling per retry */
  readonly retryBaseMs: number;
  readonly maxBodyBytes: number;
}

/** Longest Retry-After a remote can make the auditor wait per retry (a hostile one cannot park it). */
export const MAX_RETRY_AFTER_MS = 60_000;

export interface FetchInit {
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** the waits between retries (tests inject one that does not sleep) */
  sleep?: Sleep;
}

export interface FetchResult {
  status: number;
  headers: Headers;
  body: Uint8Array;
}

/** A failure worth retrying (network error, 429, 5xx); carries the remote's Retry-After, if any. */
export class TransientFetchError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'TransientFetchError';
  }
}

/** The fetch policy as the one retry policy: only transient failures, no jitter, Retry-After honoured. */
export function fetchRetryPolicy(p: FetchPolicy): RetryPolicy {
  const retryable = (err: unknown) => !(err instanceof ProofError);
  return { attempts: p.retries + 1, baseMs: p.retryBaseMs, capMs: p.retryBaseMs * 2 ** Math.min(p.retries, 30), factor: 2, jitter: 0, retryable, maxRetryAfterMs: MAX_RETRY_AFTER_MS };
}

async function body(res: Response, max: number): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readCapped(res.body as AsyncIterable<Uint8Array> | null, max, res.headers.get('content-length')));
  } catch (err) {
    if (err instanceof BodyTooLarge) throw new ProofError('PAYLOAD_TOO_LARGE', err.message, { cause: err });
    throw err;
  }
}

/**
 * GET with retries. Resolves for 2xx and for 404 (callers decide what "not found" means);
 * throws ProofError('UNAVAILABLE') when retries are exhausted or for other 4xx.
 */
export async function fetchBytes(url: string, policy: FetchPolicy, init: FetchInit = {}): Promise<FetchResult> {
  const once = async (): Promise<FetchResult> => {
    const signals = [AbortSignal.timeout(policy.timeoutMs)];
    if (init.signal) signals.push(init.signal);
    const res = await fetch(url, { headers: init.headers ?? {}, signal: AbortSignal.any(signals), redirect: 'follow' });
    if (res.status === 429 || res.status >= 500) {
      await res.body?.cancel().catch(() => undefined);
      throw new TransientFetchError(`HTTP ${res.status}`, parseRetryAfter(res.headers.get('retry-after')));
    }
    if (res.status !== 404 && (res.status < 200 || res.status >= 300)) {
      await res.body?.cancel().catch(() => undefined);
      throw new ProofError('UNAVAILABLE', `GET ${url}: HTTP ${res.status}`);
    }
    return { status: res.status, headers: res.headers, body: await body(res, policy.maxBodyBytes) };
  };
  try {
    return await retry(once, fetchRetryPolicy(policy), { signal: init.signal, ...(init.sleep ? { sleep: init.sleep } : {}) });
  } catch (err) {
    if (init.signal?.aborted || err instanceof ProofError) throw err;
    const why = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    throw new ProofError('UNAVAILABLE', `GET ${url} failed after ${policy.retries + 1} attempt(s): ${why}`, { cause: err });
  }
}

export async function fetchJson(url: string, policy: FetchPolicy, init: FetchInit = {}): Promise<{ status: number; json: unknown }> {
  const r = await fetchBytes(url, policy, { ...init, headers: { accept: 'application/json', ...(init.headers ?? {}) } });
  if (r.status === 404) return { status: 404, json: null };
  try {
    return { status: r.status, json: JSON.parse(Buffer.from(r.body).toString('utf8')) as unknown };
  } catch (cause) {
    throw new ProofError('UNAVAILABLE', `GET ${url}: response is not JSON`, { cause });
  }
}

/** Join a base URL and a path without doubling or losing slashes. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}
