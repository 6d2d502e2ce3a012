/**
 * The log's entries and Merkle tree in SQLite (tables of migration 9; this module is their
 * only writer and reader). `append` runs inside the accepting transaction: it stores the entry,
 * its leaf hash and, when a 256-hash tile fills up, the tile's hash one level higher — O(1)
 * amortized per entry, and nothing is recomputed at start-up. Sizes and indexes are always
 * re-read inside the transaction: a rolled-back append leaves no trace, in memory or on disk.
 */
import { hash } from 'node:crypto';
import { lockKeys, sql, type Db } from '../store/db.js';
import {
  consistencyProof, decodeEntry, encodeEntry, hashesWith, inclusionProof, subtreeSource, tileWidth, TILE_WIDTH, treeHash,
  type EntryKind, type Hash, type LogEntry, type SubtreeSource,
} from '../core/tlog/index.js';

/**
 * The core's leaf, interior and tile hashes over node's native SHA-256: every append hashes in
 * its transaction, and a checkpoint's root and consistency proof rebuild subtrees from up to
 * ~800 stored hashes on the event loop (noble's SHA-256 made that ~27 ms). Plain Uint8Arrays
 * (what roots and proofs were when noble's hashed them); both engines store them as they are.
 */
const native = hashesWith((data) => {
  const b = hash('sha256', data, 'buffer');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
});
const { leafHash, hashOfHashes } = native;
/** node's interior hash, for checking proofs of this tree (the checkpointer) */
export const nodeHash = native.nodeHash;

export interface EntryRow {
  idx: number;
  kind: EntryKind;
  ref_id: number | null;
  entry: Buffer;
}

export interface CheckpointRow {
  size: number;
  root: Buffer;
  note: string;
  signed_at: number;
}

const toHash = (b: Buffer): Hash => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/**
 * An Avatar's KV and subkey entries: the avatar is read from the entry's own bytes (kv/subkey
 * rows carry another table's row id, which the log does not own), through the expression index
 * log_entries_avatar (./avatar-index-migration.ts), whose expression (per engine) and partial
 * predicate this must repeat exactly, or the planner cannot use the index.
 */
export const OF_AVATAR_SQL =
  "SELECT idx, kind, ref_id, entry FROM log_entries WHERE kind IN ('kv', 'subkey') AND ref_id IS NOT NULL AND json_extract(CAST(entry AS TEXT), '$.avatar') = ? ORDER BY idx LIMIT ?";
export const OF_AVATAR_PG_SQL =
  "SELECT idx, kind, ref_id, entry FROM log_entries WHERE kind IN ('kv', 'subkey') AND ref_id IS NOT NULL AND log_entry_avatar(entry) = ? ORDER BY idx LIMIT ?";

export class LogTree {
  private readonly s;

  constructor(readonly db: Db) {
    this.s = {
      size: db.prepare<[], { n: number | null }>('SELECT max(idx) + 1 AS n FROM log_entries'),
      hashedSize: db.prepare<[], { n: number | null }>('SELECT max(idx) + 1 AS n FROM log_hashes WHERE level = 0'),
      // Both in one statement: an append reads them for every entry.
      sizes: db.prepare<[], { n: number | null; h: number | null }>(
        'SELECT (SELECT max(idx) + 1 FROM log_entries) AS n, (SELECT max(idx) + 1 FROM log_hashes WHERE level = 0) AS h',
      ),
      insertEntry: db.prepare<[number, string, number | null, Uint8Array, number]>('INSERT INTO log_entries (idx, kind, ref_id, entry, appended_at) VALUES (?, ?, ?, ?, ?)'),
      insertHash: db.prepare<[number, number, Uint8Array]>('INSERT INTO log_hashes (level, idx, hash) VALUES (?, ?, ?)'),
      // the bare column (no row object per hash): a root reads a few hundred of them
      hashes: db.prepare<[number, number, number], Buffer>('SELECT hash FROM log_hashes WHERE level = ? AND idx >= ? ORDER BY idx LIMIT ?').pluck(),
      entries: db.prepare<[number, number], EntryRow>('SELECT idx, kind, ref_id, entry FROM log_entries WHERE idx >= ? ORDER BY idx LIMIT ?'),
      byRef: db.prepare<[string, number], { idx: number }>('SELECT idx FROM log_entries WHERE kind = ? AND ref_id = ? ORDER BY idx'),
      ofAvatar: db.prepare<[string, number], EntryRow>(sql(db, OF_AVATAR_SQL, OF_AVATAR_PG_SQL)),
      latest: db.prepare<[], CheckpointRow>('SELECT * FROM log_checkpoints ORDER BY size DESC LIMIT 1'),
      checkpointAt: db.prepare<[number], CheckpointRow>('SELECT * FROM log_checkpoints WHERE size = ?'),
      insertCheckpoint: db.prepare<[number, Uint8Array, string, number]>('INSERT INTO log_checkpoints (size, root, note, signed_at) VALUES (?, ?, ?, ?)'),
    };
  }

