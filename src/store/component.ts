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
            this.set(store.stats()[key]);
          },
        });
      stat('links', 'proofkeep_store_links', 'Links in the index');
      stat('avatars', 'proofkeep_store_avatars', 'Avatars in the index');
      stat('commits', 'proofkeep_store_commits', 'Durable append commits since start (group commit: one per batch)');
      stat('appends', 'proofkeep_store_appends', 'Links appended since start');
    },
  };
}
