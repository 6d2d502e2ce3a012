/**
 * The archive component: builds the IPFS node, the Arweave client (a real gateway with the
 * configured wallet, or the embedded local devnet), the outbox and its worker; registers the
 * append hook that writes an archive job in the same transaction as each accepted link; adds
 * GET /ipfs/:cid and GET /v1/chain/:avatar/archive; provides the API's archiveInfo and the
 * queue metrics. Owns the tables of ./migration.ts (queried in ./outbox-store.ts).
 *
 * Only the append hook must exist before the API accepts links (the outbox is durable), so the
 * heavy parts — helia/libp2p (~0.7 s just to load), the devnet — load and start in the
 * background after start() returns: the daemon serves in about a second, the worker drains
 * whatever queued meanwhile, and /healthz says `ready` once it runs. A wallet problem is still a
 * start-up error; an IPFS or devnet failure is logged and retried, with jobs kept queued.
 */
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { ApiCapabilities, Component } from '../component.js';
import type { KvAppendHook, KvStore } from '../kv/kv-store.js';
import type { AppendHook } from '../store/index.js';
import type { Reader } from '../store/read.js';
import type { Db } from '../store/sqlite.js';
import type { ArweaveClient } from './arweave.js';
import type { IpfsStores } from './blocks.js';
import type { ArchiveConfig } from './config.js';
import type { Devnet } from './devnet.js';
import { registerGateway } from './gateway.js';
import type { IpfsNode } from './ipfs.js';
import { KV_KIND, kvChains } from './kinds.js';
import { OutboxStore } from './outbox-store.js';
import { archiveRoutes } from './routes.js';
import { loadWallet } from './wallet.js';
import { PinningServiceClient, pinningServiceToken } from './pinning-service.js';
import type { ArchiveWorker } from './worker.js';
import { retry, type RetryPolicy } from '../util/retry.js';

/** Retries of a failed start of the IPFS node or devnet: until stop(), doubling up to 2 min. */
const INIT_RETRY: RetryPolicy = { attempts: Infinity, baseMs: 5_000, capMs: 120_000, factor: 2, jitter: 0 };

export interface ArchiveComponentOptions {
  config: ArchiveConfig;
  /** the shared connection, for the archive's own tables */
  db: Db;
  /** Avatars and chains, to build each version's document */
  read: Pick<Reader, 'avatarById' | 'avatarByKey' | 'chainPrefix'>;
  dataDir: string;
  log: Logger;
  /** the KVService's store: its KV chains are archived too, through the same outbox code */
  kv?: Pick<KvStore, 'avatarById' | 'avatarRow' | 'writes'>;
}

export class ArchiveComponent implements Component {
  readonly name = 'archive';
  readonly after = ['store'] as const;
  readonly outbox: OutboxStore;
  /** the same outbox code over the KV chain tables (null without the KVService) */
  readonly kvOutbox: OutboxStore | null;
  readonly onAppend?: AppendHook;
  readonly onKvAppend?: KvAppendHook;
  readonly api: ApiCapabilities;
  ipfs: IpfsNode | null = null;
  /** the IPFS node's on-disk stores, opened in start() so the gateway serves before the node runs */
  stores: IpfsStores | null = null;
  devnet: Devnet | null = null;
  worker: ArchiveWorker | null = null;
  kvWorker: ArchiveWorker | null = null;
  private arweaveInfo: Record<string, unknown> = { mode: 'disabled' };
  /** the pinning service client, built in start() (a bad URL or token file stops start-up) */
  private pinningService: PinningServiceClient | null = null;

  constructor(private readonly opts: ArchiveComponentOptions) {
    this.outbox = new OutboxStore(opts.db, opts.read, undefined, { leaseMs: opts.config.leaseMs });
    // Registered by the daemon before the API accepts anything: every accepted link gets its
    // job in its own append transaction (a 201 implies the job is durable).
    if (opts.config.enabled) this.onAppend = (ev) => this.outbox.enqueue(ev);
    this.kvOutbox = opts.kv ? new OutboxStore(opts.db, kvChains(opts.kv), KV_KIND, { leaseMs: opts.config.leaseMs }) : null;
    const kvOutbox = this.kvOutbox;
    if (opts.config.enabled && kvOutbox) this.onKvAppend = (ev) => kvOutbox.enqueue({ avatarId: ev.kvAvatarId, seq: ev.seq });
    this.api = opts.config.enabled
      ? {
          archiveInfo: {
            lastTxId: (avatarId) => this.outbox.lastTxId(avatarId),
            txIdForLink: (avatarId, seq) => this.outbox.txIdForLink(avatarId, seq),
          },
        }
      : {};
  }

