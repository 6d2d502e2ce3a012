/**
 * Copying a SQLite index into a PostgreSQL database migrated with the same schema, table by
 * table, knowing nothing of what the tables hold: the list of tables comes from the SQLite file
 * (minus SQLite's own and the FTS5 index, which PostgreSQL replaces with a trigram index),
 * columns and keys from each side's catalog. `proofkeep migrate-store` runs all of it in one
 * PostgreSQL transaction, so a crash midway leaves the target as empty as it found it.
 */
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Db, Statement } from './db.js';

export class CopyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CopyError';
  }
}

export interface SourceTable {
  name: string;
  columns: string[];
  /** primary key columns, in key order: rows are copied and paged in this order */
  key: string[];
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const q = (name: string) => `"${name}"`;

/** Tables the copy leaves out: SQLite's own, and the migrations' record (each side keeps its own). */
function internal(name: string): boolean {
  return name.startsWith('sqlite_') || name === 'schema_migrations';
}

/** The SQLite file's tables to copy, in name order: everything but SQLite's own and virtual tables with their shadow tables. */
export function sourceTables(src: Database.Database): SourceTable[] {
  const rows = src.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string; sql: string | null }>;
  const virtual = rows.filter((r) => /^\s*CREATE\s+VIRTUAL\s+TABLE/i.test(r.sql ?? '')).map((r) => r.name);
  const out: SourceTable[] = [];
  for (const { name } of rows) {
    if (internal(name) || virtual.some((v) => name === v || name.startsWith(`${v}_`))) continue;
    if (!IDENT.test(name)) throw new CopyError(`the SQLite index has a table named ${JSON.stringify(name)}, which proofkeep never creates`);
    const info = src.prepare(`PRAGMA table_info(${q(name)})`).all() as Array<{ name: string; pk: number }>;
    const key = info.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
    if (key.length === 0) throw new CopyError(`table ${name} in the SQLite index has no primary key`);
    out.push({ name, columns: info.map((c) => c.name), key });
  }
  return out;
}

/** The target's tables (the current schema's) and their columns, without schema_migrations. */
export function targetTables(dst: Db): Map<string, string[]> {
  const rows = dst.prepare<[], { t: string; c: string }>(
    `SELECT c.table_name AS t, c.column_name AS c FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
      WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' ORDER BY c.table_name, c.ordinal_position`,
  ).all();
  const out = new Map<string, string[]>();
  for (const r of rows) {
    if (internal(r.t)) continue;
    out.set(r.t, [...(out.get(r.t) ?? []), r.c]);
  }
  return out;
}

/** The same tables with the same columns on both sides, or an error naming the first difference. */
export function checkSameTables(src: readonly SourceTable[], dst: Map<string, string[]>): void {
  const names = new Set(src.map((t) => t.name));
  const srcOnly = src.filter((t) => !dst.has(t.name)).map((t) => t.name);
  if (srcOnly.length) throw new CopyError(`table ${srcOnly.join(', ')} is in the SQLite index but not in the PostgreSQL database (a table this proofkeep's schema does not create)`);
  const dstOnly = [...dst.keys()].filter((n) => !names.has(n));
  if (dstOnly.length) throw new CopyError(`table ${dstOnly.join(', ')} is in the PostgreSQL database but not in the SQLite index (the target must be a database of its own for proofkeep)`);
  for (const t of src) {
    const cols = dst.get(t.name)!;
    const missing = t.columns.filter((c) => !cols.includes(c));
    const extra = cols.filter((c) => !t.columns.includes(c));
    if (missing.length || extra.length) {
      throw new CopyError(`table ${t.name} differs: ${[...missing.map((c) => `column ${c} only in the SQLite index`), ...extra.map((c) => `column ${c} only in PostgreSQL`)].join(', ')}`);
    }
  }
}

