/**
 * The KVService component (SPEC §8): owns the KV tables (./migration.ts, listed in src/schema.ts;
 * queried only in ./kv-store.ts), contributes the /v1/kv routes and a /healthz section. The
 * KV store's `onAppend` is the in-transaction hook point for KV writes, like the proof store's
 * for links: the daemon registers every component's `onKvAppend` there (archive jobs, log entries).
 */
import type { Component } from '../component.js';
import type { KvDeps } from './deps.js';
import { kvRoutes } from './routes.js';
import type { KvStore } from './kv-store.js';

export { kv as kvMigration } from './migration.js';
export { KvStore, type KvAppendEvent, type KvAppendHook } from './kv-store.js';
export type { KvDeps } from './deps.js';

export function kvComponent(deps: Omit<KvDeps, 'now'> & { now?: () => number }): Component & { kv: KvStore } {
  const full: KvDeps = { ...deps, now: deps.now ?? (() => Date.now()) };
  return {
    name: 'kv',
    after: ['store'],
    kv: deps.kv,
    health: () => deps.kv.counts(),
    routes(app) {
      kvRoutes(app, full);
    },
  };
}
