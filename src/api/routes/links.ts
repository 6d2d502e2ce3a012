/** POST /v1/links: bulk import of already-signed links (an operator's tool: mirrors, importers, benchmarks). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isRecord } from '../../core/index.js';
import { clientGone } from '../abort.js';
import type { ApiDeps } from '../deps.js';
import { importLinks } from '../ingest.js';
import type { IngestMetrics } from '../metrics.js';

/**
 * What an import costs before any of it is verified: one signature recovery per link, two for a
 * link carrying a wallet signature. The body is attacker-controlled and not yet validated: an
 * oversized or malformed one is refused cheaply by the handler, so it is charged one.
 */
export function importCost(body: unknown, maxLinks: number): number {
  const links = isRecord(body) ? body['links'] : undefined;
  if (!Array.isArray(links) || links.length > maxLinks) return 1;
  let n = 0;
  for (const l of links) {
    const extra = isRecord(l) ? l['extra'] : undefined;
    n += isRecord(extra) && typeof extra['wallet_signature'] === 'string' && extra['wallet_signature'] !== '' ? 2 : 1;
  }
  return Math.max(1, n);
}

export function linkRoutes(app: FastifyInstance, deps: ApiDeps, metrics: IngestMetrics): void {
  const cost = { recoveries: (req: FastifyRequest) => importCost(req.body, deps.config.bulkMaxLinks) };
  app.post('/v1/links', { bodyLimit: deps.config.bulkBodyLimit, config: { write: true, operator: true, cost } }, async (req, reply) => {
    const results = await importLinks(deps, req.body, clientGone(reply));
    for (const r of results) metrics.link(r.status, r.code);
    const count = (s: string) => results.filter((r) => r.status === s).length;
    return { accepted: count('accepted'), exists: count('exists'), rejected: count('rejected'), results };
  });
}
