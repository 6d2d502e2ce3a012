/**
 * The check `proofkeep migrate-store` makes before it commits (and `--verify-only` makes on a
 * finished copy): every table has the same rows on both sides (count and an order-independent
 * digest of every row), every Avatar's chain document and every KV chain document rebuilt from
 * each engine has the same bytes and CID, and every archived version's stored CID is the CID of
 * the chain prefix it names, rebuilt from PostgreSQL. Synchronous, so it runs inside the copy's
 * transaction.
 */
import type Database from 'better-sqlite3';
import { documentCidSync } from '../archive/cid.js';
import { chainDocumentBytes, kvChainDocumentBytes } from '../core/index.js';
import { KvStore } from '../kv/kv-store.js';
import { rowsDigest, sourceRows, targetRows, type SourceTable } from '../store/copy.js';
import type { Db } from '../store/db.js';
import { Reader } from '../store/read.js';
import { asDb } from '../store/sqlite.js';

export interface VerifyReport {
  tables: Array<{ name: string; source: number; target: number; same: boolean }>;
  rows: number;
  avatars: number;
  documents: number;
  kvAvatars: number;
  kvDocuments: number;
  /** archive_versions / kv_archive_versions rows whose stored CID was re-derived */
  archivedCids: number;
  mismatches: string[];
  /** differences the source already had (an archived CID that its own chain does not give): reported, not caused by the copy */
  warnings: string[];
}

const PAGE = 2000;
const MAX_LISTED = 20;

export function verifyCopy(src: Database.Database, dst: Db, tables: readonly SourceTable[]): VerifyReport {
  const r: VerifyReport = { tables: [], rows: 0, avatars: 0, documents: 0, kvAvatars: 0, kvDocuments: 0, archivedCids: 0, mismatches: [], warnings: [] };
  const mismatch = (m: string) => {
    if (r.mismatches.length < MAX_LISTED) r.mismatches.push(m);
    else if (r.mismatches.length === MAX_LISTED) r.mismatches.push('… (more mismatches not listed)');
  };
  for (const t of tables) {
    const a = rowsDigest(sourceRows(src, t, PAGE));
    const b = rowsDigest(targetRows(dst, t, PAGE));
    const same = a.rows === b.rows && a.digest === b.digest;
    r.tables.push({ name: t.name, source: a.rows, target: b.rows, same });
    r.rows += b.rows;
    if (a.rows !== b.rows) mismatch(`table ${t.name}: ${a.rows} rows in the SQLite index, ${b.rows} in PostgreSQL`);
    else if (!same) mismatch(`table ${t.name}: the same number of rows (${a.rows}) but not the same rows`);
  }
  const names = new Set(tables.map((t) => t.name));
  const sdb = sourceDb(src);
  if (names.has('avatars') && names.has('links')) verifyProofChains(sdb, dst, r, mismatch);
  if (names.has('kv_avatars') && names.has('kv_writes')) verifyKvChains(sdb, dst, r, mismatch);
  return r;
}

/** better-sqlite3's connection as the engine-neutral Db (marked once) for the store's readers. */
const wrapped = new WeakMap<Database.Database, Db>();
function sourceDb(src: Database.Database): Db {
  let d = wrapped.get(src);
  if (!d) {
    d = 'dialect' in src ? (src as unknown as Db) : asDb(src);
    wrapped.set(src, d);
  }
  return d;
}

type Ids = Array<{ id: number }>;

