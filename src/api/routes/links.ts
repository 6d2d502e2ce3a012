/** POST /v1/links: bulk import of already-signed links (mirrors, importers, benchmarks). */
import type { FastifyInstance } from 'fastify';
import { clientGone } from '../abort.js';
import type { ApiDeps } from '../deps.js';
import { importLinks } from '../ingest.js';
import type { IngestMetrics } from '../metrics.js';

export function linkRoutes(app: FastifyInstance, deps: ApiDeps, metrics: IngestMetrics): void {
  app.post('/v1/links', { bodyLimit: deps.config.bulkBodyLimit, config: { write: true } }, async (req, reply) => {
    const results = await importLinks(deps, req.body, clientGone(reply));
    for (const r of results) metrics.link(r.status, r.code);
    const count = (s: string) => results.filter((r) => r.status === s).length;
    return { accepted: count('accepted'), exists: count('exists'), rejected: count('rejected'), results };
  });
}
