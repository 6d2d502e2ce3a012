/**
 * The one database connection every table owner shares, whichever engine runs it. Owners write
 * their SQL with `?` placeholders and prepare each statement once; where the two engines'
 * dialects differ an owner picks its text by `db.dialect` (see `sql` below), and nothing outside
 * the table owners knows which engine runs. The interface is the synchronous subset of
 * better-sqlite3 the owners use, so an in-transaction hook of one owner writes inside another's
 * transaction on either engine.
 */
export type Dialect = 'sqlite' | 'postgres';

export interface RunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

export interface Statement<P extends unknown[] = unknown[], R = unknown> {
  get(...params: P): R | undefined;
  all(...params: P): R[];
  run(...params: P): RunResult;
  /** the first column of each row instead of the row */
  pluck(toggle?: boolean): Statement<P, any>;
}

/** A function run in a transaction (nested calls are savepoints); the variants differ only on SQLite. */
export type Transaction<F extends (...args: any[]) => any> = F & { deferred: F; immediate: F; exclusive: F };

export interface Db {
  readonly dialect: Dialect;
  /** the SQLite file, or the PostgreSQL server and database (never its password) */
  readonly name: string;
  readonly memory: boolean;
  readonly inTransaction: boolean;
  readonly open: boolean;
  prepare<P extends unknown[] = unknown[], R = unknown>(source: string): Statement<P, R>;
  exec(source: string): this;
  transaction<F extends (...args: any[]) => any>(fn: F): Transaction<F>;
  /** SQLite only (PostgreSQL has no pragmas; owners check `dialect` first) */
  pragma(source: string, options?: { simple?: boolean }): unknown;
  close(): this | void;
}

/** An owner's statement text per engine: the same text for both unless given twice. */
export function sql(db: Db, sqlite: string, postgres: string = sqlite): string {
  return db.dialect === 'postgres' ? postgres : sqlite;
}

/**
 * A match against a list of integer ids bound as one parameter (`idList(db, ids)`), so one
 * prepared statement serves a list of any length: SQLite unnests a JSON array, PostgreSQL takes
 * an array literal with `= ANY` (which its planner answers from the column's index).
 */
export function inIdList(db: Db): string {
  return sql(db, 'IN (SELECT value FROM json_each(?))', '= ANY (?::bigint[])');
}

/** The parameter `inIdList` takes. The ids are the caller's integers, never client text. */
export function idList(db: Db, ids: readonly number[]): string {
  return db.dialect === 'postgres' ? `{${ids.join(',')}}` : JSON.stringify(ids);
}

/**
 * Serialise writers of the given keys (e.g. Avatars) across processes until the current
 * transaction ends. On SQLite one connection is the only writer, so this does nothing; on
 * PostgreSQL it takes transaction-scoped advisory locks in sorted order, so two daemons that
 * append to the same keys queue instead of deadlocking. Must run inside a transaction.
 */
export function lockKeys(db: Db, namespace: string, keys: Iterable<string>): void {
  if (db.dialect !== 'postgres') return;
  const sorted = [...new Set(keys)].sort();
  if (sorted.length === 0) return;
  lockStatement(db).all(`{${sorted.map((k) => `"${`${namespace}:${k}`.replace(/["\\]/g, '\\$&')}"`).join(',')}}`);
}

const lockStatements = new WeakMap<Db, Statement<[string]>>();
function lockStatement(db: Db): Statement<[string]> {
  let s = lockStatements.get(db);
  if (!s) {
    // ORDER BY inside the subquery fixes the order the locks are taken in.
    s = db.prepare<[string]>('SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM (SELECT unnest(?::text[]) AS k ORDER BY 1) t');
    lockStatements.set(db, s);
  }
  return s;
}
