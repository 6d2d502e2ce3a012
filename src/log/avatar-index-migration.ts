import type { Migration } from '../store/migrate.js';

/**
 * An index for `GET /v1/log/avatar` (src/log/tree.ts `ofAvatar`): a KV or subkey entry's Avatar
 * is read from the entry's own bytes, since its ref_id points at a table the log does not own.
 * Without the index every such request scanned all KV and subkey entries — a cost any client
 * could make the daemon pay per request. The expression must match the query's exactly.
 */
export const logAvatarIndex: Migration = {
  version: 41,
  name: 'log-avatar-index',
  up(db) {
    db.exec(`
      CREATE INDEX log_entries_avatar ON log_entries (json_extract(CAST(entry AS TEXT), '$.avatar'))
        WHERE kind IN ('kv', 'subkey') AND ref_id IS NOT NULL;
    `);
  },
  // PostgreSQL: the same expression through an IMMUTABLE function (an index expression must be);
  // the entry bytes are UTF-8 JSON by construction (docs/protocol.md).
  postgres(db) {
    db.exec(`
      CREATE FUNCTION log_entry_avatar(entry BYTEA) RETURNS TEXT LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        AS $$ SELECT convert_from(entry, 'UTF8')::jsonb ->> 'avatar' $$;
      CREATE INDEX log_entries_avatar ON log_entries (log_entry_avatar(entry))
        WHERE kind IN ('kv', 'subkey') AND ref_id IS NOT NULL;
    `);
  },
};
