/**
 * The only way a checker talks to the network. One PlatformHttp per platform: every request
 * goes through that platform's p-queue (at most `concurrency` at once, priorities, abortable
 * while queued) and its RequestWindow (at most `intervalCap` per `intervalMs` as the platform
 * counts them; closed while a 429's Retry-After runs), has a timeout
 * and the caller's AbortSignal, may only go to the platform's configured origins, follows no
 * redirects and reads at most `maxBodyBytes`. Network errors, timeouts, 5xx and 429 become
 * TransientFailure; a 429 also closes the platform's window until its Retry-After.
 */
import PQueue from 'p-queue';
import { request, type Dispatcher } from 'undici';
import type { RateLimit } from './config.js';
import { BodyTooLarge, readCapped } from '../util/body.js';
import { parseRetryAfter } from '../util/retry.js';
import { RequestWindow } from './ratelimit.js';
import { CheckCancelled, GuardRefused, TransientFailure } from './failures.js';

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  url: string;
}

export interface HttpRequest {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  signal: AbortSignal;
  /** activitypub: a dispatcher pinned to the checked address of the identity's host */
  dispatcher?: Dispatcher;
  /** retry-after gate key; '' (default) gates the whole platform, a host key gates one host */
  gateKey?: string;
  /** higher runs first (submit-time checks jump the background queue) */
  priority?: number;
}

export interface PlatformHttpOptions {
  platform: string;
  limit: RateLimit;
  timeoutMs: number;
  maxBodyBytes: number;
  maxRetryAfterMs: number;
  /** may this URL be contacted at all (configured origins; activitypub checks its own hosts) */
  allowed: (url: URL) => boolean;
  onRateLimited?: (info: { platform: string; gateKey: string; retryAfterMs: number }) => void;
}

const DEFAULT_RETRY_AFTER_MS = 60_000;
const MAX_GATES = 10_000;

export class PlatformHttp {
  readonly queue: PQueue;
  readonly window: RequestWindow;
  readonly platform: string;
  /** per-host gates (activitypub: one hostile host must not park the whole platform) */
  private readonly gates = new Map<string, number>();
  /** requests sent (for health and tests) */
  sent = 0;

  constructor(private readonly opts: PlatformHttpOptions) {
    this.platform = opts.platform;
    this.queue = new PQueue({ concurrency: opts.limit.concurrency });
    this.window = new RequestWindow(opts.limit.intervalCap, opts.limit.intervalMs);
  }

  /** ms until the gate opens (0 when open) */
  gatedFor(gateKey = ''): number {
    if (gateKey === '') return this.window.gatedFor();
    const until = this.gates.get(gateKey) ?? 0;
    return Math.max(0, until - Date.now());
  }

  async request(url: string, req: HttpRequest): Promise<HttpResponse> {
    const u = new URL(url);
    if (!this.opts.allowed(u)) throw new GuardRefused(`${this.platform} checker refused to contact ${u.origin} (not a configured origin)`);
    const gateKey = req.gateKey ?? '';
    if (gateKey !== '') {
      const wait = this.gatedFor(gateKey);
      if (wait > 0) throw new TransientFailure('RATE_LIMITED', `${u.host} asked us to wait ${Math.ceil(wait / 1000)} s`, wait);
    }
    if (req.signal.aborted) throw new CheckCancelled();
    try {
      return await this.queue.add(() => this.send(u, req, gateKey), { signal: req.signal, priority: req.priority ?? 0 });
    } catch (err) {
      if (req.signal.aborted) throw new CheckCancelled();
      throw err;
    }
  }

  private async send(u: URL, req: HttpRequest, gateKey: string): Promise<HttpResponse> {
    let release: () => void;
    try {
      release = await this.window.acquire(req.signal);
    } catch {
      throw new CheckCancelled();
    }
    try {
      return await this.sendNow(u, req, gateKey);
    } finally {
      release();
    }
  }