  private init: Promise<void> | null = null;
  private readonly stopping = new AbortController();
  private initError = '';

  async start(): Promise<void> {
    const { config: cfg } = this.opts;
    if (!cfg.enabled) {
      this.opts.log.info('archive disabled (archive.enabled = false)');
      return;
    }
    // Checked now, not in the background: a world-readable or broken wallet must stop start-up.
    const jwk = cfg.arweave.enabled && cfg.arweave.walletFile ? loadWallet(cfg.arweave.walletFile) : null;
    const ps = cfg.pinningService;
    if (ps.url) this.pinningService = new PinningServiceClient({ url: ps.url, token: pinningServiceToken(ps), timeoutMs: ps.timeoutMs });
    // The stores are quick to open (no Helia, no libp2p): done before "listening" so pinned
    // blocks are served at once. Failing here is not fatal: the background start retries.
    if (cfg.ipfs.enabled) await this.openStores().catch((err: Error) => (this.initError = err.message));
    this.init = this.startParts(jwk);
  }

  private ipfsDir(): string {
    const { config: cfg, dataDir } = this.opts;
    return cfg.ipfs.dir ? resolve(cfg.ipfs.dir) : join(dataDir, 'ipfs');
  }

  private async openStores(): Promise<IpfsStores> {
    if (!this.stores) {
      const { IpfsStores } = await import('./blocks.js');
      this.stores = await IpfsStores.open(this.ipfsDir());
    }
    return this.stores;
  }

  /** Load and start IPFS, Arweave and the worker; retried with backoff until stop(). */
  private async startParts(jwk: ReturnType<typeof loadWallet> | null): Promise<void> {
    const signal = this.stopping.signal;
    const once = async (): Promise<void> => {
      try {
        await this.startOnce(jwk);
      } catch (err) {
        await this.stopParts();
        throw err;
      }
    };
    try {
      await retry(once, INIT_RETRY, {
        signal,
        onRetry: ({ error, delayMs }) => {
          this.initError = (error as Error).message;
          this.opts.log.error({ err: error, retryInMs: delayMs }, 'archive could not start; jobs stay queued, retrying');
        },
      });
      this.initError = '';
    } catch {
      // only stop() ends the retries (the policy retries every error, without end)
    }
  }

  private async startOnce(jwk: ReturnType<typeof loadWallet> | null): Promise<void> {
    const { config: cfg, dataDir, log } = this.opts;
    const signal = this.stopping.signal;
    if (cfg.ipfs.enabled) {
      const stores = await this.openStores();
      const { IpfsNode } = await import('./ipfs.js');
      this.ipfs = await IpfsNode.open({ dir: this.ipfsDir(), stores, listen: cfg.ipfs.listen });
      log.info({ multiaddrs: this.ipfs.multiaddrs() }, 'IPFS node started');
    }
    const kubo = cfg.ipfs.kubo.url ? new (await import('./kubo.js')).KuboPinner(cfg.ipfs.kubo.url, cfg.ipfs.kubo.timeoutMs) : null;
    let arweave: ArweaveClient | null = null;
    let owner: string | null = null;
    if (cfg.arweave.enabled) {
      const { ArweaveClient } = await import('./arweave.js');
      if (jwk) {
        arweave = new ArweaveClient({ url: cfg.arweave.gatewayUrl, jwk, timeoutMs: cfg.arweave.timeoutMs });
        owner = await arweave.address();
        this.arweaveInfo = { mode: 'gateway', url: cfg.arweave.gatewayUrl, address: owner };
        log.info({ gateway: cfg.arweave.gatewayUrl, address: owner }, 'Arweave: uploading through the configured gateway');
      } else {
        const d = cfg.arweave.devnet;
        const { startDevnet } = await import('./devnet.js');
        this.devnet = await startDevnet({ dir: join(dataDir, 'arlocal'), persist: d.persist, port: d.port, mineIntervalMs: d.mineIntervalMs });
        arweave = new ArweaveClient({ url: this.devnet.url, jwk: this.devnet.jwk, timeoutMs: cfg.arweave.timeoutMs });
        owner = this.devnet.address;
        this.arweaveInfo = { mode: 'local-devnet', url: this.devnet.url, address: owner };
        log.warn(
          { devnet: this.devnet.url, address: owner },
          'Arweave: LOCAL DEVNET (arlocal in a child process) — transactions are NOT on the real Arweave network; set archive.arweave.walletFile for production',
        );
      }
    }
    if (signal.aborted) throw new Error('stopping');
    const { ArchiveWorker } = await import('./worker.js');
    const targets = { ipfs: this.ipfs, kubo, arweave, arweaveOwner: owner, pinningService: this.pinningService };
    if (this.pinningService) log.info({ pinningService: this.pinningService.origin }, 'pinning every version on the pinning service as well');
    this.worker = new ArchiveWorker(this.outbox, targets, cfg, log);
    this.worker.start();
    if (this.kvOutbox) {
      this.kvWorker = new ArchiveWorker(this.kvOutbox, targets, cfg, log.child({ chains: 'kv' }));
      this.kvWorker.start();
    }
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.init;
    await this.stopParts();
    await this.stores?.close();
    this.stores = null;
  }

