/**
 * A small IPFS Pinning Service API on 127.0.0.1 (node:http), answering as the spec says:
 * bearer-token auth (401 with a Failure body otherwise), POST /pins → 202 PinStatus, GET
 * /pins/{requestid}, GET /pins?cid=&status= → {count, results}, DELETE /pins/{requestid} → 202.
 * A request goes queued → pinning → pinned over `pollsPerStep` GETs each. Modes: `ok`; `fail`
 * (the next `failNext` requests end `failed` instead of pinned); `down` (503 to everything);
 * `hold` (requests stay queued); `lie` (answers about another CID); `redirect` (307 elsewhere).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { documentCid } from '../../src/archive/ipfs.js';

export type FakeMode = 'ok' | 'down' | 'hold' | 'lie' | 'redirect';

export interface FakePin {
  requestid: string;
  cid: string;
  name: string;
  origins: string[];
  meta: Record<string, string>;
  created: string;
  status: 'queued' | 'pinning' | 'pinned' | 'failed';
  polls: number;
  willFail: boolean;
  /** every status answered for this request, in order */
  answered: string[];
}

export class FakePinningService {
  mode: FakeMode = 'ok';
  failNext = 0;
  pollsPerStep = 2;
  redirectTo = '';
  readonly pins = new Map<string, FakePin>();
  /** method + path of every request, and the Authorization header each carried */
  readonly requests: Array<{ method: string; path: string; auth: string | undefined }> = [];
  url = '';
  private server: Server | null = null;
  private seq = 0;
  /** a valid CID that is not the one asked for (the `lie` mode's answer) */
  private otherCid = '';

  constructor(readonly token: string) {}

  async start(): Promise<this> {
    this.otherCid = (await documentCid(new TextEncoder().encode('{"not":"yours"}'))).toString();
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req.method!, req.url!, req.headers.authorization, Buffer.concat(chunks).toString('utf8'), res));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }

  posts(): number {
    return this.requests.filter((r) => r.method === 'POST').length;
  }

  private json(res: import('node:http').ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private view(p: FakePin): Record<string, unknown> {
    return {
      requestid: p.requestid,
      status: p.status,
      created: p.created,
      pin: { cid: this.mode === 'lie' ? this.otherCid : p.cid, name: p.name, origins: p.origins, meta: p.meta },
      delegates: ['/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN'],
      info: p.status === 'failed' ? { status_details: 'could not fetch the DAG from the origins' } : {},
    };
  }

  private handle(method: string, rawUrl: string, auth: string | undefined, body: string, res: import('node:http').ServerResponse): void {
    const u = new URL(rawUrl, 'http://x');
    this.requests.push({ method, path: u.pathname, auth });
    if (this.mode === 'down') return this.json(res, 503, { error: { reason: 'UNAVAILABLE', details: 'maintenance' } });
    if (this.mode === 'redirect') {
      res.writeHead(307, { location: `${this.redirectTo}${u.pathname}${u.search}` });
      return void res.end();
    }
    if (auth !== `Bearer ${this.token}`) {
      // echoes what it got, as careless services do: the client must not repeat it
      return this.json(res, 401, { error: { reason: 'UNAUTHORIZED', details: `access token ${auth ?? '(none)'} is not valid` } });
    }
    const m = /^\/pins(?:\/([^/]+))?$/.exec(u.pathname);
    if (!m) return this.json(res, 404, { error: { reason: 'NOT_FOUND' } });
    const id = m[1] ? decodeURIComponent(m[1]) : undefined;
    if (method === 'POST' && !id) {
      const pin = JSON.parse(body) as { cid: string; name?: string; origins?: string[]; meta?: Record<string, string> };
      if (typeof pin.cid !== 'string') return this.json(res, 400, { error: { reason: 'BAD_REQUEST', details: 'cid' } });
      const willFail = this.failNext > 0;
      if (willFail) this.failNext--;
      const p: FakePin = {
        requestid: `req-${++this.seq}`, cid: pin.cid, name: pin.name ?? '', origins: pin.origins ?? [], meta: pin.meta ?? {},
        created: new Date().toISOString(), status: 'queued', polls: 0, willFail, answered: ['queued'],
      };
      this.pins.set(p.requestid, p);
      return this.json(res, 202, this.view(p));
    }
    if (method === 'GET' && !id) {
      const cids = (u.searchParams.get('cid') ?? '').split(',').filter(Boolean);
      const statuses = (u.searchParams.get('status') ?? 'pinned').split(',');
      const results = [...this.pins.values()].filter((p) => (!cids.length || cids.includes(p.cid)) && statuses.includes(p.status)).map((p) => this.view(p));
      return this.json(res, 200, { count: results.length, results });
    }
    const p = id ? this.pins.get(id) : undefined;
    if (!p) return this.json(res, 404, { error: { reason: 'NOT_FOUND', details: 'no such request' } });
    if (method === 'GET') {
      if (this.mode !== 'hold' && p.status !== 'pinned' && p.status !== 'failed' && ++p.polls >= this.pollsPerStep) {
        p.polls = 0;
        p.status = p.status === 'queued' ? 'pinning' : p.willFail ? 'failed' : 'pinned';
      }
      p.answered.push(p.status);
      return this.json(res, 200, this.view(p));
    }
    if (method === 'DELETE') {
      this.pins.delete(p.requestid);
      res.writeHead(202);
      return void res.end();
    }
    return this.json(res, 405, { error: { reason: 'METHOD_NOT_ALLOWED' } });
  }
}
