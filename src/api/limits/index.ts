/**
 * What keeps a public daemon usable while one client is hostile:
 * - connections: a cap per client address, header / request / keep-alive timeouts (slow-loris);
 * - who the client is: the TCP peer, or what a trusted proxy says (client.ts);
 * - operator routes (bulk import) need the admin token on a listener that is not loopback;
 * - budgets (budget.ts): body bytes charged from Content-Length before the body is read, and
 *   signature recoveries charged from the parsed body before the handler verifies anything.
 *
 * A route declares what it costs in its config, e.g.
 *   app.post('/v1/kv', { config: { write: true, cost: { recoveries: 1 } } }, handler)
 *   app.post('/v1/links', { config: { cost: { recoveries: (req) => countOf(req.body) } } }, ...)
 * `cost.recoveries` is called with the parsed (still attacker-controlled, unvalidated) body.
 */
import { Transform } from 'node:stream';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ProofError } from '../../core/index.js';
import type { ServerConfig } from '../../config/schema.js';
import { RateLimiter } from '../ratelimit.js';
import { Budgets, type Cost } from './budget.js';
import { budgetKey, ClientResolver, isLoopbackListen } from './client.js';

export type { LimitsConfig } from './config.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** signature recoveries one request costs; charged after parsing, before the handler */
    cost?: { recoveries: number | ((req: FastifyRequest) => number) };
    /** an operator's route: on a non-loopback listener it needs the admin token (server.bulkImport) */
    operator?: boolean;
  }
  interface FastifyRequest {
    /** the client's address as limits see it (trusted proxy header applied) */
    clientAddress: string;
  }
}

/** Whether operator routes need the admin token on this listener. */
export function operatorRoutesNeedToken(config: Pick<ServerConfig, 'bulkImport' | 'host'>): boolean {
  return config.bulkImport === 'admin' || (config.bulkImport === 'auto' && !isLoopbackListen(config.host));
}

function tokenMatches(header: string | undefined, token: string): boolean {
  if (token === '' || !header?.startsWith('Bearer ')) return false;
  // Hash both sides: equal lengths for timingSafeEqual, no length leak.
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(header.slice(7)), digest(token));
}

function rateLimited(retryAfter: number, what: string): ProofError {
  return new ProofError('RATE_LIMITED', `${what}; retry in ${retryAfter}s`, { details: { retryAfter } });
}

const BODY_BYTES = Symbol('bodyBytes');
const FIRST_REQUEST = Symbol('firstRequest');
type Counted = FastifyRequest & { [BODY_BYTES]?: { n: number } };

export interface LimitsState {
  budgets: Budgets;
  /** open connections per client address (the TCP peer) */
  connections(): number;
}

