/**
 * The API's own metrics: requests and latency per route, links accepted and rejected per code.
 * Labels are route templates (never the raw URL, which the client chooses) and stable codes.
 */
import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, type Registry } from 'prom-client';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** the route takes one link (POST /v1/proof): its answer counts as that link's fate */
    oneLink?: boolean;
  }
}

export interface IngestMetrics {
  /** one link's fate in a bulk import (POST /v1/links answers per link) */
  link(outcome: 'accepted' | 'exists' | 'rejected', code?: string): void;
}

export const NO_INGEST_METRICS: IngestMetrics = { link() {} };

export function apiMetrics(app: FastifyInstance, registry: Registry): IngestMetrics {
  const requests = new Counter({
    name: 'proofkeep_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'proofkeep_http_request_duration_seconds',
    help: 'Time from request to response, by method and route template',
    labelNames: ['method', 'route'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const links = new Counter({
    name: 'proofkeep_links_total',
    help: 'Links received through the API, by outcome (accepted, exists, rejected) and code (empty unless rejected)',
    labelNames: ['outcome', 'code'] as const,
    registers: [registry],
  });
  app.addHook('onResponse', async (req, reply) => {
    // Unmatched URLs (404s) share one label: the path is attacker-chosen.
    const route = req.routeOptions.url ?? 'unmatched';
    requests.inc({ method: req.method, route, status: String(reply.statusCode) });
    latency.observe({ method: req.method, route }, reply.elapsedTime / 1000);
  });
  // A one-link route's answer is its link's fate, whatever refused it (schema, parser, rate limit,
  // verification, the chain rule): the error body is ours, so its `code` is one of the catalogue's.
  app.addHook('onSend', async (req, reply, payload) => {
    if (!req.routeOptions.config?.oneLink) return payload;
    if (reply.statusCode === 201) links.inc({ outcome: 'accepted', code: '' });
    else if (reply.statusCode >= 400) links.inc({ outcome: 'rejected', code: errorCode(payload) });
    return payload;
  });
  return { link: (outcome, code = '') => links.inc({ outcome, code: outcome === 'rejected' ? code : '' }) };
}

function errorCode(payload: unknown): string {
  if (typeof payload !== 'string') return 'UNKNOWN';
  try {
    const code = (JSON.parse(payload) as { code?: unknown }).code;
    return typeof code === 'string' && /^[A-Z_]{1,40}$/.test(code) ? code : 'UNKNOWN';
  } catch {
    return 'UNKNOWN';
  }
}
