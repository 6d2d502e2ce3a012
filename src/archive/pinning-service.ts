/**
 * A client of the IPFS Pinning Service API (the OpenAPI spec IPFS Cluster's pinsvc endpoint and
 * hosted pinning services implement): POST /pins, GET /pins/{requestid}, GET /pins?cid=&status=,
 * DELETE /pins/{requestid}, with `Authorization: Bearer <token>`.
 *
 * The URL is the operator's, but every answer is still untrusted: bodies are read through the
 * capped reader, shapes are checked field by field, and a PinStatus naming another CID than ours
 * is refused (a service that pins something else has not pinned our document). Redirects are not
 * followed (undici's request follows none), so the token never goes to another host. The token
 * never appears in an error: anything the service echoes back has it replaced.
 */
import { readFileSync, statSync } from 'node:fs';
import { request } from 'undici';
import { CID } from 'multiformats/cid';
import { ProofError } from '../core/index.js';
import { readCapped } from '../util/body.js';
import { parseRetryAfter } from '../util/retry.js';

export type RemoteStatus = 'queued' | 'pinning' | 'pinned' | 'failed';
const STATUSES: readonly RemoteStatus[] = ['queued', 'pinning', 'pinned', 'failed'];

/** The parts of a PinStatus the archive uses, validated. */
export interface PinStatus {
  requestid: string;
  status: RemoteStatus;
  created: string;
  cid: string;
  delegates: string[];
  /** the service's free-text details (info.status_details and the like), capped */
  info: Record<string, string>;
}

export interface PinRequest {
  name?: string;
  /** multiaddrs of our node the service may fetch the document from (at most 20) */
  origins?: readonly string[];
  meta?: Record<string, string>;
}

export interface PinningServiceOptions {
  url: string;
  token: string;
  timeoutMs: number;
  /** largest answer read, bytes */
  maxBodyBytes?: number;
}

const MAX_BODY = 1024 * 1024;
const MAX_ID = 256;

