/**
 * The composition root: opens the database with every table owner's migrations, builds each
 * component from the narrow dependencies it names, and composes what they contribute (see
 * src/component.ts): append hooks are registered before anything is accepted, components
 * start in dependency order, the API is built once with the merged capabilities, health
 * sections and metrics, then routes are added and it listens. Stop runs in reverse (stop
 * accepting, finish in-flight work, flush, close). No component holds a queue only in memory:
 * background loops resume from what the store says.
 */
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { ArchiveComponent } from './archive/index.js';
import { buildApi } from './api/server.js';
import { checkersComponent } from './checkers/index.js';
import type { Component } from './component.js';
import { healthSections, mergeCapabilities, startOrder } from './compose.js';
import type { Config } from './config/schema.js';
import { cryptoComponent } from './crypto/component.js';
import { explorerComponent } from './explorer/component.js';
import { kvComponent, KvStore } from './kv/index.js';
import { VerifyPool } from './crypto/pool.js';
import type { BulkVerifier } from './crypto/verifier.js';
import { logComponent } from './log/index.js';
import { metricsComponent } from './metrics/index.js';
import { mirrorComponent } from './mirror/index.js';
import { SCHEMA } from './schema.js';
import { storeComponent } from './store/component.js';
import { subkeysComponent } from './subkeys/index.js';
import { openConfigured, Store, type Db } from './store/index.js';
import { VERSION } from './version.js';

/** What an extra component (tests, embedders) may be built from. */
export interface SharedDeps {
  readonly config: Config;
  readonly log: Logger;
  readonly store: Store;
  readonly verifier: BulkVerifier;
  readonly dataDir: string;
  /** the shared connection: for tables the extra component migrated itself */
  readonly db: Db;
}

export type ComponentFactory = (deps: SharedDeps) => Component | Promise<Component>;

export interface DaemonOptions {
  log: Logger;
  /** extra components (tests, embedders), built after the standard ones */
  components?: ComponentFactory[];
}

export class Daemon {
  private stopping: Promise<void> | null = null;

  private constructor(
    readonly config: Config,
    readonly log: Logger,
    readonly store: Store,
    readonly app: FastifyInstance,
    /** in start order */
    private readonly components: readonly Component[],
    readonly url: string,
    /** the Prometheus registry every component registered on */
    readonly metrics: Registry,
  ) {}

  static async start(config: Config, opts: DaemonOptions): Promise<Daemon> {
    const log = opts.log;
    const dataDir = resolve(config.store.dataDir);
    const db = openConfigured(config.store, SCHEMA);
    const store = new Store(db, { log: log.child({ part: 'store' }), groupCommitMs: config.store.groupCommitMs });
    const started: Component[] = [];
    let app: FastifyInstance | null = null;
    let closeFoundations = (): Promise<void> => store.close();
    try {
      // Backend selection (and its self-test) happens here: crypto.backend = native that cannot
      // load is a start-up error; auto falling back to noble logs a warning.
      const pool = new VerifyPool({ mode: config.crypto.backend, workers: config.crypto.workers, log: log.child({ part: 'crypto' }) });
      closeFoundations = async () => {
        await pool.stop();
        await store.close();
      };
      await pool.start();
      const verifier: BulkVerifier = pool;
      log.info({ backend: pool.backendName, workers: pool.workers }, 'signature recovery backend');

      const registry = new Registry();
      // The KVService's store: its tables are the kv component's; the archive and the mirror
      // write KV chains through its one append path.
      const kv = new KvStore(db);
      const mirror = mirrorComponent({
        config: config.mirror, db, store, verifier, kv, dataDir, adminToken: config.server.adminToken, log: log.child({ part: 'mirror' }),
        createdAtSkewSeconds: config.server.createdAtSkewSeconds,
      });
      const archive = new ArchiveComponent({ config: config.archive, db, read: store.read, kv, dataDir, log: log.child({ part: 'archive' }) });
      const kvArchive = config.archive.enabled ? archive.kvOutbox : null;
      const built: Array<Component | null> = [
        storeComponent(store),
        cryptoComponent(pool),
        // Early in the order, so it stops after everything that appends: its last checkpoint covers all.
        logComponent({ config: config.tlog, db, read: store.read, dataDir, log: log.child({ part: 'tlog' }) }),
        archive,
        kvComponent({
          kv, store, server: config.server, backend: verifier.backend, readOnly: mirror?.api?.readOnly === true, log: log.child({ part: 'kv' }),
          report: (ev) => store.changed(ev),
          ...(kvArchive ? { archiveTx: (id: number, seq: number) => kvArchive.txIdForLink(id, seq) || null } : {}),
        }),
        checkersComponent({
          config: config.checkers, adminToken: config.server.adminToken, db, bindings: store.bindings, read: store.read,
          backend: verifier.backend, log: log.child({ part: 'checkers' }),
        }),
        mirror,
        subkeysComponent({
          db, backend: verifier.backend, readOnly: mirror?.api?.readOnly === true, report: (ev) => store.changed(ev),
          mirror: config.mirror, log: log.child({ part: 'mirror' }),
        }),
        explorerComponent({ config: config.explorer, log: log.child({ part: 'explorer' }) }),
        metricsComponent(registry),
      ];
      const shared: SharedDeps = Object.freeze({ config, log, store, verifier, dataDir, db });
      for (const make of opts.components ?? []) built.push(await make(shared));
      const components = startOrder(built.filter((c): c is Component => c !== null));

      // Before anything can append: every accepted link runs every hook in its transaction.
      for (const c of components) if (c.onAppend) store.onAppend(c.onAppend);
      for (const c of components) if (c.onKvAppend) kv.onAppend(c.onKvAppend);
      for (const c of components) if (c.onChange) store.onChange(c.onChange);
      for (const c of components) c.metrics?.(registry);
      for (const c of components) {
        await c.start?.();
        started.push(c);
      }
      app = buildApi({
        config: config.server, log: log.child({ part: 'api' }), store, verifier, version: VERSION,
        ...mergeCapabilities(components), health: healthSections(components), metrics: registry,
      });
      for (const c of components) await c.routes?.(app);
      const url = await app.listen({ host: config.server.host, port: config.server.port });
      log.info({ url, dataDir }, 'proofkeep started');
      return new Daemon(config, log, store, app, components, url, registry);
    } catch (err) {
      await app?.close().catch(() => undefined);
      // Once started, the store and crypto components (first in order) close the foundations.
      if (started.length === 0) await closeFoundations();
      for (const c of started.reverse()) await c.stop?.().catch((e: unknown) => log.error({ err: e }, `stopping ${c.name} failed`));
      throw err;
    }
  }

  /** Graceful stop; idempotent. In-flight requests finish (up to shutdownGraceMs). */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const grace = setTimeout(() => this.app.server.closeAllConnections(), this.config.server.shutdownGraceMs);
      try {
        await this.app.close();
      } finally {
        clearTimeout(grace);
      }
      // Reverse start order: the mirror and checkers, the archive, then the verify pool (in-flight
      // bulk imports have finished using it) and last the store.
      for (const c of [...this.components].reverse()) {
        await c.stop?.().catch((err: unknown) => this.log.error({ err }, `stopping ${c.name} failed`));
      }
      this.log.info('proofkeep stopped');
    })();
    return this.stopping;
  }
}
