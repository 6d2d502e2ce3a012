import type { Migration } from '../store/migrations.js';

/**
 * The archive's requests on an IPFS Pinning Service (./remote-pins.ts queries it): one row per
 * archived chain version (proof or KV chain: `chain_kind` says which versions table
 * `version_id` is in), with the service's request id and the state it last reported. The
 * service is asynchronous (queued → pinning → pinned | failed), so the row is what the poller
 * resumes from after a restart. Plain portable SQL: INTEGER and TEXT columns only.
 */
export const remotePinsMigration: Migration = {
  version: 42,
  name: 'archive-remote-pins',
  up(db) {
    db.exec(`
      CREATE TABLE archive_remote_pins (
        chain_kind TEXT NOT NULL,             -- proof | kv
        version_id INTEGER NOT NULL,          -- archive_versions.id or kv_archive_versions.id
        avatar_id INTEGER NOT NULL,
        link_count INTEGER NOT NULL,
        cid TEXT NOT NULL,
        request_id TEXT,                      -- the service's requestid; NULL until it accepted one
        status TEXT NOT NULL,                 -- requesting | queued | pinning | pinned | failed | unpinned
        attempts INTEGER NOT NULL DEFAULT 0,  -- requests the service reported failed (or forgot)
        next_check_at INTEGER NOT NULL,       -- unix ms (all times here)
        last_error TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL,
        pinned_at INTEGER,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (chain_kind, version_id)
      );
      CREATE INDEX archive_remote_pins_open ON archive_remote_pins(chain_kind, next_check_at) WHERE status IN ('requesting', 'queued', 'pinning', 'failed');
      CREATE INDEX archive_remote_pins_avatar ON archive_remote_pins(chain_kind, avatar_id, link_count);
    `);
  },
};