  private async stopParts(): Promise<void> {
    await this.worker?.stop();
    this.worker = null;
    await this.kvWorker?.stop();
    this.kvWorker = null;
    await this.devnet?.stop();
    this.devnet = null;
    await this.ipfs?.stop();
    this.ipfs = null;
  }

  health(): Record<string, unknown> {
    if (!this.opts.config.enabled) return { enabled: false };
    const s = this.outbox.summary();
    return {
      enabled: true,
      ready: this.worker !== null,
      ...(this.initError ? { error: this.initError } : {}),
      ...(this.worker?.health() ?? {
        queue_depth: s.jobs,
        oldest_pending_age_ms: s.oldest_enqueued_at === null ? 0 : Date.now() - s.oldest_enqueued_at,
      }),
      ...(this.kvOutbox ? { kv: this.kvWorker?.health() ?? { queue_depth: this.kvOutbox.summary().jobs } } : {}),
      ipfs: !this.opts.config.ipfs.enabled
        ? { enabled: false }
        : {
            enabled: true,
            // the gateway reads the stores; bitswap and pinning need the node
            gateway: this.opts.config.ipfs.gateway && this.stores !== null,
            node: this.ipfs !== null,
            multiaddrs: this.ipfs ? this.ipfs.multiaddrs() : [],
          },
      arweave: this.arweaveInfo,
      // per state, the requests of proof-chain versions (kv.pinning_service: of KV-chain versions)
      pinning_service: this.pinningService
        ? { enabled: true, url: this.pinningService.origin, ...this.outbox.remotePins.counts() }
        : { enabled: false },
    };
  }

  metrics(registry: Registry): void {
    if (!this.opts.config.enabled) return;
    const outbox = this.outbox;
    // One summary query per scrape, shared by the two gauges (collected one after the other).
    let last: { at: number; s: ReturnType<OutboxStore['summary']> } | null = null;
    const summary = () => {
      const now = Date.now();
      if (!last || now - last.at > 100) {
        try {
          last = { at: now, s: outbox.summary() };
        } catch {
          // the database away: the last figures stand (the store's reachable gauge says why)
          last ??= { at: now, s: { jobs: 0, avatars: 0, oldest_enqueued_at: null, failing_avatars: 0 } };
        }
      }
      return { now, s: last.s };
    };
    new Gauge({
      name: 'proofkeep_archive_queue_depth',
      help: 'Archive jobs pending (accepted links whose chain version is not archived yet)',
      registers: [registry],
      collect() {
        this.set(summary().s.jobs);
      },
    });
    new Gauge({
      name: 'proofkeep_archive_oldest_pending_age_seconds',
      help: 'Age of the oldest pending archive job (0 when none)',
      registers: [registry],
      collect() {
        const { now, s } = summary();
        this.set(s.oldest_enqueued_at === null ? 0 : Math.max(0, now - s.oldest_enqueued_at) / 1000);
      },
    });
  }

  routes(app: FastifyInstance): void {
    archiveRoutes(app, this.opts.read, this.outbox, this.kvOutbox && this.opts.kv ? { store: this.opts.kv, outbox: this.kvOutbox } : undefined, this.opts.config.pinningService.url !== '');
    if (this.opts.config.ipfs.gateway) registerGateway(app, () => this.stores);
  }
}
