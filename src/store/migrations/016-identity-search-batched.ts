import type { Migration } from '../migrate.js';

/**
 * New bindings enter the identity search index once per append transaction, not by a trigger
 * per row (src/store/bindings.ts, `indexNewBindings`). FTS5 writes its pending terms to disk as
 * a new segment at every statement savepoint, and every later write of the transaction (a link
 * insert with its foreign keys, the next binding upsert with its triggers) opens one: with the
 * insert trigger each binding became a segment of its own, to be written and merged again,
 * ~20 µs a binding. One multi-row insert at the end of the batch makes one segment per commit.
 * The delete and identity-update triggers stay (rare; they find the row indexed already).
 * PostgreSQL's trigram index is an ordinary index: nothing to change there.
 */
export const identitySearchBatched: Migration = {
  version: 16,
  name: 'identity-search-batched',
  up(db) {
    db.exec('DROP TRIGGER IF EXISTS bindings_fts_insert');
  },
  postgres() {},
};
