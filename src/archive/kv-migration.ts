import type { Migration } from '../store/migrations.js';

/**
 * The archive outbox for KV chains (./kinds.ts KV_KIND; queried in ./outbox-store.ts): the same columns as
 * archive_jobs / archive_versions (migration 2), keyed by kv_avatars; `link_count` counts the
 * KV writes in a version. Written in the KV append transaction, like proof chains' jobs.
 */
export const kvArchive: Migration = {
  version: 31,
  name: 'kv-archive',
  up(db) {
    db.exec(`
      CREATE TABLE kv_archive_jobs (
        id INTEGER PRIMARY KEY,
        avatar_id INTEGER NOT NULL REFERENCES kv_avatars(id),
        link_count INTEGER NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        enqueued_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        last_error TEXT NOT NULL DEFAULT '',
        done_at INTEGER,
        version_id INTEGER
      );
      CREATE INDEX kv_archive_jobs_pending ON kv_archive_jobs(avatar_id, enqueued_at) WHERE state = 'pending';
      CREATE TABLE kv_archive_versions (
        id INTEGER PRIMARY KEY,
        avatar_id INTEGER NOT NULL REFERENCES kv_avatars(id),
        link_count INTEGER NOT NULL,
        head_uuid TEXT NOT NULL,
        cid TEXT NOT NULL,
        size INTEGER NOT NULL,
        ipfs_status TEXT NOT NULL,
        kubo_status TEXT NOT NULL,
        arweave_status TEXT NOT NULL,
        tx_id TEXT,
        tx_json TEXT,
        previous_tx TEXT,
        confirmations INTEGER,
        block_height INTEGER,
        reposts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL,
        ipfs_pinned_at INTEGER,
        arweave_signed_at INTEGER,
        arweave_posted_at INTEGER,
        arweave_confirmed_at INTEGER,
        updated_at INTEGER NOT NULL,
        UNIQUE (avatar_id, link_count)
      );
      CREATE UNIQUE INDEX kv_archive_versions_tx ON kv_archive_versions(tx_id) WHERE tx_id IS NOT NULL;
      CREATE INDEX kv_archive_versions_unconfirmed ON kv_archive_versions(arweave_status) WHERE arweave_status IN ('signed', 'posted');
    `);
  },
};
