/**
 * The KVService component (SPEC §8): owns the KV tables (./migration.ts, listed in src/schema.ts;
 * queried only in ./kv-store.ts), contributes the /v1/kv routes and a /healthz section. The
 * KV store's `onAppend` is the in-transaction hook point for KV writes, like the proof store's
 * for links: the daemon registers every component's `onKvAppend` there (archive jobs, log entries).
 */
import type { Component } from '../component.js';
import type { KvChange } from '../store/index.js';
import type { KvDeps } from './deps.js';
import { kvRoutes } from './routes.js';
import type { KvStore } from './kv-store.js';

export { kv as kvMigration } from './migration.js';
export { KvStore, type KvAppendEvent, type KvAppendHook } from './kv-store.js';
export type { KvDeps } from './deps.js';

export interface KvComponentDeps extends Omit<KvDeps, 'now'> {
  now?: () => number;
  /** reports each stored write inside its transaction (the verifiable log's store.changed) */
  report?: (ev: KvChange) => void;
}

export function kvComponent(deps: KvComponentDeps): Component & { kv: KvStore } {
  const { report, ...rest } = deps;
  const full: KvDeps = { ...rest, now: deps.now ?? (() => Date.now()) };
  if (report) {
    deps.kv.onAppend((ev) =>
      report({
        kind: 'kv', id: ev.writeId, avatar: ev.avatar, platform: ev.write.platform, identity: ev.write.identity, uuid: ev.write.uuid,
        created_at: ev.write.created_at, sign_payload: ev.write.sign_payload, signature: ev.write.signature,
      }),
    );
  }
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
