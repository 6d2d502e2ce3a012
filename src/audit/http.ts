/**
 * Fetching from remotes the auditor does not trust (gateways, ProofServices): timeouts, a body
 * size cap, and retries with exponential backoff for transient failures only (network errors,
 * 429, 5xx). Everything takes an AbortSignal.
 */
import { ProofError } from '../core/index.js';

export interface FetchPolicy {
  timeoutMs: number;
  retries: number;
  retryBaseMs: number;
  maxBodyBytes: number;
}

export interface FetchResult {
  status: number;
  headers: Headers;
  body: Uint8Array;
}

class Transient extends Error {}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

async function readCapped(res: Response, max: number): Promise<Uint8Array> {
  const len = Number(res.headers.get('content-length') ?? 'NaN');
  if (Number.isFinite(len) && len > max) throw new ProofError('PAYLOAD_TOO_LARGE', `response of ${len} bytes exceeds the ${max}-byte limit`);
  if (!res.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.length;
    if (total > max) throw new ProofError('PAYLOAD_TOO_LARGE', `response exceeds the ${max}-byte limit`);
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/**
 * GET with retries. Resolves for 2xx and for 404 (callers decide what "not found" means);
 * throws ProofError('UNAVAILABLE') when retries are exhausted or for other 4xx.
 */
export async function fetchBytes(url: string, policy: FetchPolicy, init: { headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<FetchResult> {
  let lastErr: unknown;
  for (let attempt = 0; attempt <= policy.retries; attempt++) {
    if (attempt > 0) await sleep(policy.retryBaseMs * 2 ** (attempt - 1), init.signal);
    const signals = [AbortSignal.timeout(policy.timeoutMs)];
    if (init.signal) signals.push(init.signal);
    try {
      const res = await fetch(url, { headers: init.headers ?? {}, signal: AbortSignal.any(signals), redirect: 'follow' });
      if (res.status === 429 || res.status >= 500) {
        await res.body?.cancel().catch(() => undefined);
        throw new Transient(`HTTP ${res.status}`);
      }
      if (res.status !== 404 && (res.status < 200 || res.status >= 300)) {
        await res.body?.cancel().catch(() => undefined);
        throw new ProofError('UNAVAILABLE', `GET ${url}: HTTP ${res.status}`);
      }
      return { status: res.status, headers: res.headers, body: await readCapped(res, policy.maxBodyBytes) };
    } catch (err) {
      if (init.signal?.aborted) throw err;
      if (err instanceof ProofError) throw err;
      lastErr = err;
    }
  }
  const why = lastErr instanceof Error ? (lastErr.cause instanceof Error ? lastErr.cause.message : lastErr.message) : String(lastErr);
  throw new ProofError('UNAVAILABLE', `GET ${url} failed after ${policy.retries + 1} attempt(s): ${why}`, { cause: lastErr });
}

export async function fetchJson(url: string, policy: FetchPolicy, init: { headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<{ status: number; json: unknown }> {
  const r = await fetchBytes(url, policy, { ...init, headers: { accept: 'application/json', ...(init.headers ?? {}) } });
  if (r.status === 404) return { status: 404, json: null };
  try {
    return { status: r.status, json: JSON.parse(Buffer.from(r.body).toString('utf8')) as unknown };
  } catch {
    throw new ProofError('UNAVAILABLE', `GET ${url}: response is not JSON`);
  }
}

/** Join a base URL and a path without doubling or losing slashes. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}
