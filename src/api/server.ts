/**
 * The HTTP API: one fastify app, Next.ID-compatible routes plus native ones, one error
 * mapping, body limits, and the limits that keep it usable under a hostile client (limits/).
 * Components may add routes before it listens.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { ProofError } from '../core/index.js';
import { jsonWhateverTheContentType, openCors } from './compat.js';
import type { ApiDeps } from './deps.js';
import { errorHandler, sendError } from './errors.js';
import { installLimits } from './limits/index.js';
import { apiMetrics, NO_INGEST_METRICS } from './metrics.js';
import { lazyChildLogger } from './request-log.js';
import { chainRoutes } from './routes/chain.js';
import { linkRoutes } from './routes/links.js';
import { proofRoutes } from './routes/proof.js';
import { restoreRoutes } from './routes/restore.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    write?: boolean;
  }
}

export function buildApi(deps: ApiDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.log as unknown as FastifyBaseLogger,
    // Per-request logs would dominate at ingest rates; errors are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    // ... and each request's child logger is made only if the request logs (./request-log.ts).
    childLoggerFactory: lazyChildLogger,
    bodyLimit: deps.config.bodyLimit,
    // Who the client is, for limits, is decided in limits/client.ts (server.trustProxy).
    trustProxy: false,
    requestTimeout: deps.config.requestTimeoutMs,
    keepAliveTimeout: deps.config.keepAliveTimeoutMs,
    return503OnClosing: true,
    // An uncompressed key in a path (/v1/chain/0x04…) is 132 characters; the default is 100.
    routerOptions: { maxParamLength: 256 },
    // Router-level errors (bad URL encoding, overlong path parameter) get our error shape too.
    frameworkErrors: (err, req, reply) => errorHandler(err, req, reply),
    forceCloseConnections: 'idle',
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });
  const ingest = deps.metrics ? apiMetrics(app, deps.metrics) : NO_INGEST_METRICS;
  app.setErrorHandler(errorHandler);
  jsonWhateverTheContentType(app);
  if (deps.config.cors) openCors(app);
  app.setNotFoundHandler((req, reply) => {
    void sendError(reply, new ProofError('NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`));
  });
  // Connection caps, timeouts, operator routes, the write rate limit and per-client budgets.
  installLimits(app, deps.config);
  app.get('/healthz', async () => {
    const started = Date.now() - Math.round(process.uptime() * 1000);
    return {
      hello: 'proof service',
      platforms: deps.config.platforms,
      version: deps.version,
      read_only: deps.readOnly === true,
      started_at: Math.floor(started / 1000),
      crypto: deps.verifier.health?.() ?? { backend: deps.verifier.backend.name },
      store: deps.store.health(),
      ...(deps.health?.() ?? {}),
    };
  });
  proofRoutes(app, deps);
  restoreRoutes(app, deps);
  chainRoutes(app, deps);
  linkRoutes(app, deps, ingest);
  return app;
}

