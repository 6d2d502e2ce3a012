import type { Migration } from '../store/migrate.js';

/**
 * Subkeys (protocol: subkeys and restore_pubkey), owned by src/subkeys. Keys are stored in canonical spelling (avatar: 0x +
 * compressed; secp256k1 subkey likewise; es256: 0x + X‖Y), so any spelling finds a record; the
 * exact signed payload and the Avatar's signature are kept so a record can be re-verified by a
 * mirror or an auditor without trusting this index. One record per (avatar, algorithm, key,
 * rp_id): a replayed submission cannot add rows.
 */
export const subkeysMigration: Migration = {
  version: 8,
  name: 'subkeys',
  up(db) {
    db.exec(`
      CREATE TABLE subkeys (
        id INTEGER PRIMARY KEY,
        avatar TEXT NOT NULL,            -- canonical avatar id
        algorithm TEXT NOT NULL,         -- es256 | secp256k1
        public_key TEXT NOT NULL,        -- canonical subkey spelling
        rp_id TEXT NOT NULL,
        name TEXT NOT NULL,              -- unsigned label
        sign_payload TEXT NOT NULL,      -- the exact string the avatar signed
        signature TEXT NOT NULL,         -- stored (canonical) form of the avatar's signature
        created_at INTEGER NOT NULL,     -- unix seconds
        UNIQUE (avatar, algorithm, public_key, rp_id)
      );
      CREATE INDEX subkeys_key ON subkeys (algorithm, public_key);
    `);
  },
};
