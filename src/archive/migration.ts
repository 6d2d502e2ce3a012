import type { Migration } from '../store/migrate.js';

/**
 * Archive outbox, owned by src/archive (queried by outbox-store.ts). `archive_jobs`: one row per accepted link, written in the append
 * transaction (so a 201 implies the job exists); the worker coalesces an Avatar's pending rows
 * into one archived version and marks them done — rows are never deleted or dropped.
 * `archive_versions`: one row per archived chain version (Avatar + link count), with its CID,
 * the signed Arweave tx (persisted BEFORE posting: a re-run re-posts the same tx, never a second
 * one) and the IPFS / Arweave statuses.
 */
export const archiveMigration: Migration = {
  version: 2,
  name: 'archive',
  up(db) {
    db.exec(`
      CREATE TABLE archive_jobs (
        id INTEGER PRIMARY KEY,
        avatar_id INTEGER NOT NULL REFERENCES avatars(id),
        link_count INTEGER NOT NULL,          -- chain length after the append that made this job
        state TEXT NOT NULL DEFAULT 'pending',-- pending | done
        enqueued_at INTEGER NOT NULL,         -- unix ms
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,     -- unix ms; backoff after failures
        last_error TEXT NOT NULL DEFAULT '',
        done_at INTEGER,                      -- unix ms
        version_id INTEGER                    -- archive_versions row that covered it
      );
      CREATE INDEX archive_jobs_pending ON archive_jobs(avatar_id, enqueued_at) WHERE state = 'pending';
      CREATE TABLE archive_versions (
        id INTEGER PRIMARY KEY,
        avatar_id INTEGER NOT NULL REFERENCES avatars(id),
        link_count INTEGER NOT NULL,
        head_uuid TEXT NOT NULL,
        cid TEXT NOT NULL,                    -- CIDv1 json sha2-256 of the chain document
        size INTEGER NOT NULL,                -- document bytes
        ipfs_status TEXT NOT NULL,            -- pending | pinned | unpinned | disabled
        kubo_status TEXT NOT NULL,            -- pending | pinned | unpinned | disabled
        arweave_status TEXT NOT NULL,         -- pending | signed | posted | confirmed | disabled
        tx_id TEXT,
        tx_json TEXT,                         -- signed tx without data (JSON)
        previous_tx TEXT,                     -- Previous-Tx tag value
        confirmations INTEGER,
        block_height INTEGER,
        reposts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL,          -- unix ms (all times below too)
        ipfs_pinned_at INTEGER,
        arweave_signed_at INTEGER,
        arweave_posted_at INTEGER,
        arweave_confirmed_at INTEGER,
        updated_at INTEGER NOT NULL,
        UNIQUE (avatar_id, link_count)
      );
      CREATE UNIQUE INDEX archive_versions_tx ON archive_versions(tx_id) WHERE tx_id IS NOT NULL;
      CREATE INDEX archive_versions_unconfirmed ON archive_versions(arweave_status) WHERE arweave_status IN ('signed', 'posted');
    `);
    // Chains accepted before this migration get one job each (their newest version).
    const now = Date.now();
    db.prepare('INSERT INTO archive_jobs (avatar_id, link_count, enqueued_at, next_attempt_at) SELECT id, link_count, ?, ? FROM avatars WHERE link_count > 0').run(now, now);
  },
};
