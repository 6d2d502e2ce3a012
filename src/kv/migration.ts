import type { Migration } from '../store/migrations.js';

/**
 * KVService tables (SPEC §8), queried only by src/kv/kv-store.ts (this module owns them). `kv_writes` is append-only and
 * its id is the KV feed order; `kv_avatars` holds each Avatar's KV head (one linear chain across
 * all its namespaces); `kv_contents` the merged content per (avatar, platform, identity).
 * Separate from the proof chain's tables: an Avatar may keep KV data without any proof link.
 */
export const kv: Migration = {
  version: 30,
  name: 'kv',
  up(db) {
    db.exec(`
      CREATE TABLE kv_avatars (
        id INTEGER PRIMARY KEY,
        avatar TEXT NOT NULL UNIQUE,          -- 0x + compressed key (canonical id)
        public_key TEXT NOT NULL,             -- 0x04 + uncompressed key
        head_write_id INTEGER,
        head_signature TEXT,                  -- stored signature of the latest write
        write_count INTEGER NOT NULL DEFAULT 0,
        updated_at INTEGER NOT NULL           -- unix ms of the last write
      );
      CREATE TABLE kv_writes (
        id INTEGER PRIMARY KEY,               -- KV feed order (acceptance order)
        kv_avatar_id INTEGER NOT NULL REFERENCES kv_avatars(id),
        seq INTEGER NOT NULL,                 -- 0-based position in the Avatar's KV chain
        previous TEXT,
        platform TEXT NOT NULL,
        identity TEXT NOT NULL,
        uuid TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        patch TEXT NOT NULL,                  -- canonical (serde) JSON, as signed
        signature TEXT NOT NULL,
        sign_payload TEXT NOT NULL,           -- the exact signed string
        received_at INTEGER NOT NULL,         -- unix ms
        UNIQUE (kv_avatar_id, seq),
        UNIQUE (kv_avatar_id, uuid)
      );
      CREATE INDEX kv_writes_signature ON kv_writes(kv_avatar_id, signature);
      CREATE TABLE kv_contents (
        kv_avatar_id INTEGER NOT NULL REFERENCES kv_avatars(id),
        platform TEXT NOT NULL,
        identity TEXT NOT NULL,
        content TEXT NOT NULL,                -- canonical JSON after every patch so far
        write_id INTEGER NOT NULL REFERENCES kv_writes(id),
        seq INTEGER NOT NULL,                 -- seq of the write that last changed it
        first_seq INTEGER NOT NULL,           -- namespaces are listed in first-write order
        PRIMARY KEY (kv_avatar_id, platform, identity)
      );
      CREATE INDEX kv_contents_identity ON kv_contents(platform, identity);
    `);
  },
};
