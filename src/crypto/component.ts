/**
 * The verify pool as a component: stopped after everything that verifies (the API and the
 * mirror), and its queue and throughput in /metrics. Its /healthz section is the API's
 * `crypto` field.
 */
import { Gauge, type Registry } from 'prom-client';
import type { Component } from '../component.js';

export interface PoolLike {
  stop(): Promise<void>;
  health?(): Record<string, unknown>;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function cryptoComponent(pool: PoolLike): Component {
  const read = (key: string) => num(pool.health?.()[key]);
  const gauge = (registry: Registry, name: string, help: string, key: string) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const v = read(key);
        if (v === null) this.reset();
        else this.set(v);
      },
    });
  return {
    name: 'crypto',
    after: ['store'],
    async stop() {
      await pool.stop();
    },
    metrics(registry) {
      gauge(registry, 'proofkeep_verify_queue_chunks', 'Verification chunks waiting for a worker', 'queuedChunks');
      gauge(registry, 'proofkeep_verify_workers_ready', 'Verify pool workers ready', 'workersReady');
      gauge(registry, 'proofkeep_verify_links_verified', 'Links verified by the pool since start (a counter kept by the pool)', 'verified');
      gauge(registry, 'proofkeep_verify_worker_restarts', 'Verify pool workers replaced since start', 'workerRestarts');
    },
  };
}