/** Tables of the target that hold rows, with their counts. */
export function nonEmptyTables(dst: Db, tables: readonly SourceTable[]): Array<{ name: string; rows: number }> {
  const out: Array<{ name: string; rows: number }> = [];
  for (const t of tables) {
    if (dst.prepare(`SELECT EXISTS (SELECT 1 FROM ${q(t.name)}) AS x`).pluck().get() === 1) {
      out.push({ name: t.name, rows: Number(dst.prepare(`SELECT count(*) FROM ${q(t.name)}`).pluck().get()) });
    }
  }
  return out;
}

/** The tables in an order where every table comes after the ones its foreign keys reference. */
export function foreignKeyOrder(dst: Db, tables: readonly SourceTable[]): SourceTable[] {
  const refs = dst.prepare<[], { t: string; r: string }>(
    `SELECT c.relname AS t, r.relname AS r FROM pg_constraint k
       JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class r ON r.oid = k.confrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE k.contype = 'f' AND n.nspname = current_schema()`,
  ).all();
  const byName = new Map(tables.map((t) => [t.name, t]));
  const out: SourceTable[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') throw new CopyError(`foreign keys form a cycle: ${[...path, name].join(' → ')}`);
    state.set(name, 'visiting');
    for (const r of refs) if (r.t === name && r.r !== name && byName.has(r.r)) visit(r.r, [...path, name]);
    state.set(name, 'done');
    out.push(byName.get(name)!);
  };
  for (const t of tables) visit(t.name, []);
  return out;
}

/**
 * Rows of one table in key order, a page at a time (keyset paging, so a page costs the same
 * at the end of a big table as at its start), as arrays in `t.columns` order.
 */
export function* sourceRows(src: Database.Database, t: SourceTable, pageSize: number): Generator<unknown[][]> {
  const cols = t.columns.map(q).join(', ');
  const keyIdx = t.key.map((k) => t.columns.indexOf(k));
  const order = t.key.map(q).join(', ');
  const tuple = t.key.length === 1 ? q(t.key[0]!) : `(${order})`;
  const marks = t.key.length === 1 ? '?' : `(${t.key.map(() => '?').join(', ')})`;
  // Integers as bigints: a value past 2^53 is copied exactly, not rounded through a double.
  const first = src.prepare(`SELECT ${cols} FROM ${q(t.name)} ORDER BY ${order} LIMIT ?`).raw(true).safeIntegers(true);
  const next = src.prepare(`SELECT ${cols} FROM ${q(t.name)} WHERE ${tuple} > ${marks} ORDER BY ${order} LIMIT ?`).raw(true).safeIntegers(true);
  let page = first.all(pageSize) as unknown[][];
  while (page.length > 0) {
    yield page;
    if (page.length < pageSize) return;
    const last = page[page.length - 1]!;
    page = next.all(...keyIdx.map((i) => last[i]), pageSize) as unknown[][];
  }
}

/** The same pages from the PostgreSQL side (rows as arrays in `t.columns` order). */
export function* targetRows(dst: Db, t: SourceTable, pageSize: number): Generator<unknown[][]> {
  const cols = t.columns.map(q).join(', ');
  const order = t.key.map(q).join(', ');
  const tuple = t.key.length === 1 ? q(t.key[0]!) : `(${order})`;
  const marks = t.key.length === 1 ? '?' : `(${t.key.map(() => '?').join(', ')})`;
  const first = dst.prepare<unknown[], Record<string, unknown>>(`SELECT ${cols} FROM ${q(t.name)} ORDER BY ${order} LIMIT ?`);
  const next = dst.prepare<unknown[], Record<string, unknown>>(`SELECT ${cols} FROM ${q(t.name)} WHERE ${tuple} > ${marks} ORDER BY ${order} LIMIT ?`);
  const asArray = (r: Record<string, unknown>) => t.columns.map((c) => r[c]);
  let page = first.all(pageSize).map(asArray);
  while (page.length > 0) {
    yield page;
    if (page.length < pageSize) return;
    const last = page[page.length - 1]!;
    page = next.all(...t.key.map((k) => last[t.columns.indexOf(k)]), pageSize).map(asArray);
  }
}

