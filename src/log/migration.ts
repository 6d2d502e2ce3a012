import { encodeEntry, linkEntry } from '../core/tlog/index.js';
import type { Migration } from '../store/migrate.js';
import { rowToLink, type LinkRow } from '../store/rows.js';

/**
 * The verifiable log (src/log owns these tables). `log_entries`: one row per accepted change in
 * one global order (idx = feed id − 1), with its canonical bytes. `log_hashes`: the Merkle tree
 * as tile-level hashes — level 0 the leaf hashes, level L the hashes of complete subtrees of
 * 256^L leaves — appended in the entry's transaction, so nothing is recomputed at start-up.
 * `log_checkpoints`: every signed checkpoint. Links accepted before this migration become the
 * log's first entries, in feed order; their hashes are filled in once by the log at start.
 */
export const logMigration: Migration = {
  version: 9,
  name: 'log',
  up(db) {
    db.exec(`
      CREATE TABLE log_entries (
        idx INTEGER PRIMARY KEY,              -- 0-based log index; feed id = idx + 1
        kind TEXT NOT NULL,                   -- link | kv | subkey | validity
        ref_id INTEGER,                       -- links.id for links and validity (the binding's link); the owning table's row id for kv/subkey
        entry BLOB NOT NULL,                  -- canonical entry bytes (docs/protocol.md)
        appended_at INTEGER NOT NULL          -- unix ms
      );
      CREATE INDEX log_entries_ref ON log_entries(kind, ref_id) WHERE ref_id IS NOT NULL;
      CREATE TABLE log_hashes (
        level INTEGER NOT NULL,               -- tile level: hash of a complete subtree of 256^level leaves
        idx INTEGER NOT NULL,
        hash BLOB NOT NULL,
        PRIMARY KEY (level, idx)
      ) WITHOUT ROWID;
      CREATE TABLE log_checkpoints (
        size INTEGER PRIMARY KEY,
        root BLOB NOT NULL,
        note TEXT NOT NULL,                   -- the signed note, verbatim
        signed_at INTEGER NOT NULL            -- unix ms
      );
    `);
    const insert = db.prepare('INSERT INTO log_entries (idx, kind, ref_id, entry, appended_at) VALUES (?, ?, ?, ?, ?)');
    const page = db.prepare<[number], LinkRow & { avatar: string }>(
      'SELECT l.*, a.avatar AS avatar FROM links l JOIN avatars a ON a.id = l.avatar_id WHERE l.id > ? ORDER BY l.id LIMIT 1000',
    );
    const now = Date.now();
    let idx = 0;
    for (let rows = page.all(0); rows.length > 0; rows = page.all(rows[rows.length - 1]!.id)) {
      for (const r of rows) insert.run(idx++, 'link', r.id, encodeEntry(linkEntry(r.avatar, rowToLink(r))), now);
    }
  },
};
