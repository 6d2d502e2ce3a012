import type { Migration } from '../store/migrate.js';

/**
 * Mirror state (queried by src/mirror/state.ts). `mirror_state` holds the feed cursor per upstream: the id of the last
 * upstream link whose fate (stored or quarantined) is durable. `mirror_faults` is the
 * quarantine: upstream links that failed verification or the chain rule, with the raw upstream
 * JSON and the stable code; unique per (upstream, upstream_id) so a replayed page adds nothing.
 * `sig_key` (canonical signature) lets a later link that hangs off a quarantined one be
 * recognised as BROKEN_ANCESTOR.
 */
export const mirrorMigration: Migration = {
  version: 4,
  name: 'mirror',
  up(db) {
    db.exec(`
      CREATE TABLE mirror_state (
        upstream TEXT PRIMARY KEY,
        cursor INTEGER NOT NULL DEFAULT 0,    -- last upstream link id fully handled
        updated_at INTEGER NOT NULL           -- unix ms
      );
      CREATE TABLE mirror_faults (
        id INTEGER PRIMARY KEY,
        upstream TEXT NOT NULL,
        upstream_id INTEGER NOT NULL,         -- the link's id in the upstream feed
        avatar TEXT NOT NULL,                 -- canonical avatar id, or the raw value when not a key
        uuid TEXT NOT NULL,
        sig_key TEXT NOT NULL,                -- canonical signature ('' when none)
        code TEXT NOT NULL,
        message TEXT NOT NULL,
        raw TEXT NOT NULL,                    -- the upstream entry as received (JSON)
        quarantined_at INTEGER NOT NULL,      -- unix ms
        UNIQUE (upstream, upstream_id)
      );
      CREATE INDEX mirror_faults_sig ON mirror_faults (avatar, sig_key);
    `);
  },
};
