/**
 * The mirror component: built when config `mirror.upstream` is set. It makes the daemon
 * read-only (write routes answer 403 READ_ONLY), follows the upstream feed (and a proofkeep
 * upstream's KV feed) in the background,
 * lists quarantined links at GET /v1/mirror/faults, and reports its lag in /healthz and
 * /metrics. Owns the tables of ./migration.ts (queried in ./state.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { Component } from '../component.js';
import { fail } from '../core/index.js';
import type { BulkVerifier } from '../crypto/verifier.js';
import type { Store } from '../store/index.js';
import type { Db } from '../store/sqlite.js';
import type { MirrorConfig } from './config.js';
import { MirrorFollower } from './follower.js';
import { KvFollower, kvFeedKey } from './kv-follower.js';
import { MirrorState } from './state.js';
import { buildWitness, type WitnessPart } from './witness-part.js';
import type { KvStore } from '../kv/kv-store.js';

export { mirrorSection, type MirrorConfig } from './config.js';
export { MirrorFollower } from './follower.js';
export { MirrorState } from './state.js';
export { mirrorMigration } from './migration.js';
export { witnessMigration } from './witness-migration.js';

export interface MirrorDeps {
  config: MirrorConfig;
  /** the shared connection, for the mirror's own tables */
  db: Db;
  /** the one append path, and the heads links hang off */
  store: Pick<Store, 'appendLinks' | 'avatarRow'>;
  verifier: BulkVerifier;
  log: Logger;
  /** the KVService's store: a proofkeep upstream's KV feed is followed into it */
  kv?: KvStore;
  /** where the witness key is generated when mirror.witnessKeyFile is empty */
  dataDir: string;
  /** server.adminToken: guards POST /v1/mirror/alarm/clear */
  adminToken: string;
  /** the judge's clock skew for created_at (the daemon's server.createdAtSkewSeconds) */
  createdAtSkewSeconds?: number;
}

/** Upstream URL without a trailing slash: one cursor per upstream, however it was spelled. */
export function normalizeUpstream(url: string): string {
  return url.replace(/\/+$/, '');
}

