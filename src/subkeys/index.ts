/**
 * The subkeys component (SPEC §9): owns the `subkeys` table (its migration is listed in
 * src/schema.ts), contributes the three /v1/subkey routes, and exposes its store so other parts
 * can hook inserts (in-transaction) or read records (mirror, audit).
 */
import type { Component } from '../component.js';
import type { RecoveryBackend } from '../core/index.js';
import type { SubkeyChange } from '../store/index.js';
import type { Db } from '../store/sqlite.js';
import { subkeyRoutes } from './routes.js';
import { SubkeyStore } from './store.js';

export { subkeysMigration } from './migration.js';
export { SubkeyStore, type SubkeyRow, type SubkeyHook, type NewSubkey } from './store.js';

export interface SubkeysDeps {
  /** the shared connection, for the subkeys table */
  db: Db;
  backend: RecoveryBackend;
  /** a mirror refuses writes (READ_ONLY) */
  readOnly: boolean;
  /** tests: unix seconds */
  now?: () => number;
  /** every new record, inside its transaction (the daemon passes the store's change hooks: the log) */
  report?: (ev: SubkeyChange) => void;
}

export function subkeysComponent(deps: SubkeysDeps): Component & { subkeys: SubkeyStore } {
  const subkeys = new SubkeyStore(deps.db);
  const report = deps.report;
  if (report) subkeys.onInsert(({ row }) => report({ kind: 'subkey', ...row }));
  const now = deps.now ?? (() => Math.floor(Date.now() / 1000));
  return {
    name: 'subkeys',
    after: ['store'],
    subkeys,
    async start() {},
    async stop() {},
    routes(app) {
      subkeyRoutes(app, { subkeys, backend: deps.backend, readOnly: () => deps.readOnly, now });
    },
  };
}
