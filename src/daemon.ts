/**
 * Builds the daemon's components from the frozen config and starts/stops them in order:
 * store → crypto → kv → archive → checkers → mirror → api; stop runs in reverse (stop accepting,
 * finish in-flight work, flush, close). No component holds a queue only in memory: background
 * loops resume from what the store says.
 */
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ApiDeps } from './api/deps.js';
import { checkersComponent } from './checkers/index.js';
import { buildApi } from './api/server.js';
import type { BulkVerifier } from './crypto/verifier.js';
import { archiveComponent } from './archive/index.js';
import type { Config } from './config/schema.js';
import { VerifyPool } from './crypto/pool.js';
import { kvComponent, type KvStore } from './kv/index.js';
import { explorerFactory } from './explorer/component.js';
import { mirrorFactory } from './mirror/index.js';
import { Store } from './store/index.js';
import { subkeysComponent } from './subkeys/index.js';
import { VERSION } from './version.js';

export interface Component {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  health?(): Record<string, unknown>;
  routes?(app: FastifyInstance): void | Promise<void>;
}

/** What component factories get: shared parts plus the API deps they may fill in. */
export interface DaemonContext {
  config: Config;
  log: Logger;
  store: Store;
  verifier: BulkVerifier;
  dataDir: string;
  api: ApiDeps;
  /** the KVService's store, set by the kv component (built first) for the archive and mirror */
  kv?: KvStore;
  /** the Arweave tx of the KV chain version that first covered write `seq` (set by the archive) */
  kvArchiveTx?: (kvAvatarId: number, seq: number) => string | null;
}

export type ComponentFactory = (ctx: DaemonContext) => Component | Promise<Component>;

/** Built and started in this order after the store and the crypto pool; stopped in reverse. */
const STANDARD_COMPONENTS: ComponentFactory[] = [kvComponent, archiveComponent, checkersComponent, mirrorFactory, subkeysComponent, explorerFactory];

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
    readonly ctx: DaemonContext,
    readonly app: FastifyInstance,
    private readonly components: Component[],
    readonly url: string,
    private readonly pool: VerifyPool,
  ) {}

  static async start(config: Config, opts: DaemonOptions): Promise<Daemon> {
    const log = opts.log;
    const dataDir = resolve(config.store.dataDir);
    const store = Store.open({ file: join(dataDir, config.store.file), log: log.child({ part: 'store' }), groupCommitMs: config.store.groupCommitMs, busyTimeoutMs: config.store.busyTimeoutMs });
    const started: Component[] = [];
    let pool: VerifyPool | null = null;
    try {
      // Backend selection (and its self-test) happens here: crypto.backend = native that cannot
      // load is a start-up error; auto falling back to noble logs a warning.
      pool = new VerifyPool({ mode: config.crypto.backend, workers: config.crypto.workers, log: log.child({ part: 'crypto' }) });
      await pool.start();
      const verifier: BulkVerifier = pool;
      log.info({ backend: pool.backendName, workers: pool.workers }, 'signature recovery backend');
      const api: ApiDeps = { config: config.server, log: log.child({ part: 'api' }), store, verifier, version: VERSION };
      const ctx: DaemonContext = { config, log, store, verifier, dataDir, api };
      for (const make of [...STANDARD_COMPONENTS, ...(opts.components ?? [])]) {
        const c = await make(ctx);
        await c.start();
        started.push(c);
      }
      api.health = () => Object.fromEntries(started.filter((c) => c.health).map((c) => [c.name, c.health!()]));
      const app = buildApi(api);
      for (const c of started) await c.routes?.(app);
      const address = await app.listen({ host: config.server.host, port: config.server.port });
      const url = address;
      log.info({ url, dataDir }, 'proofkeep started');
      return new Daemon(config, log, ctx, app, started, url, pool);
    } catch (err) {
      for (const c of started.reverse()) await c.stop().catch((e: unknown) => log.error({ err: e }, `stopping ${c.name} failed`));
      await pool?.stop();
      await store.close();
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
      for (const c of [...this.components].reverse()) {
        await c.stop().catch((err: unknown) => this.log.error({ err }, `stopping ${c.name} failed`));
      }
      // After the API and components: in-flight bulk imports have finished using the pool.
      await this.pool.stop();
      await this.ctx.store.close();
      this.log.info('proofkeep stopped');
    })();
    return this.stopping;
  }
}