/** An error a 429/503 with Retry-After says when to retry (src/util/retry.ts reads it). */
class ServiceError extends Error {
  constructor(
    readonly full: string,
    readonly status: number,
    readonly retryAfterMs?: number,
  ) {
    super(`HTTP ${status}`);
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export class PinningServiceClient {
  private readonly base: URL;
  private readonly basePath: string;

  constructor(private readonly opts: PinningServiceOptions) {
    let u: URL;
    try {
      u = new URL(opts.url);
    } catch {
      throw new ProofError('BAD_CONFIG', 'archive.pinningService.url is not a URL');
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ProofError('BAD_CONFIG', 'archive.pinningService.url must be http(s)');
    if (u.username || u.password) throw new ProofError('BAD_CONFIG', 'archive.pinningService.url must not carry credentials (use token or tokenFile)');
    u.search = '';
    u.hash = '';
    this.base = u;
    // a URL's pathname is never empty ("/" at least): the API's paths are appended to it trimmed
    this.basePath = u.pathname.replace(/\/+$/, '');
  }

  /** scheme, host and port only: what logs and /healthz may show */
  get origin(): string {
    return this.base.origin;
  }

  private url(path: string, query?: URLSearchParams): URL {
    const u = new URL(this.base.href);
    u.pathname = `${this.basePath}${path}`;
    if (query) u.search = query.toString();
    return u;
  }

  private redact(s: string): string {
    const t = this.opts.token;
    return (t ? s.split(t).join('<redacted>') : s).replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 300);
  }

  /** One request; returns the status and the parsed JSON body (undefined when empty). */
  private async call(method: 'GET' | 'POST' | 'DELETE', path: string, opts: { query?: URLSearchParams; body?: unknown; signal?: AbortSignal | undefined } = {}): Promise<{ status: number; json: unknown }> {
    const what = `${method} ${path.startsWith('/pins/') ? '/pins/{requestid}' : path}`;
    const timeout = AbortSignal.timeout(this.opts.timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.opts.token) headers['authorization'] = `Bearer ${this.opts.token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    let status: number;
    let text: string;
    try {
      const res = await request(this.url(path, opts.query), {
        method,
        headers,
        signal,
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
        headersTimeout: this.opts.timeoutMs,
        bodyTimeout: this.opts.timeoutMs,
      });
      status = res.statusCode;
      const retryAfter = parseRetryAfter(header(res.headers['retry-after']));
      if (status >= 300 && status < 400) {
        await res.body.dump().catch(() => undefined);
        throw new ServiceError(`pinning service: ${what} answered a redirect (${status}); redirects are not followed, fix archive.pinningService.url`, status);
      }
      text = (await readCapped(res.body, this.opts.maxBodyBytes ?? MAX_BODY, header(res.headers['content-length']))).toString('utf8');
      if (status >= 400) throw new ServiceError(this.describe(what, status, text), status, retryAfter);
    } catch (cause) {
      if (cause instanceof ServiceError) throw new ProofError('UNAVAILABLE', cause.full, { cause });
      // no message of our own from the cause: it is a network error, a timeout or BodyTooLarge
      throw new ProofError('UNAVAILABLE', `pinning service: ${what} failed (${this.redact((cause as Error)?.message ?? String(cause))})`, { cause });
    }
    if (text.trim() === '') return { status, json: undefined };
    try {
      return { status, json: JSON.parse(text) as unknown };
    } catch {
      throw new ProofError('UNAVAILABLE', `pinning service: ${what} answered ${status} with a body that is not JSON`);
    }
  }

  private describe(what: string, status: number, text: string): string {
    let reason = '';
    try {
      const j = JSON.parse(text) as unknown;
      // the spec's Failure: {error: {reason, details}}
      if (isObj(j) && isObj(j['error'])) reason = [j['error']['reason'], j['error']['details']].filter((x) => typeof x === 'string').join(': ');
    } catch {
      // not JSON: the status says enough
    }
    const hint = status === 401 || status === 403 ? ' — the service refused the token: check archive.pinningService.token / tokenFile' : '';
    return `pinning service: ${what} answered ${status}${reason ? ` (${this.redact(reason)})` : ''}${hint}`;
  }

  /** Ask the service to pin `cid`; the answer (202 PinStatus) must be about our CID. */
  async add(cid: CID, req: PinRequest = {}, signal?: AbortSignal): Promise<PinStatus> {
    const pin: Obj = { cid: cid.toString() };
    if (req.name) pin['name'] = req.name.slice(0, 255);
    if (req.origins?.length) pin['origins'] = [...new Set(req.origins)].slice(0, 20);
    if (req.meta) pin['meta'] = req.meta;
    const { json } = await this.call('POST', '/pins', { body: pin, signal });
    return parsePinStatus(json, cid, 'POST /pins');
  }

  /** The request's status; null when the service does not know it (404). */
  async get(requestId: string, cid: CID, signal?: AbortSignal): Promise<PinStatus | null> {
    try {
      const { json } = await this.call('GET', `/pins/${encodeURIComponent(requestId)}`, { signal });
      const st = parsePinStatus(json, cid, 'GET /pins/{requestid}');
      if (st.requestid !== requestId) throw new ProofError('UNAVAILABLE', 'pinning service: GET /pins/{requestid} answered about another request');
      return st;
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw err;
    }
  }

  /** Requests for `cid` in the given states (the spec's default is pinned only). */
  async find(cid: CID, statuses: readonly RemoteStatus[], signal?: AbortSignal): Promise<PinStatus[]> {
    const q = new URLSearchParams({ cid: cid.toString(), status: statuses.join(','), limit: '100' });
    const { json } = await this.call('GET', '/pins', { query: q, signal });
    if (!isObj(json) || !Array.isArray(json['results']) || typeof json['count'] !== 'number') {
      throw new ProofError('UNAVAILABLE', 'pinning service: GET /pins answered without {count, results}');
    }
    // results about other CIDs are the service's error, not a reason to fail: they are skipped
    return json['results'].slice(0, 100).flatMap((r) => {
      try {
        return [parsePinStatus(r, cid, 'GET /pins')];
      } catch {
        return [];
      }
    });
  }

  /** Remove a pin request; one the service does not know (404) is removed already. */
  async remove(requestId: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.call('DELETE', `/pins/${encodeURIComponent(requestId)}`, { signal });
    } catch (err) {
      if (statusOf(err) === 404) return;
      throw err;
    }
  }
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function statusOf(err: unknown): number | undefined {
  const c = (err as { cause?: unknown })?.cause;
  return c instanceof ServiceError ? c.status : undefined;
}

const str = (v: unknown, max: number): string | undefined => (typeof v === 'string' && v.length > 0 && v.length <= max ? v : undefined);

/** A PinStatus from untrusted JSON; its pin must be `ours`. */
export function parsePinStatus(j: unknown, ours: CID, what: string): PinStatus {
  const bad = (why: string): never => {
    throw new ProofError('UNAVAILABLE', `pinning service: ${what} answered a malformed PinStatus (${why})`);
  };
  if (!isObj(j)) return bad('not an object');
  const requestid = str(j['requestid'], MAX_ID) ?? bad('requestid');
  const status = STATUSES.find((s) => s === j['status']) ?? bad('status');
  const created = str(j['created'], 64) ?? bad('created');
  const pin = isObj(j['pin']) ? j['pin'] : bad('pin');
  const cidText = str(pin['cid'], 200) ?? bad('pin.cid');
  let got: CID;
  try {
    got = CID.parse(cidText);
  } catch {
    return bad('pin.cid is not a CID');
  }
  // compared as CIDs: a service may answer in another base; v0 vs v1 of one hash is still not ours
  if (!got.equals(ours)) throw new ProofError('UNAVAILABLE', `pinning service: ${what} answered about ${cidText.slice(0, 100)}, not our ${ours}`);
  const delegates = Array.isArray(j['delegates']) ? j['delegates'].filter((d): d is string => typeof d === 'string' && d.length <= 1024).slice(0, 20) : [];
  const info: Record<string, string> = {};
  if (isObj(j['info'])) {
    for (const [k, v] of Object.entries(j['info']).slice(0, 20)) if (typeof v === 'string') info[k.slice(0, 64)] = v.slice(0, 300);
  }
  return { requestid, status, created, cid: ours.toString(), delegates, info };
}

/**
 * The token from archive.pinningService: `token` (config or PROOFKEEP_PINNING_SERVICE_TOKEN) or
 * `tokenFile`, which other users must not be able to read. Both set is a mistake, refused.
 */
export function pinningServiceToken(cfg: { token: string; tokenFile: string }): string {
  if (cfg.token && cfg.tokenFile) throw new ProofError('BAD_CONFIG', 'archive.pinningService: set token or tokenFile, not both');
  if (!cfg.tokenFile) return cfg.token;
  let mode: number;
  try {
    mode = statSync(cfg.tokenFile).mode;
  } catch (cause) {
    throw new ProofError('BAD_CONFIG', `archive.pinningService.tokenFile ${cfg.tokenFile} cannot be read`, { cause });
  }
  if ((mode & 0o077) !== 0) {
    throw new ProofError('BAD_CONFIG', `archive.pinningService.tokenFile ${cfg.tokenFile} is readable by other users (mode ${(mode & 0o777).toString(8)}); chmod 600 it`);
  }
  const token = readFileSync(cfg.tokenFile, 'utf8').trim();
  if (!token) throw new ProofError('BAD_CONFIG', `archive.pinningService.tokenFile ${cfg.tokenFile} is empty`);
  // a header value cannot carry these; naming the character would quote the secret
  if (/[\s\u0000-\u001f\u007f]/.test(token)) throw new ProofError('BAD_CONFIG', `archive.pinningService.tokenFile ${cfg.tokenFile} holds more than one token-like line`);
  return token;
}
