import type { Migration } from '../store/migrate.js';

/**
 * Checkers (queried by src/checkers/check-store.ts): per-binding check schedule and failure counts, and the last fetched
 * proof (evidence). Both are keyed by bindings.id and removed with the binding (trigger, so it
 * holds whatever the foreign_keys pragma says). Existing bindings get a schedule spread over
 * one default interval (72 h; unchecked ones over one hour), so the first start after this
 * migration does not check everything at once.
 */
export const checkersMigration: Migration = {
  version: 3,
  name: 'checkers',
  up(db) {
    db.exec(`
      CREATE TABLE binding_checks (
        binding_id INTEGER PRIMARY KEY,       -- bindings.id
        link_id INTEGER NOT NULL,             -- the binding's link when scheduled (a re-created binding starts afresh)
        platform TEXT NOT NULL,
        next_check_at INTEGER NOT NULL,       -- unix s; while a check runs, the lease expiry
        fail_count INTEGER NOT NULL DEFAULT 0,        -- transient failures, lifetime
        transient_streak INTEGER NOT NULL DEFAULT 0,  -- consecutive transient failures (stale threshold)
        last_attempt_at INTEGER,              -- unix s
        last_success_at INTEGER,              -- unix s of the last verdict (valid or invalid)
        last_error_code TEXT NOT NULL DEFAULT '',
        last_error TEXT NOT NULL DEFAULT ''
      );
      CREATE INDEX binding_checks_due ON binding_checks(platform, next_check_at);
      CREATE TABLE binding_evidence (
        binding_id INTEGER PRIMARY KEY,
        link_id INTEGER NOT NULL,
        url TEXT NOT NULL,
        text TEXT,                            -- as fetched (capped); NULL when nothing was found
        fetched_at INTEGER NOT NULL,          -- unix s
        outcome TEXT NOT NULL                 -- 'valid' or the invalid_code
      );
      CREATE TRIGGER bindings_delete_checker_rows AFTER DELETE ON bindings BEGIN
        DELETE FROM binding_checks WHERE binding_id = OLD.id;
        DELETE FROM binding_evidence WHERE binding_id = OLD.id;
      END;
      INSERT INTO binding_checks (binding_id, link_id, platform, next_check_at)
        SELECT id, link_id, platform,
               CAST(strftime('%s','now') AS INTEGER) + abs(random() % CASE WHEN status = 'unchecked' THEN 3600 ELSE 259200 END)
        FROM bindings;
    `);
  },
  // PostgreSQL: the same tables; the delete trigger as a function, the first schedule with its clock.
  postgres(db) {
    db.exec(`
      CREATE TABLE binding_checks (
        binding_id BIGINT PRIMARY KEY, link_id BIGINT NOT NULL, platform TEXT NOT NULL, next_check_at BIGINT NOT NULL,
        fail_count BIGINT NOT NULL DEFAULT 0, transient_streak BIGINT NOT NULL DEFAULT 0, last_attempt_at BIGINT,
        last_success_at BIGINT, last_error_code TEXT NOT NULL DEFAULT '', last_error TEXT NOT NULL DEFAULT ''
      );
      CREATE INDEX binding_checks_due ON binding_checks(platform, next_check_at);
      CREATE TABLE binding_evidence (
        binding_id BIGINT PRIMARY KEY, link_id BIGINT NOT NULL, url TEXT NOT NULL, text TEXT,
        fetched_at BIGINT NOT NULL, outcome TEXT NOT NULL
      );
      CREATE FUNCTION bindings_delete_checker_rows() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM binding_checks WHERE binding_id = OLD.id;
        DELETE FROM binding_evidence WHERE binding_id = OLD.id;
        RETURN NULL;
      END $$;
      CREATE TRIGGER bindings_delete_checker_rows AFTER DELETE ON bindings FOR EACH ROW EXECUTE FUNCTION bindings_delete_checker_rows();
      INSERT INTO binding_checks (binding_id, link_id, platform, next_check_at)
        SELECT id, link_id, platform,
               floor(extract(epoch FROM now()))::bigint + floor(random() * CASE WHEN status = 'unchecked' THEN 3600 ELSE 259200 END)::bigint
        FROM bindings;
    `);
  },
};
