/**
 * The archive component: builds the IPFS node, the Arweave client (a real gateway with the
 * configured wallet, or the embedded local devnet), the outbox and its worker; registers the
 * append hook that writes an archive job in the same transaction as each accepted link; adds
 * GET /ipfs/:cid and GET /v1/chain/:avatar/archive; fills the API's archiveInfo provider.
 */
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ArchiveInfo } from '../api/deps.js';
import type { Store } from '../store/index.js';
import { ArweaveClient } from './arweave.js';
import type { ArchiveConfig } from './config.js';
import { startDevnet, type Devnet } from './devnet.js';
import { registerGateway } from './gateway.js';
import { IpfsNode } from './ipfs.js';
import { KuboPinner } from './kubo.js';
import { OutboxStore } from './outbox-store.js';
import { archiveRoutes } from './routes.js';
import { loadWallet } from './wallet.js';
import { ArchiveWorker } from './worker.js';

export interface ArchiveComponentOptions {
  config: ArchiveConfig;
  store: Store;
  dataDir: string;
  log: Logger;
}

export class ArchiveComponent {
  readonly name = 'archive';
  readonly outbox: OutboxStore;
  readonly archiveInfo: ArchiveInfo;
  ipfs: IpfsNode | null = null;
  devnet: Devnet | null = null;
  worker: ArchiveWorker | null = null;
  private arweaveInfo: Record<string, unknown> = { mode: 'disabled' };

  constructor(private readonly opts: ArchiveComponentOptions) {
    this.outbox = new OutboxStore(opts.store.db);
    // Registered at construction, before the API accepts anything: every accepted link gets
    // its job in its own append transaction (a 201 implies the job is durable).
    if (opts.config.enabled) opts.store.onAppend((ev) => this.outbox.enqueue(ev));
    this.archiveInfo = {
      lastTxId: (avatarId) => this.outbox.lastTxId(avatarId),
      txIdForLink: (avatarId, seq) => this.outbox.txIdForLink(avatarId, seq),
    };
  }

  async start(): Promise<void> {
    const { config: cfg, dataDir } = this.opts;
    const log = this.opts.log;
    if (!cfg.enabled) {
      log.info('archive disabled (archive.enabled = false)');
      return;
    }
    try {
      if (cfg.ipfs.enabled) {
        this.ipfs = await IpfsNode.open({ dir: cfg.ipfs.dir ? resolve(cfg.ipfs.dir) : join(dataDir, 'ipfs'), listen: cfg.ipfs.listen });
        log.info({ multiaddrs: this.ipfs.multiaddrs() }, 'IPFS node started');
      }
      const kubo = cfg.ipfs.kubo.url ? new KuboPinner(cfg.ipfs.kubo.url, cfg.ipfs.kubo.timeoutMs) : null;
      let arweave: ArweaveClient | null = null;
      let owner: string | null = null;
      if (cfg.arweave.enabled) {
        if (cfg.arweave.walletFile) {
          const jwk = loadWallet(cfg.arweave.walletFile);
          arweave = new ArweaveClient({ url: cfg.arweave.gatewayUrl, jwk, timeoutMs: cfg.arweave.timeoutMs });
          owner = await arweave.address();
          this.arweaveInfo = { mode: 'gateway', url: cfg.arweave.gatewayUrl, address: owner };
          log.info({ gateway: cfg.arweave.gatewayUrl, address: owner }, 'Arweave: uploading through the configured gateway');
        } else {
          const d = cfg.arweave.devnet;
          this.devnet = await startDevnet({ dir: join(dataDir, 'arlocal'), persist: d.persist, port: d.port, mineIntervalMs: d.mineIntervalMs });
          arweave = new ArweaveClient({ url: this.devnet.url, jwk: this.devnet.jwk, timeoutMs: cfg.arweave.timeoutMs });
          owner = this.devnet.address;
          this.arweaveInfo = { mode: 'local-devnet', url: this.devnet.url, address: owner };
          log.warn(
            { devnet: this.devnet.url, address: owner },
            'Arweave: LOCAL DEVNET (in-process arlocal) — transactions are NOT on the real Arweave network; set archive.arweave.walletFile for production',
          );
        }
      }
      this.worker = new ArchiveWorker(this.outbox, { ipfs: this.ipfs, kubo, arweave, arweaveOwner: owner }, cfg, log);
      this.worker.start();
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    await this.worker?.stop();
    this.worker = null;
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
      ...(this.worker?.health() ?? {
        queue_depth: s.jobs,
        oldest_pending_age_ms: s.oldest_enqueued_at === null ? 0 : Date.now() - s.oldest_enqueued_at,
      }),
      ipfs: this.ipfs ? { multiaddrs: this.ipfs.multiaddrs() } : { enabled: false },
      arweave: this.arweaveInfo,
    };
  }

  routes(app: FastifyInstance): void {
    archiveRoutes(app, this.opts.store, this.outbox);
    if (this.opts.config.ipfs.gateway) registerGateway(app, () => this.ipfs);
  }
}
