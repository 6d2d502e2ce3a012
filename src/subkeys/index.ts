/**
 * The subkeys component (SPEC §9): owns the `subkeys` table (its migration is listed with the
 * store's), contributes the three /v1/subkey routes, and exposes its store so other parts can
 * hook inserts (in-transaction) or read records (mirror, audit).
 */
import type { Component, DaemonContext } from '../daemon.js';
import { subkeyRoutes } from './routes.js';
import { SubkeyStore } from './store.js';

export { subkeysMigration } from './migration.js';
export { SubkeyStore, type SubkeyRow, type SubkeyHook, type NewSubkey } from './store.js';

export interface SubkeysOptions {
  /** tests: unix seconds */
  now?: () => number;
}

export function subkeysComponent(ctx: DaemonContext, opts: SubkeysOptions = {}): Component & { subkeys: SubkeyStore } {
  const subkeys = new SubkeyStore(ctx.store.db);
  const now = opts.now ?? (() => Math.floor(Date.now() / 1000));
  return {
    name: 'subkeys',
    subkeys,
    async start() {},
    async stop() {},
    routes(app) {
      subkeyRoutes(app, { subkeys, backend: ctx.verifier.backend, readOnly: () => ctx.api.readOnly === true, now });
    },
  };
}
