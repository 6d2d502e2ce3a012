/**
 * The subkeys table's queries (its owner migrates it: ./migration.ts). An insert is one
 * transaction on the daemon's connection (durable when it returns) that also
 * runs the registered in-transaction hooks (e.g. a log leaf), so a record and what hangs off it
 * land together or not at all.
 */
import { lockKeys, type Db } from '../store/db.js';
import { ProofError, type SubkeyAlgorithm } from '../core/index.js';

export interface SubkeyRow {
  id: number;
  avatar: string;
  algorithm: SubkeyAlgorithm;
  public_key: string;
  rp_id: string;
  name: string;
  sign_payload: string;
  signature: string;
  created_at: number;
}

export type NewSubkey = Omit<SubkeyRow, 'id'>;

export interface SubkeyInsertEvent {
  db: Db;
  row: SubkeyRow;
}
export type SubkeyHook = (ev: SubkeyInsertEvent) => void;

/** Most records one query returns (an Avatar may authorize many keys; the reply stays bounded). */
export const MAX_SUBKEYS_PER_QUERY = 1000;

export class SubkeyStore {
  private readonly hooks: SubkeyHook[] = [];
  private readonly stmts;
  private readonly insertTx: (rec: NewSubkey) => { row: SubkeyRow; existed: boolean };

  constructor(readonly db: Db) {
    this.stmts = {
      same: db.prepare<[string, string, string, string], SubkeyRow>(
        'SELECT * FROM subkeys WHERE avatar = ? AND algorithm = ? AND public_key = ? AND rp_id = ?',
      ),
      insert: db.prepare<[string, string, string, string, string, string, string, number], SubkeyRow>(
        `INSERT INTO subkeys (avatar, algorithm, public_key, rp_id, name, sign_payload, signature, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
      ),
      byAvatar: db.prepare<[string, number], SubkeyRow>('SELECT * FROM subkeys WHERE avatar = ? ORDER BY id LIMIT ?'),
      byKey: db.prepare<[string, string, number], SubkeyRow>('SELECT * FROM subkeys WHERE algorithm = ? AND public_key = ? ORDER BY id LIMIT ?'),
      after: db.prepare<[number, number], SubkeyRow>('SELECT * FROM subkeys WHERE id > ? ORDER BY id LIMIT ?'),
    };
    // The existence check and the insert see one state even with another process on the database:
    // IMMEDIATE excludes other writers of a SQLite file; on PostgreSQL the record's key is locked
    // first, so a concurrent identical submission from another daemon waits and then finds this one
    // (instead of failing on the UNIQUE constraint, which would abort its transaction).
    this.insertTx = db.transaction((rec: NewSubkey) => {
      lockKeys(this.db, 'subkey', [JSON.stringify([rec.avatar, rec.algorithm, rec.public_key, rec.rp_id])]);
      const same = this.stmts.same.get(rec.avatar, rec.algorithm, rec.public_key, rec.rp_id);
      if (same) {
        // The name is not signed: a replay under another name must not rename or duplicate the record.
        if (same.name !== rec.name) {
          throw new ProofError('DUPLICATE_SUBKEY', `this avatar already authorized this ${rec.algorithm} key for ${rec.rp_id.slice(0, 64)} (named ${JSON.stringify(same.name.slice(0, 64))})`);
        }
        return { row: same, existed: true };
      }
      // The feed (/v1/subkey/changes: id > cursor) must become visible in id order across
      // daemons, like the KV feed (src/kv/kv-store.ts): inserts take their ids one at a time.
      lockKeys(this.db, 'subkey-feed', ['order']);
      const row = this.stmts.insert.get(rec.avatar, rec.algorithm, rec.public_key, rec.rp_id, rec.name, rec.sign_payload, rec.signature, rec.created_at)!;
      for (const hook of this.hooks) hook({ db: this.db, row });
      return { row, existed: false };
    }).immediate;
  }

  /** Register a hook that runs inside every new record's transaction (not for an idempotent replay). */
  onInsert(hook: SubkeyHook): void {
    this.hooks.push(hook);
  }

  /** Store a verified record; an identical one already stored is a success (`existed`). */
  insert(rec: NewSubkey): { row: SubkeyRow; existed: boolean } {
    return this.insertTx(rec);
  }

  byAvatar(avatar: string, limit = MAX_SUBKEYS_PER_QUERY): SubkeyRow[] {
    return this.stmts.byAvatar.all(avatar, limit);
  }

  byKey(algorithm: SubkeyAlgorithm, publicKey: string, limit = MAX_SUBKEYS_PER_QUERY): SubkeyRow[] {
    return this.stmts.byKey.all(algorithm, publicKey, limit);
  }

  /** Records in insertion order after `id` (feeds, exports). */
  after(id: number, limit: number): SubkeyRow[] {
    return this.stmts.after.all(id, limit);
  }
}
