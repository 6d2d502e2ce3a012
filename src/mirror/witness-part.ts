/**
 * Assembles the mirror's witness: its Ed25519 cosigning key (generated into the data dir, 0600,
 * never logged), the Witness (cosigned state, alarms), and the LogFollower that rebuilds and
 * checks the upstream's log. Used by the mirror component when mirror.upstreamVerifierKey is set.
 */
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { parseVerifierKey } from '../core/tlog/index.js';
import { keyNameIn, loadLogKey } from '../log/key.js';
import type { Db } from '../store/sqlite.js';
import type { MirrorConfig } from './config.js';
import { mirrorRetryPolicy } from './follower.js';
import { LogFollower } from './log-follower.js';
import { WitnessState } from './witness-state.js';
import { witnessRoutes } from './witness-routes.js';
import { Witness } from './witness.js';

export interface WitnessPart {
  start(): void;
  stop(): Promise<void>;
  alarmed(): boolean;
  cosignedSize(): number | null;
  health(): Record<string, unknown>;
  routes(app: FastifyInstance): void;
}

export function buildWitness(o: {
  config: MirrorConfig; db: Db; dataDir: string; adminToken: string; log: Logger;
  onAlarm(): void; resumeFeed(): void;
}): WitnessPart {
  const { config, log } = o;
  const upstreamKey = parseVerifierKey(config.upstreamVerifierKey);
  const keyFile = config.witnessKeyFile ? resolve(config.witnessKeyFile) : join(o.dataDir, 'witness.key');
  const name = config.witnessName || keyNameIn(keyFile) || `${hostname().replace(/[\s+]/g, '-') || 'localhost'}/proofkeep-witness`;
  const { key, generated } = loadLogKey({ file: keyFile, origin: name, generate: !config.witnessKeyFile });
  const state = new WitnessState(o.db, config.upstream);
  let follower: LogFollower | null = null;
  const witness = new Witness({
    state, origin: upstreamKey.name, verifier: upstreamKey, key,
    onAlarm: (kind, message) => {
      log.error({ kind, message, upstream: config.upstream }, 'mirror: ALARM — the upstream log is inconsistent; evidence kept, following stopped');
      o.onAlarm();
    },
  });
  if (generated) log.info({ keyFile, cosignerKey: witness.cosignerKey }, 'generated a new witness key');
  follower = new LogFollower(
    config.upstream, witness, state,
    { timeoutMs: config.timeoutMs, retries: 0, retryBaseMs: 0, maxBodyBytes: config.maxPageBytes },
    mirrorRetryPolicy(config), config.pollIntervalMs, log,
  );
  const f = follower;
  return {
    start: () => f.start(),
    stop: () => f.stop(),
    alarmed: () => state.active() !== undefined,
    cosignedSize: () => witness.latest()?.size ?? null,
    health: () => ({
      ...witness.health(),
      upstream_verifier_key: config.upstreamVerifierKey,
      following: f.status.following,
      rebuilt_size: f.status.rebuiltSize,
      upstream_size: f.status.upstreamSize,
      last_check_at: f.status.lastCheckAt === null ? null : Math.floor(f.status.lastCheckAt / 1000),
      last_error: f.status.lastError,
      evidence: '/v1/mirror/alarms',
    }),
    routes: (app) => witnessRoutes(app, {
      witness, state, adminToken: o.adminToken,
      resume: async (reset) => {
        await f.stop();
        if (reset) f.reload();
        f.start();
        o.resumeFeed();
      },
    }),
  };
}