  private async sendNow(u: URL, req: HttpRequest, gateKey: string): Promise<HttpResponse> {
    const timeout = AbortSignal.timeout(this.opts.timeoutMs);
    const signal = AbortSignal.any([req.signal, timeout]);
    this.sent++;
    let res: Dispatcher.ResponseData;
    try {
      res = await request(u, {
        method: req.method ?? 'GET',
        headers: { 'user-agent': 'proofkeep-checker', ...req.headers },
        body: req.body,
        signal,
        dispatcher: req.dispatcher,
      });
    } catch (err) {
      throw this.classify(err, req.signal, timeout);
    }
    let text: string;
    try {
      text = (await readCapped(res.body, this.opts.maxBodyBytes, header({ headers: res.headers }, 'content-length'))).toString('utf8');
    } catch (err) {
      if (err instanceof BodyTooLarge) throw new TransientFailure('BAD_RESPONSE', `response larger than ${this.opts.maxBodyBytes} bytes`, undefined, { cause: err });
      throw this.classify(err, req.signal, timeout);
    }
    const out: HttpResponse = { status: res.statusCode, headers: res.headers, text, url: u.toString() };
    const rateLimited = res.statusCode === 429 || (res.statusCode === 403 && header(out, 'x-ratelimit-remaining') === '0');
    if (rateLimited) {
      const wait = this.retryAfterMs(out);
      this.gate(gateKey, wait);
      throw new TransientFailure('RATE_LIMITED', `${this.platform} answered ${res.statusCode}: rate limited for ${Math.ceil(wait / 1000)} s`, wait);
    }
    if (res.statusCode >= 500 || res.statusCode === 408) {
      throw new TransientFailure('UPSTREAM_ERROR', `${this.platform} answered HTTP ${res.statusCode}`);
    }
    return out;
  }

  private classify(err: unknown, outer: AbortSignal, timeout: AbortSignal): Error {
    if (outer.aborted) return new CheckCancelled();
    if (timeout.aborted) return new TransientFailure('TIMEOUT', `${this.platform} did not answer within ${this.opts.timeoutMs} ms`, undefined, { cause: err });
    const code = String((err as { code?: unknown }).code ?? (err as { cause?: { code?: unknown } }).cause?.code ?? '');
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new TransientFailure('DNS_ERROR', `${this.platform}: DNS lookup failed (${code})`, undefined, { cause: err });
    return new TransientFailure('NETWORK_ERROR', `${this.platform}: ${code || (err as Error).message || 'network error'}`, undefined, { cause: err });
  }

  /** Retry-After (seconds or HTTP date), else the platforms' reset headers (epoch seconds), clamped. */
  private retryAfterMs(res: HttpResponse): number {
    const now = Date.now();
    let ms = parseRetryAfter(header(res, 'retry-after'), now);
    if (ms === undefined) {
      const reset = header(res, 'x-rate-limit-reset') ?? header(res, 'x-ratelimit-reset');
      if (reset !== undefined && /^\d{9,11}$/.test(reset.trim())) ms = Number(reset) * 1000 - now;
    }
    if (ms === undefined || !Number.isFinite(ms)) ms = DEFAULT_RETRY_AFTER_MS;
    return Math.min(Math.max(ms, 1000), this.opts.maxRetryAfterMs);
  }

  /** Close the gate: the platform's window (every request waits), or one host (refused meanwhile). */
  private gate(gateKey: string, ms: number): void {
    this.opts.onRateLimited?.({ platform: this.platform, gateKey, retryAfterMs: ms });
    if (gateKey === '') {
      this.window.gate(ms);
      return;
    }
    const until = Date.now() + ms;
    if ((this.gates.get(gateKey) ?? 0) >= until) return;
    if (this.gates.size >= MAX_GATES) {
      const now = Date.now();
      for (const [k, v] of this.gates) if (v <= now) this.gates.delete(k);
      if (this.gates.size >= MAX_GATES) this.gates.delete(this.gates.keys().next().value as string);
    }
    this.gates.set(gateKey, until);
  }

  /** Wait for queued and running requests (callers abort their signals first to cut this short). */
  async close(): Promise<void> {
    await this.queue.onIdle();
  }
}

export function header(res: Pick<HttpResponse, 'headers'>, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** JSON body or a transient BAD_RESPONSE (a proxy's HTML error page is not a verdict). */
export function jsonBody(res: HttpResponse, platform: string): unknown {
  try {
    return JSON.parse(res.text) as unknown;
  } catch {
    throw new TransientFailure('BAD_RESPONSE', `${platform} answered HTTP ${res.status} with a body that is not JSON`);
  }
}

/** Allow exactly the origins of the given base URLs. */
export function originsAllowed(...bases: string[]): (u: URL) => boolean {
  const set = new Set(bases.filter((b) => b !== '').map((b) => new URL(b).origin));
  return (u) => set.has(u.origin);
}
