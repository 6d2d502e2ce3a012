/**
 * The subkeys component (SPEC §9): owns the `subkeys` table (its migration is listed in
 * src/schema.ts), contributes the /v1/subkey routes, follows the upstream's subkey feed when the
 * daemon is a mirror, and exposes its store so other parts can hook inserts (in-transaction) or
 * read records.
 */
import type { Logger } from 'pino';
import type { Component } from '../component.js';
import type { RecoveryBackend } from '../core/index.js';
import { MirrorState, normalizeUpstream, type MirrorConfig } from '../mirror/index.js';
import type { SubkeyChange } from '../store/index.js';
import type { Db } from '../store/sqlite.js';
import { SUBKEY_FEED_SUFFIX, SubkeyFollower } from './mirror.js';
import { subkeyRoutes } from './routes.js';
import { SubkeyStore } from './store.js';

export { subkeysMigration } from './migration.js';
export { SubkeyStore, type SubkeyRow, type SubkeyHook, type NewSubkey } from './store.js';
export { SubkeyFollower } from './mirror.js';

export interface SubkeysDeps {
  /** the shared connection, for the subkeys table */
  db: Db;
  backend: RecoveryBackend;
  /** a mirror refuses writes (READ_ONLY) */
  readOnly: boolean;
  /** the mirror section: with an upstream set, its subkey feed is followed */
  mirror?: MirrorConfig;
  log?: Logger;
  /** tests: unix seconds */
  now?: () => number;
  /** every new record, inside its transaction (the daemon passes the store's change hooks: the log) */
  report?: (ev: SubkeyChange) => void;
}

export function subkeysComponent(deps: SubkeysDeps): Component & { subkeys: SubkeyStore; follower: SubkeyFollower | null } {
  const subkeys = new SubkeyStore(deps.db);
  const report = deps.report;
  if (report) subkeys.onInsert(({ row }) => report({ kind: 'subkey', ...row }));
  const now = deps.now ?? (() => Math.floor(Date.now() / 1000));
  const m = deps.mirror;
  const upstream = m && m.upstream !== '' ? normalizeUpstream(m.upstream) : '';
  const state = m && upstream !== '' ? new MirrorState(deps.db, `${upstream}${SUBKEY_FEED_SUFFIX}`) : null;
  const follower = m && state && deps.log ? new SubkeyFollower(subkeys, deps.backend, state, { ...m, upstream }, deps.log) : null;
  return {
    name: 'subkeys',
    after: ['store'],
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
            // the upstream has a subkey feed, and this daemon is the one following it (one per database)
            following: follower.available && follower.status.following,
            cursor: state.cursor(),
            stored: follower.stored,
            quarantined: follower.quarantined,
            last_error: follower.status.lastError,
          }),
        }
      : {}),
    routes(app) {
      subkeyRoutes(app, { subkeys, backend: deps.backend, readOnly: () => deps.readOnly, now });
    },
  };
}
