/**
 * The metrics component: GET /metrics in the Prometheus text format, served from the daemon's
 * one registry, on which every component registers its own collectors (see src/component.ts),
 * plus the event-loop delay of the API's thread. The metrics carry no secret and no
 * client-chosen label values (routes are templates, codes a closed set).
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Gauge, type Registry } from 'prom-client';
import type { Component } from '../component.js';

const QUANTILES = [0.5, 0.9, 0.99] as const;

export function metricsComponent(registry: Registry): Component {
  // 10 ms resolution: the sampling timer itself costs ~nothing at that rate.
  let loop: IntervalHistogram | null = null;
  return {
    name: 'metrics',
    async start() {
      loop = monitorEventLoopDelay({ resolution: 10 });
      loop.enable();
    },
    async stop() {
      loop?.disable();
      loop = null;
    },
    metrics(reg) {
      new Gauge({
        name: 'proofkeep_event_loop_delay_seconds',
        help: 'Event-loop delay of the API thread since the previous scrape, by quantile (and max)',
        labelNames: ['quantile'] as const,
        registers: [reg],
        collect() {
          this.reset();
          if (!loop || loop.count === 0) return;
          for (const q of QUANTILES) this.set({ quantile: String(q) }, loop.percentile(q * 100) / 1e9);
          this.set({ quantile: 'max' }, loop.max / 1e9);
          loop.reset();
        },
      });
    },
    routes(app) {
      app.get('/metrics', async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));
    },
  };
}
