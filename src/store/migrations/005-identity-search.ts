import type { Migration } from '../migrate.js';

/**
 * Substring search over binding identities (GET /v1/proof without exact=true) through an FTS5
 * trigram index: a LIKE '%x%' scan of every binding took seconds at a million bindings. Kept in
 * step with `bindings` by triggers, so every writer (append, checkers) updates it for free.
 */
export const identitySearch: Migration = {
  version: 5,
  name: 'identity-search',
  up(db) {
    db.exec(`
      CREATE VIRTUAL TABLE binding_identity_fts USING fts5(identity, content='bindings', content_rowid='id', tokenize='trigram');
      CREATE TRIGGER bindings_fts_insert AFTER INSERT ON bindings BEGIN
        INSERT INTO binding_identity_fts(rowid, identity) VALUES (new.id, new.identity);
      END;
      CREATE TRIGGER bindings_fts_delete AFTER DELETE ON bindings BEGIN
        INSERT INTO binding_identity_fts(binding_identity_fts, rowid, identity) VALUES ('delete', old.id, old.identity);
      END;
      CREATE TRIGGER bindings_fts_update AFTER UPDATE OF identity ON bindings BEGIN
        INSERT INTO binding_identity_fts(binding_identity_fts, rowid, identity) VALUES ('delete', old.id, old.identity);
        INSERT INTO binding_identity_fts(rowid, identity) VALUES (new.id, new.identity);
      END;
      INSERT INTO binding_identity_fts(binding_identity_fts) VALUES ('rebuild');
    `);
  },
  // PostgreSQL: a trigram GIN index on the column itself (pg_trgm, a trusted extension), which
  // serves ILIKE '%fragment%' directly; no shadow table to keep in step.
  postgres(db) {
    db.exec(`
      CREATE EXTENSION IF NOT EXISTS pg_trgm;
      CREATE INDEX bindings_identity_trgm ON bindings USING gin (identity gin_trgm_ops);
    `);
  },
};