export function installLimits(app: FastifyInstance, config: ServerConfig, now: () => number = Date.now): LimitsState {
  const resolver = new ClientResolver(config.trustProxy, config.proxyHeader);
  const l = config.limits;
  const budgets = new Budgets(
    { recoveries: { perMinute: l.recoveriesPerMinute, burst: l.recoveryBurst }, bytes: { perMinute: l.bytesPerMinute, burst: l.byteBurst } },
    now,
  );
  const writes = new RateLimiter(config.writeRateLimit);
  const needToken = operatorRoutesNeedToken(config);

  // Connections per address. The peer is what is counted: a proxy in trustProxy is not capped
  // (it carries everyone); its clients are limited by the budgets instead.
  const open = new Map<string, number>();
  let total = 0;
  const server = app.server;
  // Node enforces headers/request timeouts only on connections that have started a request, and
  // checks them every 30 s by default; a connection that never sends a byte is closed here.
  server.headersTimeout = config.requestTimeoutMs > 0 ? Math.min(config.headersTimeoutMs, config.requestTimeoutMs) : config.headersTimeoutMs;
  server.requestTimeout = config.requestTimeoutMs;
  server.keepAliveTimeout = config.keepAliveTimeoutMs;
  (server as typeof server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.max(50, Math.min(1000, Math.floor(config.headersTimeoutMs / 4)));
  server.on('request', (req) => {
    const s = req.socket as typeof req.socket & { [FIRST_REQUEST]?: NodeJS.Timeout };
    clearTimeout(s[FIRST_REQUEST]);
  });
  server.on('connection', (socket: import('node:net').Socket & { [FIRST_REQUEST]?: NodeJS.Timeout }) => {
    const first = setTimeout(() => socket.destroy(), config.headersTimeoutMs);
    first.unref();
    socket[FIRST_REQUEST] = first;
    socket.once('close', () => clearTimeout(first));
    const peer = socket.remoteAddress ?? '';
    if (config.maxConnectionsPerClient <= 0 || resolver.isTrusted(peer)) return;
    const key = budgetKey(peer);
    const n = (open.get(key) ?? 0) + 1;
    if (n > config.maxConnectionsPerClient) {
      socket.destroy();
      return;
    }
    open.set(key, n);
    total++;
    socket.once('close', () => {
      total--;
      const left = (open.get(key) ?? 1) - 1;
      if (left <= 0) open.delete(key);
      else open.set(key, left);
    });
  });

  app.decorateRequest('clientAddress', '');
  app.addHook('onRequest', async (req, reply) => {
    try {
      admit(req);
    } catch (err) {
      // Refused before its body was read: close the connection after the answer rather than
      // read (and throw away) a body of up to bulkBodyLimit bytes first.
      if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) void reply.header('connection', 'close');
      throw err;
    }
  });
  function admit(req: FastifyRequest): void {
    req.clientAddress = resolver.address(req.socket.remoteAddress, req.headers);
    const route = req.routeOptions.config;
    const admin = tokenMatches(req.headers.authorization, config.adminToken);
    if (route?.operator && needToken && !admin) {
      throw new ProofError('UNAUTHORIZED', config.adminToken === ''
        ? 'this route needs the admin token on a public listener, and server.adminToken is not set (or set server.bulkImport = open)'
        : 'this route needs Authorization: Bearer <server.adminToken> on a public listener');
    }
    // The operator's own requests are not budgeted.
    if (admin) return;
    const key = budgetKey(req.clientAddress);
    if (route?.write) writes.take(key);
    // A client that cannot afford even one recovery is refused before its body is read and
    // parsed (parsing a flood's 8 MiB bodies would be work done for it).
    if (route?.cost) {
      const v = budgets.check(key, { recoveries: 1 });
      if (!v.ok) throw rateLimited(v.retryAfter, 'this client has used its signature-verification budget');
    }
    const length = Number(req.headers['content-length']);
    if (length > 0) {
      const v = budgets.charge(key, { bytes: length });
      if (!v.ok) throw rateLimited(v.retryAfter, 'too many request bytes from this client');
    }
  }
  // A body without Content-Length (chunked) is counted as it arrives and charged with the rest.
  app.addHook('preParsing', async (req, _reply, payload) => {
    if (req.headers['content-length'] !== undefined || tokenMatches(req.headers.authorization, config.adminToken)) return payload;
    const counter = { n: 0 };
    (req as Counted)[BODY_BYTES] = counter;
    return payload.pipe(new Transform({
      transform(chunk: Buffer, _enc, cb) {
        counter.n += chunk.length;
        cb(null, chunk);
      },
    }));
  });
  app.addHook('preHandler', async (req) => {
    const route = req.routeOptions.config;
    const counted = (req as Counted)[BODY_BYTES];
    if (!route?.cost && !counted) return;
    if (tokenMatches(req.headers.authorization, config.adminToken)) return;
    const cost: Cost = {};
    if (counted) cost.bytes = counted.n;
    if (route?.cost) {
      const r = route.cost.recoveries;
      cost.recoveries = typeof r === 'function' ? r(req) : r;
    }
    const v = budgets.charge(budgetKey(req.clientAddress), cost);
    if (!v.ok) throw rateLimited(v.retryAfter, v.resource === 'recoveries' ? 'this client has used its signature-verification budget' : 'too many request bytes from this client');
  });

  return { budgets, connections: () => total };
}