/** A mirror when `mirror.upstream` is set, else nothing (null). */
export function mirrorComponent(deps: MirrorDeps): Component | null {
  const { config, log } = deps;
  if (config.upstream === '') return null;
  const upstream = normalizeUpstream(config.upstream);
  const state = new MirrorState(deps.db, upstream);
  // An alarm raised by any daemon on the database stops every daemon's feed (the alarm is a row).
  let witness: WitnessPart | null = null;
  const follower = new MirrorFollower(deps.store, deps.verifier, state, { ...config, upstream }, log, { skewSeconds: deps.createdAtSkewSeconds }, () => witness?.alarmed() ?? false);
  // KV writes (a proofkeep upstream's /v1/kv/changes): own cursor and quarantine namespace.
  const kvState = deps.kv ? new MirrorState(deps.db, kvFeedKey(upstream)) : null;
  const kvFollower = deps.kv && kvState ? new KvFollower(deps.kv, () => deps.verifier.backend, kvState, { ...config, upstream }, log.child({ feed: 'kv' })) : null;
  // With the upstream's verifier key the mirror also witnesses its log; an alarm stops both loops.
  witness = config.upstreamVerifierKey === '' ? null : buildWitness({
    config: { ...config, upstream }, db: deps.db, dataDir: deps.dataDir, adminToken: deps.adminToken, log,
    onAlarm: () => void follower.stop(),
    resumeFeed: () => follower.start(),
  });
  const lagSeconds = (): number | null => {
    const s = follower.status;
    return s.caughtUp ? 0 : s.lastCaughtUpAt === null ? null : Math.round((Date.now() - s.lastCaughtUpAt) / 1000);
  };
  const behind = (): number | null => {
    const s = follower.status;
    return s.caughtUp ? 0 : s.upstreamLatest === null ? null : Math.max(0, s.upstreamLatest - state.cursor());
  };
  return {
    name: 'mirror',
    // appends through the store, verifies on the pool: both outlive it
    after: ['store', 'crypto'],
    api: { readOnly: true },
    async start() {
      if (witness?.alarmed()) {
        log.error({ upstream }, 'mirror: an alarm about the upstream log stands; not following it until the operator clears it (see docs/log.md)');
        return;
      }
      follower.start();
      witness?.start();
      kvFollower?.start();
      log.info({ upstream, cursor: state.cursor(), kv_cursor: kvState?.cursor() ?? null }, 'mirror: following upstream');
    },
    async stop() {
      await witness?.stop();
      await follower.stop();
      await kvFollower?.stop();
    },
    health() {
      const s = follower.status;
      const cursor = state.cursor();
      return {
        upstream,
        cursor,
        // false on a daemon standing by while another on the same database follows the upstream
        following: s.following,
        caught_up: s.caughtUp,
        // links the upstream has beyond our cursor, when the upstream tells (proofkeep does)
        behind: behind(),
        lag_seconds: lagSeconds(),
        last_sync_at: s.lastSyncAt === null ? null : Math.floor(s.lastSyncAt / 1000),
        consecutive_failures: s.failures,
        last_error: s.lastError,
        next_retry_at: s.nextRetryAt === null ? null : Math.floor(s.nextRetryAt / 1000),
        faults: state.faultCount(),
        witness: witness?.health() ?? null,
        ...(kvFollower && kvState
          ? {
              kv: {
                cursor: kvState.cursor(),
                following: kvFollower.status.following,
                upstream_has_kv: !kvFollower.status.absent,
                caught_up: kvFollower.status.caughtUp,
                behind: kvFollower.status.upstreamLatest === null ? null : Math.max(0, kvFollower.status.upstreamLatest - kvState.cursor()),
                consecutive_failures: kvFollower.status.failures,
                last_error: kvFollower.status.lastError,
              },
            }
          : {}),
      };
    },
    metrics(registry: Registry) {
      // A value the mirror does not know yet (null) is no sample rather than a made-up 0.
      const gauge = (name: string, help: string, read: () => number | null) =>
        new Gauge({
          name,
          help,
          registers: [registry],
          collect() {
            const v = read();
            if (v === null) this.reset();
            else this.set(v);
          },
        });
      gauge('proofkeep_mirror_lag_seconds', 'Seconds since the mirror was last caught up with its upstream (0 when caught up; absent before the first catch-up)', lagSeconds);
      gauge('proofkeep_mirror_behind_links', 'Links the upstream has beyond the mirror cursor, when the upstream tells', behind);
      gauge('proofkeep_mirror_quarantined_links', 'Upstream links held in quarantine', () => state.faultCount());
      if (witness) {
        gauge('proofkeep_mirror_witness_alarm', '1 while an alarm about the upstream log (fork, root mismatch, failed consistency) stands, else 0', () => (witness.alarmed() ? 1 : 0));
        gauge('proofkeep_mirror_witness_cosigned_size', 'Tree size of the latest upstream checkpoint this witness cosigned', () => witness.cosignedSize());
      }
    },
    routes(app: FastifyInstance) {
      witness?.routes(app);
      app.get<{ Querystring: Record<string, string | undefined> }>('/v1/mirror/faults', async (req) => {
        const last = req.query['last_id'] ?? '0';
        const count = req.query['count'] ?? '100';
        if (!/^\d{1,15}$/.test(last)) fail('BAD_REQUEST', 'last_id must be a non-negative integer');
        if (!/^\d{1,4}$/.test(count) || Number(count) < 1 || Number(count) > 1000) fail('BAD_REQUEST', 'count must be 1 to 1000');
        const rows = state.faults(Number(last), Number(count));
        return {
          upstream,
          total: state.faultCount(),
          faults: rows.map((r) => ({
            id: r.id,
            upstream: r.upstream,
            upstream_id: r.upstream_id,
            avatar: r.avatar,
            uuid: r.uuid,
            code: r.code,
            message: r.message,
            raw: safeJson(r.raw),
            quarantined_at: Math.floor(r.quarantined_at / 1000),
          })),
        };
      });
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
