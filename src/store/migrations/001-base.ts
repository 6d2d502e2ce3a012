import type { Migration } from '../migrate.js';

/**
 * Base schema. `links` is append-only; its id is the global feed order. `bindings` holds the
 * current state per (avatar, platform, identity); a delete link removes the row.
 */
export const base: Migration = {
  version: 1,
  name: 'base',
  up(db) {
    db.exec(`
      CREATE TABLE avatars (
        id INTEGER PRIMARY KEY,
        avatar TEXT NOT NULL UNIQUE,          -- 0x + compressed key (canonical id)
        public_key TEXT NOT NULL,             -- 0x04 + uncompressed key, as in the chain document
        head_link_id INTEGER,
        head_signature TEXT,                  -- stored signature of the last link
        link_count INTEGER NOT NULL DEFAULT 0,
        activated_at INTEGER NOT NULL,        -- created_at of the first link
        updated_at INTEGER NOT NULL           -- unix ms of the last append
      );
      CREATE TABLE links (
        id INTEGER PRIMARY KEY,               -- global feed order (acceptance order)
        avatar_id INTEGER NOT NULL REFERENCES avatars(id),
        seq INTEGER NOT NULL,                 -- 0-based position in the avatar's chain
        prev TEXT,
        action TEXT NOT NULL,
        platform TEXT NOT NULL,
        identity TEXT NOT NULL,
        proof_location TEXT,
        created_at INTEGER NOT NULL,
        uuid TEXT NOT NULL,
        signature TEXT NOT NULL,
        signature_payload TEXT NOT NULL,
        extra TEXT NOT NULL,                  -- JSON object of strings
        received_at INTEGER NOT NULL,         -- unix ms
        UNIQUE (avatar_id, seq)
      );
      CREATE UNIQUE INDEX links_avatar_uuid ON links(avatar_id, uuid) WHERE uuid <> '';
      CREATE INDEX links_avatar_signature ON links(avatar_id, signature);
      CREATE TABLE bindings (
        id INTEGER PRIMARY KEY,
        avatar_id INTEGER NOT NULL REFERENCES avatars(id),
        platform TEXT NOT NULL,
        identity TEXT NOT NULL,
        link_id INTEGER NOT NULL REFERENCES links(id),
        created_at INTEGER NOT NULL,
        proof_location TEXT,
        alt_id TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL,                 -- unchecked | valid | invalid (checkers add stale)
        is_valid INTEGER NOT NULL,
        invalid_reason TEXT NOT NULL DEFAULT '',
        invalid_code TEXT NOT NULL DEFAULT '',
        last_checked_at INTEGER,              -- unix seconds; NULL = never checked
        updated_at INTEGER NOT NULL,
        UNIQUE (avatar_id, platform, identity)
      );
      CREATE INDEX bindings_platform_identity ON bindings(platform, identity);
      CREATE INDEX bindings_identity ON bindings(identity);
    `);
  },
};
