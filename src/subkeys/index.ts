/**
 * The subkeys component (SPEC §9): owns the `subkeys` table (its migration is listed with the
 * store's), contributes the /v1/subkey routes, follows the upstream's subkey feed when the daemon
 * is a mirror, and exposes its store so other parts can hook inserts (in-transaction) or read
 * records.
 */
import type { Component, DaemonContext } from '../daemon.js';
import { MirrorState, normalizeUpstream } from '../mirror/index.js';
import { SUBKEY_FEED_SUFFIX, SubkeyFollower } from './mirror.js';
import { subkeyRoutes } from './routes.js';
import { SubkeyStore } from './store.js';

export { subkeysMigration } from './migration.js';
export { SubkeyStore, type SubkeyRow, type SubkeyHook, type NewSubkey } from './store.js';
export { SubkeyFollower } from './mirror.js';

export interface SubkeysOptions {
  /** tests: unix seconds */
  now?: () => number;
}

export function subkeysComponent(ctx: DaemonContext, opts: SubkeysOptions = {}): Component & { subkeys: SubkeyStore; follower: SubkeyFollower | null } {
  const subkeys = new SubkeyStore(ctx.store.db);
  const now = opts.now ?? (() => Math.floor(Date.now() / 1000));
  const m = ctx.config.mirror;
  const upstream = m.upstream === '' ? '' : normalizeUpstream(m.upstream);
  const state = upstream === '' ? null : new MirrorState(ctx.store.db, `${upstream}${SUBKEY_FEED_SUFFIX}`);
  const follower = state === null ? null : new SubkeyFollower(subkeys, ctx.verifier.backend, state, { ...m, upstream }, ctx.log.child({ part: 'mirror' }));
  return {
    name: 'subkeys',
    subkeys,
    follower,
    async start() {
      follower?.start();
    },
    async stop() {
      await follower?.stop();
    },
    ...(follower && state
      ? {
          health: () => ({
            following: follower.available,
            cursor: state.cursor(),
            stored: follower.stored,
            quarantined: follower.quarantined,
            last_error: follower.lastError,
          }),
        }
      : {}),
    routes(app) {
      subkeyRoutes(app, { subkeys, backend: ctx.verifier.backend, readOnly: () => ctx.api.readOnly === true, now });
    },
  };
}