function verifyProofChains(src: Db, dst: Db, r: VerifyReport, mismatch: (m: string) => void): void {
  const a = new Reader(src);
  const b = new Reader(dst);
  const ids = src.prepare<[], { id: number }>('SELECT id FROM avatars ORDER BY id').all() as Ids;
  for (const { id } of ids) {
    const sa = a.avatarById(id)!;
    const ta = b.avatarById(id);
    r.avatars++;
    if (!ta || ta.avatar !== sa.avatar || ta.public_key !== sa.public_key) {
      mismatch(`Avatar ${sa.avatar}: not the same Avatar row in PostgreSQL`);
      continue;
    }
    const sd = chainDocumentBytes(sa.public_key, a.chainLinks(id));
    const td = chainDocumentBytes(ta.public_key, b.chainLinks(id));
    r.documents++;
    const sc = documentCidSync(sd).toString();
    const tc = documentCidSync(td).toString();
    if (sc !== tc || !Buffer.from(sd).equals(Buffer.from(td))) mismatch(`Avatar ${sa.avatar}: chain document ${tc} from PostgreSQL, ${sc} from the SQLite index`);
  }
  archivedCids(src, dst, 'archive_versions', (db, avatarId, count) => {
    const read = db === dst ? b : a;
    const row = read.avatarById(avatarId);
    return row ? chainDocumentBytes(row.public_key, read.chainPrefix(avatarId, count)) : null;
  }, r, mismatch);
}

function verifyKvChains(src: Db, dst: Db, r: VerifyReport, mismatch: (m: string) => void): void {
  const a = new KvStore(src);
  const b = new KvStore(dst);
  const ids = src.prepare<[], { id: number }>('SELECT id FROM kv_avatars ORDER BY id').all() as Ids;
  for (const { id } of ids) {
    const sa = a.avatarById(id)!;
    const ta = b.avatarById(id);
    r.kvAvatars++;
    if (!ta || ta.avatar !== sa.avatar || ta.public_key !== sa.public_key) {
      mismatch(`KV Avatar ${sa.avatar}: not the same row in PostgreSQL`);
      continue;
    }
    const sd = kvChainDocumentBytes(sa.public_key, a.writes(id));
    const td = kvChainDocumentBytes(ta.public_key, b.writes(id));
    r.kvDocuments++;
    const sc = documentCidSync(sd).toString();
    const tc = documentCidSync(td).toString();
    if (sc !== tc || !Buffer.from(sd).equals(Buffer.from(td))) mismatch(`KV Avatar ${sa.avatar}: KV chain document ${tc} from PostgreSQL, ${sc} from the SQLite index`);
  }
  archivedCids(src, dst, 'kv_archive_versions', (db, avatarId, count) => {
    const kv = db === dst ? b : a;
    const row = kv.avatarById(avatarId);
    return row ? kvChainDocumentBytes(row.public_key, kv.writes(avatarId, count)) : null;
  }, r, mismatch);
}

/**
 * Each archived version's stored CID against the document of the prefix it names, rebuilt from
 * PostgreSQL. Where the SQLite index's own chain does not give its stored CID either, the
 * difference predates the copy: a warning, not a failed migration.
 */
function archivedCids(
  src: Db, dst: Db, table: string, doc: (db: Db, avatarId: number, count: number) => Uint8Array | null,
  r: VerifyReport, mismatch: (m: string) => void,
): void {
  const exists = src.prepare<[string]>("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").pluck().get(table);
  if (!exists) return;
  const rows = dst.prepare<[], { avatar_id: number; link_count: number; cid: string }>(`SELECT avatar_id, link_count, cid FROM ${table} ORDER BY id`).all();
  for (const v of rows) {
    r.archivedCids++;
    const td = doc(dst, v.avatar_id, v.link_count);
    const tc = td ? documentCidSync(td).toString() : '(no such Avatar)';
    if (tc === v.cid) continue;
    const sd = doc(src, v.avatar_id, v.link_count);
    const sc = sd ? documentCidSync(sd).toString() : '(no such Avatar)';
    if (sc === tc) r.warnings.push(`${table}: version ${v.link_count} of Avatar #${v.avatar_id} is stored as ${v.cid} but its chain gives ${sc} in the SQLite index too`);
    else mismatch(`${table}: version ${v.link_count} of Avatar #${v.avatar_id} is stored as ${v.cid}; PostgreSQL's chain gives ${tc}`);
  }
}