  size(): number {
    return this.s.size.get()?.n ?? 0;
  }

  /**
   * Append one entry; returns its index. Call inside the transaction that accepts the change.
   * Throws (rolling the change back) when the entry cannot be encoded (too large).
   */
  append(entry: LogEntry, refId: number | null, now = Date.now()): number {
    if (!this.db.inTransaction) throw new Error('log entries are appended inside the accepting transaction');
    const bytes = encodeEntry(entry);
    // One appender at a time across processes (PostgreSQL; a no-op on SQLite) until this
    // transaction ends: the size is read after the lock, so indexes and hashes never interleave.
    lockKeys(this.db, 'log', ['seq']);
    const sizes = this.s.sizes.get();
    const idx = sizes?.n ?? 0;
    // Only after the migration carried links over are there entries without hashes.
    if ((sizes?.h ?? 0) < idx) this.catchUp();
    this.s.insertEntry.run(idx, entry.kind, refId, bytes, now);
    this.addLeaf(idx, leafHash(bytes));
    return idx;
  }

  /** Hash entries that have none yet (only links carried over by the migration). Returns how many. */
  catchUp(batch = 5000): number {
    let done = 0;
    // Under the log's lock, read inside: another process may be hashing the same entries.
    const run = this.db.transaction((): number => {
      lockKeys(this.db, 'log', ['seq']);
      const from = this.s.hashedSize.get()?.n ?? 0;
      if (from >= this.size()) return 0;
      const rows = this.s.entries.all(from, batch);
      rows.forEach((r) => this.addLeaf(r.idx, leafHash(toHash(r.entry))));
      return rows.length;
    });
    for (;;) {
      const n = run();
      if (n === 0) return done;
      done += n;
    }
  }

  private addLeaf(idx: number, hash: Hash): void {
    this.s.insertHash.run(0, idx, hash);
    // A full tile at level L yields one hash at level L+1.
    let level = 0;
    let i = idx;
    while (i % TILE_WIDTH === TILE_WIDTH - 1) {
      const tile = this.levelHashes(level, i - (TILE_WIDTH - 1), TILE_WIDTH);
      i = Math.floor(i / TILE_WIDTH);
      level++;
      this.s.insertHash.run(level, i, hashOfHashes(tile));
    }
  }

  levelHashes(level: number, from: number, count: number): Hash[] {
    return this.s.hashes.all(level, from, count).map(toHash);
  }

  /** Complete-subtree hashes of the stored tree (valid for any size up to the current one). */
  source(): SubtreeSource {
    return subtreeSource((level, from, count) => this.levelHashes(level, from, count), hashOfHashes);
  }

  root(size: number): Hash {
    return treeHash(size, this.source(), nodeHash);
  }

  inclusion(index: number, size: number): Hash[] {
    return inclusionProof(index, size, this.source(), nodeHash);
  }

  consistency(from: number, to: number): Hash[] {
    return consistencyProof(from, to, this.source(), nodeHash);
  }

  /** Tile bytes: `width` hashes of tile `index` at `level`, or null when the tree (of its current size) has no such tile. */
  tile(level: number, index: number, width: number): Uint8Array | null {
    if (tileWidth(level, index, this.hashedSize()) < width) return null;
    return Buffer.concat(this.levelHashes(level, index * TILE_WIDTH, width));
  }

  entries(from: number, count: number): EntryRow[] {
    return this.s.entries.all(from, count);
  }

  entry(idx: number): LogEntry | undefined {
    const r = this.s.entries.all(idx, 1)[0];
    return r && r.idx === idx ? decodeEntry(toHash(r.entry)) : undefined;
  }

  indexOf(kind: EntryKind, refId: number): number | undefined {
    return this.s.byRef.get(kind, refId)?.idx;
  }

  /** Every entry of a kind about one row, in log order (validity entries of a binding's link). */
  indexesOf(kind: EntryKind, refId: number, limit = 1000): number[] {
    return this.s.byRef.all(kind, refId).slice(0, limit).map((r) => r.idx);
  }

  /** An Avatar's KV-write and subkey entries (avatar as 0x + compressed key), in log order. */
  avatarEntries(avatar: string, limit = 1000): Array<{ index: number; entry: LogEntry }> {
    return this.s.ofAvatar.all(avatar, limit).map((r) => ({ index: r.idx, entry: decodeEntry(toHash(r.entry)) }));
  }

  latestCheckpoint(): CheckpointRow | undefined {
    return this.s.latest.get();
  }

  checkpointAt(size: number): CheckpointRow | undefined {
    return this.s.checkpointAt.get(size);
  }

  saveCheckpoint(size: number, root: Hash, note: string, now = Date.now()): void {
    this.s.insertCheckpoint.run(size, root, note, now);
  }

  private hashedSize(): number {
    return this.s.hashedSize.get()?.n ?? 0;
  }
}
