/**
 * The store as a component: closed last (after every component that appends or reads), and
 * its size and group-commit effect in /metrics. Its /healthz section is the API's `store`.
 */
import { Gauge } from 'prom-client';
import type { Component } from '../component.js';
import type { Store } from './index.js';

export function storeComponent(store: Store): Component {
  return {
    name: 'store',
    async stop() {
      await store.close();
    },
    metrics(registry) {
      const stat = (key: 'links' | 'avatars' | 'commits' | 'appends', name: string, help: string) =>
        new Gauge({
          name,
          help,
          registers: [registry],
          collect() {
            // The database away: the counts keep their last value; proofkeep_store_reachable says why.
            const v = store.health()[key];
            if (typeof v === 'number') this.set(v);
          },
        });
      new Gauge({
        name: 'proofkeep_store_reachable',
        help: 'Whether the database answers (1) or not (0: PostgreSQL down or timing out)',
        registers: [registry],
        collect() {
          this.set(store.health().reachable ? 1 : 0);
        },
      });
      stat('links', 'proofkeep_store_links', 'Links in the index');
      stat('avatars', 'proofkeep_store_avatars', 'Avatars in the index');
      stat('commits', 'proofkeep_store_commits', 'Durable append commits since start (group commit: one per batch)');
      stat('appends', 'proofkeep_store_appends', 'Links appended since start');
    },
  };
}
