import type { Migration } from '../store/migrate.js';

/**
 * Archive leases (queried in ./outbox-store.ts): with several daemons on one PostgreSQL database,
 * the daemon archiving an Avatar's chain (of one outbox kind) holds its row here until the run
 * ends; a holder that died is replaced once `expires_at` passes. One row per Avatar, not per
 * job: a job enqueued while another daemon runs that Avatar must wait for that run, or two
 * daemons could sign the same version. On SQLite one process owns the file and never reads it.
 */
export const archiveLeases: Migration = {
  version: 43,
  name: 'archive-leases',
  up(db) {
    db.exec(`
      CREATE TABLE archive_leases (
        kind TEXT NOT NULL,                   -- the outbox kind: proof | kv
        avatar_id INTEGER NOT NULL,           -- avatars.id or kv_avatars.id, by kind
        holder TEXT NOT NULL,                 -- host/pid/random of the daemon running it
        expires_at INTEGER NOT NULL,          -- unix ms; renewed while the run goes on
        PRIMARY KEY (kind, avatar_id)
      );
    `);
  },
};
