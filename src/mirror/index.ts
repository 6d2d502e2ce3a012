/**
 * The mirror component: built when config `mirror.upstream` is set. It makes the daemon
 * read-only (write routes answer 403 READ_ONLY), follows the upstream feed (and a proofkeep
 * upstream's KV feed) in the background,
 * lists quarantined links at GET /v1/mirror/faults, and reports its lag in /healthz.
 */
import type { FastifyInstance } from 'fastify';
import { fail } from '../core/index.js';
import type { Component, DaemonContext } from '../daemon.js';
import type { MirrorConfig } from './config.js';
import { MirrorFollower } from './follower.js';
import { KvFollower, kvFeedKey } from './kv-follower.js';
import { MirrorState } from './state.js';

export { mirrorSection, type MirrorConfig } from './config.js';
export { MirrorFollower } from './follower.js';
export { MirrorState } from './state.js';

/** Upstream URL without a trailing slash: one cursor per upstream, however it was spelled. */
export function normalizeUpstream(url: string): string {
  return url.replace(/\/+$/, '');
}

/** The daemon's standard factory: a mirror when `mirror.upstream` is set, else an inert part. */
export function mirrorFactory(ctx: DaemonContext): Component {
  if (ctx.config.mirror.upstream === '') return { name: 'mirror', async start() {}, async stop() {} };
  return mirrorComponent(ctx, ctx.config.mirror);
}

export function mirrorComponent(ctx: DaemonContext, config: MirrorConfig): Component {
  const upstream = normalizeUpstream(config.upstream);
  const log = ctx.log.child({ part: 'mirror' });
  const state = new MirrorState(ctx.store.db, upstream);
  const follower = new MirrorFollower(ctx.store, ctx.verifier, state, { ...config, upstream }, log);
  // KV writes (a proofkeep upstream's /v1/kv/changes): own cursor and quarantine namespace.
  const kvState = ctx.kv ? new MirrorState(ctx.store.db, kvFeedKey(upstream)) : null;
  const kvFollower = ctx.kv && kvState ? new KvFollower(ctx.kv, () => ctx.verifier.backend, kvState, { ...config, upstream }, log.child({ feed: 'kv' })) : null;
  // Read-only from construction on: the API is built after components are made.
  ctx.api.readOnly = true;
  return {
    name: 'mirror',
    async start() {
      follower.start();
      kvFollower?.start();
      log.info({ upstream, cursor: state.cursor(), kv_cursor: kvState?.cursor() ?? null }, 'mirror: following upstream');
    },
    async stop() {
      await follower.stop();
      await kvFollower?.stop();
    },
    health() {
      const s = follower.status;
      const cursor = state.cursor();
      return {
        upstream,
        cursor,
        caught_up: s.caughtUp,
        // links the upstream has beyond our cursor, when the upstream tells (proofkeep does)
        behind: s.caughtUp ? 0 : s.upstreamLatest === null ? null : Math.max(0, s.upstreamLatest - cursor),
        lag_seconds: s.caughtUp ? 0 : s.lastCaughtUpAt === null ? null : Math.round((Date.now() - s.lastCaughtUpAt) / 1000),
        last_sync_at: s.lastSyncAt === null ? null : Math.floor(s.lastSyncAt / 1000),
        consecutive_failures: s.failures,
        last_error: s.lastError,
        next_retry_at: s.nextRetryAt === null ? null : Math.floor(s.nextRetryAt / 1000),
        faults: state.faultCount(),
        ...(kvFollower && kvState
          ? {
              kv: {
                cursor: kvState.cursor(),
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
    routes(app: FastifyInstance) {
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