/** Rows per INSERT: a few hundred, and far below libpq's 65,535 parameters. */
export function batchRows(columns: number): number {
  return Math.max(1, Math.min(500, Math.floor(20_000 / columns)));
}

/**
 * Copy every row of `tables` (in that order, which must respect foreign keys) with their ids.
 * The target's own triggers are off meanwhile: what they derive (link_alt_ids from bindings)
 * is copied as the source holds it. Must run inside a transaction of `dst`.
 */
export function copyRows(src: Database.Database, dst: Db, tables: readonly SourceTable[], progress: (table: string, rows: number) => void = () => {}): Map<string, number> {
  if (!dst.inTransaction) throw new Error('copyRows must run inside a transaction of the target');
  const counts = new Map<string, number>();
  for (const t of tables) dst.exec(`ALTER TABLE ${q(t.name)} DISABLE TRIGGER USER`);
  for (const t of tables) {
    const per = batchRows(t.columns.length);
    const inserts = new Map<number, Statement>();
    const insert = (n: number) => {
      let s = inserts.get(n);
      if (!s) {
        const row = `(${t.columns.map(() => '?').join(', ')})`;
        s = dst.prepare(`INSERT INTO ${q(t.name)} (${t.columns.map(q).join(', ')}) VALUES ${Array.from({ length: n }, () => row).join(', ')}`);
        inserts.set(n, s);
      }
      return s;
    };
    let copied = 0;
    for (const page of sourceRows(src, t, per)) {
      insert(page.length).run(...page.flat());
      copied += page.length;
    }
    counts.set(t.name, copied);
    progress(t.name, copied);
  }
  for (const t of tables) dst.exec(`ALTER TABLE ${q(t.name)} ENABLE TRIGGER USER`);
  return counts;
}

/**
 * Point every identity column's sequence past the highest value copied, so the next insert on
 * PostgreSQL does not collide with a copied id. Returns how many sequences were set.
 */
export function resetSequences(dst: Db, tables: readonly SourceTable[]): number {
  let n = 0;
  const seqOf = dst.prepare<[string, string]>('SELECT pg_get_serial_sequence(?, ?)').pluck();
  for (const t of tables) {
    for (const c of t.columns) {
      const seq = seqOf.get(q(t.name), c) as string | null;
      if (!seq) continue;
      dst.prepare(`SELECT setval(?::regclass, coalesce((SELECT max(${q(c)}) FROM ${q(t.name)}), 0) + 1, false)`).get(seq);
      n++;
    }
  }
  return n;
}

/**
 * An order-independent digest of a table's rows (the sum of each row's hash, mod 2^128): equal
 * on both sides exactly when they hold the same multiset of rows, whatever each engine's order.
 * Values are compared by what they mean, not how each driver hands them over: integers as
 * decimal whether a bigint or a number, bytes as hex, text as text.
 */
export function rowsDigest(pages: Iterable<unknown[][]>): { rows: number; digest: string } {
  let sum = 0n;
  let rows = 0;
  const MOD = 1n << 128n;
  for (const page of pages) {
    for (const row of page) {
      const h = createHash('sha256');
      for (const v of row) h.update(canonical(v));
      sum = (sum + BigInt(`0x${h.digest('hex').slice(0, 32)}`)) % MOD;
      rows++;
    }
  }
  return { rows, digest: sum.toString(16).padStart(32, '0') };
}

function canonical(v: unknown): string {
  let s: string;
  if (v === null || v === undefined) s = 'N';
  else if (typeof v === 'bigint') s = `I${v}`;
  else if (typeof v === 'number') s = Number.isInteger(v) ? `I${BigInt(v)}` : `F${v}`;
  else if (v instanceof Uint8Array) s = `B${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}`;
  else s = `S${String(v)}`;
  return `${s.length}:${s}`;
}
