import type { Migration } from '../store/migrate.js';

/**
 * The mirror's witness tables (queried by src/mirror/witness-state.ts only).
 * `mirror_witness`: per log origin, the latest checkpoint this witness cosigned (the state the
 * tlog-witness protocol keeps) with our cosignature line. `mirror_leaves`: the upstream log's
 * leaf hashes as this mirror rebuilt them from the entries it fetched. `mirror_alarms`: kept
 * evidence of an inconsistent upstream (both signed notes); an uncleared row stops following.
 */
export const witnessMigration: Migration = {
  version: 40,
  name: 'mirror-witness',
  up(db) {
    db.exec(`
      CREATE TABLE mirror_witness (
        origin TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        root BLOB NOT NULL,
        note TEXT NOT NULL,                   -- the upstream's signed checkpoint, verbatim
        cosignature TEXT NOT NULL,            -- our signature line over it
        cosigned_at INTEGER NOT NULL          -- unix seconds (the cosignature's timestamp)
      );
      CREATE TABLE mirror_leaves (
        upstream TEXT NOT NULL,
        idx INTEGER NOT NULL,
        hash BLOB NOT NULL,
        PRIMARY KEY (upstream, idx)
      ) WITHOUT ROWID;
      CREATE TABLE mirror_alarms (
        id INTEGER PRIMARY KEY,
        upstream TEXT NOT NULL,
        origin TEXT NOT NULL,
        kind TEXT NOT NULL,                   -- fork | root_mismatch | inconsistent
        message TEXT NOT NULL,
        note_a TEXT,                          -- the earlier signed checkpoint (ours to compare with)
        note_b TEXT NOT NULL,                 -- the offending signed checkpoint
        raised_at INTEGER NOT NULL,           -- unix ms
        cleared_at INTEGER                    -- unix ms; NULL while the alarm stands
      );
    `);
  },
};
