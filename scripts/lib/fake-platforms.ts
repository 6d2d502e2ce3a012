/**
 * Shared by the tests (test/checkers, test/web) and the benchmark (scripts/bench/fakes-child.ts).
 * One local HTTP server on 127.0.0.1 that answers like each platform's real API (paths, status
 * codes, JSON shapes, rate-limit headers): twitter, github, keybase, DNS-over-HTTPS, discord,
 * minds under path prefixes, and ActivityPub servers (Mastodon/Pleroma/Misskey) by Host header.
 * Faults (500, hang, 429, connection reset) are switched on per platform.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault = 'http500' | 'timeout' | 'http429' | 'reset' | null;
export type FakePlatform = 'twitter' | 'github' | 'keybase' | 'dns' | 'discord' | 'minds' | 'activitypub';

export interface Tweet { text: string; authorId: string; username: string; editHistory?: string[] }
export interface Gist { owner: { login: string; id: number } | null; files: Record<string, string>; truncated?: boolean }
export interface DiscordMessage { content: string; author: { id: string; username: string; discriminator?: string } }
export interface MindsActivity { message: string; owner: { guid: string; username: string } }
export interface ApPost { text: string; account: { id: string; username: string; acct?: string; host?: string | null } }
export interface ApServer { software: string; posts: Map<string, ApPost>; nodeinfoHref?: string }

export const TWITTER_TOKEN = 'tw-test-token';
export const DISCORD_TOKEN = 'dc-test-token';

export interface RequestRecord { platform: FakePlatform; at: number; method: string; path: string; host: string }

export class FakePlatforms {
  readonly requests: RequestRecord[] = [];
  readonly fault: Partial<Record<FakePlatform, Fault>> = {};
  /** seconds announced in Retry-After / reset headers on a 429 */
  retryAfterSeconds = 1;
  /** artificial latency per answer (ms), to make concurrency visible */
  delayMs = 0;
  inFlight = 0;
  maxInFlight = 0;
  readonly tweets = new Map<string, Tweet>();
  readonly gists = new Map<string, Gist>();
  readonly keybase = new Map<string, string>(); // `${identity}/${file}` → body
  readonly dns = new Map<string, { status?: number; txt: string[] }>();
  readonly discord = new Map<string, DiscordMessage>(); // `${channel}/${message}`
  readonly minds = new Map<string, MindsActivity>();
  readonly ap = new Map<string, ApServer>(); // host → server
  private server!: Server;
  port = 0;

  static async start(): Promise<FakePlatforms> {
    const f = new FakePlatforms();
    f.server = createServer((req, res) => void f.handle(req, res));
    await new Promise<void>((resolve) => f.server.listen(0, '127.0.0.1', resolve));
    f.port = (f.server.address() as AddressInfo).port;
    return f;
  }

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  count(platform: FakePlatform): number {
    return this.requests.filter((r) => r.platform === platform).length;
  }

  private platformOf(req: IncomingMessage, path: string): FakePlatform {
    const host = (req.headers.host ?? '').split(':')[0]!;
    if (host !== '127.0.0.1') return 'activitypub';
    return path.split('/')[1] as FakePlatform;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const platform = this.platformOf(req, url.pathname);
    this.requests.push({ platform, at: performance.now(), method: req.method ?? 'GET', path: url.pathname + url.search, host: req.headers.host ?? '' });
    const body = await new Promise<string>((resolve) => {
      let s = '';
      req.on('data', (c: Buffer) => (s += c.toString()));
      req.on('end', () => resolve(s));
    });
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    res.on('close', () => this.inFlight--);
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    const fault = this.fault[platform] ?? null;
    if (fault === 'timeout') return; // hang until the client gives up
    if (fault === 'reset') return void req.socket.destroy();
    if (fault === 'http500') return send(res, 500, { message: 'Internal Server Error' });
    if (fault === 'http429') return this.tooMany(platform, res);
    const json = (status: number, obj: unknown, headers: Record<string, string> = {}) => send(res, status, obj, headers);
    const parts = url.pathname.split('/').filter(Boolean);
    switch (platform) {
      case 'twitter': return this.twitter(req, parts, json);
      case 'github': return this.github(parts, json);
      case 'keybase': {
        const b = this.keybase.get(`${parts[1]}/${parts[3]}`);
        if (b === undefined) return void res.writeHead(404, { 'content-type': 'text/html' }).end('<html>Not Found</html>');
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(b);
      }
      case 'dns': return this.doh(req, url, json);
      case 'discord': return this.discordApi(req, parts, json);
      case 'minds': {
        const urn = url.searchParams.get('urns') ?? '';
        const a = this.minds.get(urn.replace('urn:activity:', ''));
        const entities = a ? [{ guid: urn.replace('urn:activity:', ''), type: 'activity', time_created: '1700000000', time_updated: '1700000000', message: a.message, ownerObj: { guid: a.owner.guid, type: 'user', username: a.owner.username, name: a.owner.username } }] : [];
        return json(200, { status: 'success', entities });
      }
      case 'activitypub': return this.activitypub(req, url, body, json);
      default: return json(404, { message: 'no such fake' });
    }
  }

  private tooMany(platform: FakePlatform, res: ServerResponse): void {
    const reset = String(Math.ceil(Date.now() / 1000) + this.retryAfterSeconds);
    switch (platform) {
      case 'twitter': // no Retry-After: the reset header says when
        return send(res, 429, { title: 'Too Many Requests', detail: 'Too Many Requests', type: 'about:blank', status: 429 }, { 'x-rate-limit-limit': '450', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': reset });
      case 'github': // GitHub signals its primary limit with 403 + x-ratelimit-remaining: 0
        return send(res, 403, { message: 'API rate limit exceeded', documentation_url: 'https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting' }, { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset });
      case 'discord':
        return send(res, 429, { message: 'You are being rate limited.', retry_after: this.retryAfterSeconds, global: false }, { 'retry-after': String(this.retryAfterSeconds), 'x-ratelimit-scope': 'user' });
      default:
        return send(res, 429, { error: 'Too many requests' }, { 'retry-after': String(this.retryAfterSeconds) });
    }
  }

  private twitter(req: IncomingMessage, parts: string[], json: Json): void {
    if (req.headers.authorization !== `Bearer ${TWITTER_TOKEN}`) return json(401, { title: 'Unauthorized', type: 'about:blank', status: 401, detail: 'Unauthorized' });
    const id = parts[3] ?? '';
    const t = this.tweets.get(id);
    const headers = { 'x-rate-limit-limit': '450', 'x-rate-limit-remaining': '449', 'x-rate-limit-reset': String(Math.ceil(Date.now() / 1000) + 900) };
    if (!t) {
      return json(200, { errors: [{ value: id, detail: `Could not find tweet with id: [${id}].`, title: 'Not Found Error', resource_type: 'tweet', parameter: 'id', resource_id: id, type: 'https://api.twitter.com/2/problems/resource-not-found' }] }, headers);
    }
    return json(200, {
      data: { id, text: t.text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'), author_id: t.authorId, edit_history_tweet_ids: t.editHistory ?? [id] },
      includes: { users: [{ id: t.authorId, name: t.username, username: t.username }] },
    }, headers);
  }

  private github(parts: string[], json: Json): void {
    const id = parts[2] ?? '';
    const g = this.gists.get(id);
    if (!g) return json(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/gists/gists#get-a-gist', status: '404' });
    const files = Object.fromEntries(
      Object.entries(g.files).map(([name, content]) => [name, { filename: name, type: 'application/json', language: 'JSON', raw_url: `https://gist.githubusercontent.com/x/${id}/raw/${name}`, size: content.length, truncated: g.truncated ?? false, content }]),
    );
    return json(200, { url: `https://api.github.com/gists/${id}`, id, html_url: `https://gist.github.com/${id}`, public: true, files, owner: g.owner ? { login: g.owner.login, id: g.owner.id, type: 'User' } : null }, { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '4999' });
  }

  private doh(req: IncomingMessage, url: URL, json: Json): void {
    if (req.headers.accept !== 'application/dns-json') return json(415, { error: 'accept application/dns-json' });
    const name = url.searchParams.get('name') ?? '';
    const z = this.dns.get(name);
    if (!z) return json(200, { Status: 3, TC: false, RD: true, RA: true, AD: false, CD: false, Question: [{ name: `${name}.`, type: 16 }], Authority: [{ name: 'test.', type: 6, TTL: 900, data: 'ns.test. hostmaster.test. 1 7200 900 1209600 86400' }] });
    return json(200, {
      Status: z.status ?? 0, TC: false, RD: true, RA: true, AD: false, CD: false, Question: [{ name: `${name}.`, type: 16 }],
      Answer: z.txt.map((data) => ({ name: `${name}.`, type: 16, TTL: 300, data })),
    });
  }

  private discordApi(req: IncomingMessage, parts: string[], json: Json): void {
    if (req.headers.authorization !== `Bot ${DISCORD_TOKEN}`) return json(401, { message: '401: Unauthorized', code: 0 });
    const m = this.discord.get(`${parts[4]}/${parts[6]}`);
    if (!m) return json(404, { message: 'Unknown Message', code: 10008 });
    return json(200, {
      id: parts[6], type: 0, channel_id: parts[4], content: m.content, timestamp: '2023-11-14T22:13:20.000000+00:00', edited_timestamp: null,
      author: { id: m.author.id, username: m.author.username, discriminator: m.author.discriminator ?? '0', global_name: null, avatar: null, public_flags: 0 },
      attachments: [], embeds: [], mentions: [],
    }, { 'x-ratelimit-limit': '5', 'x-ratelimit-remaining': '4', 'x-ratelimit-reset-after': '1.000' });
  }

  private activitypub(req: IncomingMessage, url: URL, body: string, json: Json): void {
    const hostHeader = req.headers.host ?? '';
    const host = hostHeader.split(':')[0]!;
    const known = /^(mastodon|misskey|pleroma|gotosocial)\./.exec(host);
    if (!this.ap.has(host) && known) this.ap.set(host, { software: known[1]!, posts: new Map() });
    const s = this.ap.get(host);
    if (!s) return json(404, { error: 'unknown host' });
    if (url.pathname === '/.well-known/nodeinfo') {
      return json(200, { links: [{ rel: 'http://nodeinfo.diaspora.software/ns/schema/2.0', href: s.nodeinfoHref ?? `http://${hostHeader}/nodeinfo/2.0` }] });
    }
    if (url.pathname === '/nodeinfo/2.0') {
      return json(200, { version: '2.0', software: { name: s.software, version: '4.2.0' }, protocols: ['activitypub'], usage: { users: { total: 1 } }, openRegistrations: false });
    }
    const m = /^\/api\/v1\/statuses\/([^/]+)$/.exec(url.pathname);
    if (m && req.method === 'GET') {
      const p = s.posts.get(m[1]!);
      if (!p) return json(404, { error: 'Record not found' });
      const html = `<p>${p.text.split('\n').map(escapeHtml).join('<br />')}</p>`;
      return json(200, { id: m[1], visibility: 'public', content: html, account: { id: p.account.id, username: p.account.username, acct: p.account.acct ?? p.account.username, url: `https://${host}/@${p.account.username}` } });
    }
    if (url.pathname === '/api/notes/show' && req.method === 'POST') {
      let noteId = '';
      try {
        noteId = String((JSON.parse(body) as { noteId?: unknown }).noteId ?? '');
      } catch { /* empty */ }
      const p = s.posts.get(noteId);
      if (!p) return json(400, { error: { message: 'No such note.', code: 'NO_SUCH_NOTE', id: '24fcbfc6-2e37-42b6-8388-c29b3861a08d' } });
      return json(200, { id: noteId, text: p.text, visibility: 'public', user: { id: p.account.id, username: p.account.username, host: p.account.host ?? null } });
    }
    return json(404, { error: 'not found' });
  }
}

type Json = (status: number, obj: unknown, headers?: Record<string, string>) => void;

function send(res: ServerResponse, status: number, obj: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(obj));
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
