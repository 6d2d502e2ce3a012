/**
 * The KVService component (SPEC §8): owns the KV tables (kv-store.ts), contributes the
 * /v1/kv routes and a /healthz section, and exposes `kv.onAppend` — the in-transaction hook
 * point for KV appends, like the proof store's `onAppend` for links.
 */
import type { FastifyInstance } from 'fastify';
import type { Component, DaemonContext } from '../daemon.js';
import type { KvDeps } from './deps.js';
import { KvStore } from './kv-store.js';
import { kvRoutes } from './routes.js';

export { KvStore, type KvAppendEvent, type KvAppendHook } from './kv-store.js';

export class KvComponent implements Component {
  readonly name = 'kv';
  readonly kv: KvStore;
  readonly deps: KvDeps;

  constructor(ctx: DaemonContext) {
    this.kv = new KvStore(ctx.store.db);
    const api = ctx.api;
    const self = this;
    this.deps = {
      kv: this.kv,
      store: ctx.store,
      server: ctx.config.server,
      backend: () => ctx.verifier.backend,
      // Read per request: the mirror component marks the API read-only after this is built.
      get readOnly() {
        return api.readOnly === true;
      },
      archiveTx: (id, seq) => self.archiveTx?.(id, seq) ?? null,
      now: () => Date.now(),
      log: ctx.log.child({ part: 'kv' }),
    };
  }

  /** Filled by the archive when it archives KV chains. */
  archiveTx: ((kvAvatarId: number, seq: number) => string | null) | null = null;

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  health(): Record<string, unknown> {
    return this.kv.counts();
  }

  routes(app: FastifyInstance): void {
    kvRoutes(app, this.deps);
  }
}

export function kvComponent(ctx: DaemonContext): KvComponent {
  const c = new KvComponent(ctx);
  ctx.kv = c.kv;
  // Resolved per request: the archive component (built next) provides the KV versions' txs.
  c.archiveTx = (id, seq) => ctx.kvArchiveTx?.(id, seq) ?? null;
  return c;
}
