/**
 * The PostgreSQL engine behind the same synchronous `Db` the SQLite engine offers: one libpq
 * connection per process (the `libpq` addon's blocking calls), so the table owners' statements,
 * transactions and in-transaction hooks work unchanged on either engine. A call blocks the event
 * loop for one round trip to the server, as a better-sqlite3 call blocks it for the disk: run
 * PostgreSQL on the same host or network segment (docs/postgres.md) and scale with processes.
 *
 * Statements are prepared on the server once per connection (named `s1`, `s2`, … on first use) and
 * re-prepared after a reconnect. Values cross as text: numbers, bigints and strings as written,
 * bytes as bytea hex; results come back as SQLite's would (integers as numbers, bytea as Buffer,
 * booleans as 1/0). A lost connection is UNAVAILABLE (503) and is reopened on a later call, at most
 * once a second, so an outage costs each request one failed attempt, not a hang.
 */
import { createRequire } from 'node:module';
import type PQ from 'libpq';
import { ProofError } from '../core/index.js';
import type { Db, RunResult, Statement, Transaction } from './db.js';

export interface PgOptions {
  /** libpq connection URL or key=value string */
  url: string;
  /** each statement's limit on the server (statement_timeout); 0 = none */
  statementTimeoutMs: number;
  /** how long a (re)connect may take before the call fails UNAVAILABLE */
  connectTimeoutMs: number;
  /** the application_name the server shows for this connection */
  applicationName?: string;
}

/**
 * The addon, loaded on first use so a SQLite deployment never needs it. Through require(), not
 * import: the module prints its include path on stdout when it has no CommonJS parent.
 */
let addon: typeof PQ | undefined;
function loadPQ(): typeof PQ {
  if (!addon) {
    try {
      addon = createRequire(import.meta.url)('libpq') as typeof PQ;
    } catch (cause) {
      throw new ProofError('BAD_CONFIG', 'store.engine is postgres but the libpq addon could not be loaded (npm rebuild libpq; Debian: apt-get install libpq-dev)', { cause });
    }
  }
  return addon;
}

/** finished connections kept alive until their native close completes (see PgDb.drop) */
const finished = new Set<PQ>();

const TRANS_UNKNOWN = 4; // PQTRANS_UNKNOWN: the connection is bad
const RECONNECT_EVERY_MS = 1000;

/** OIDs of the result types converted back to SQLite's shapes */
const INT = new Set([20, 21, 23, 26]); // int8, int2, int4, oid
const FLOAT = new Set([700, 701, 1700]); // float4, float8, numeric
const BOOL = 16;
const BYTEA = 17;

/** A server error with its SQLSTATE (e.g. 23505 unique_violation, 40P01 deadlock_detected). */
export class PgError extends Error {
  constructor(message: string, readonly sqlState: string, readonly constraint?: string) {
    super(message);
    this.name = 'PgError';
  }
  /** the transaction lost a race with another one and may simply be run again */
  get retryable(): boolean {
    return this.sqlState === '40001' || this.sqlState === '40P01';
  }
}

export class PgDb implements Db {
  readonly dialect = 'postgres' as const;
  readonly memory = false;
  readonly name: string;
  private pq: PQ | null = null;
  private generation = 0;
  private lastAttempt = 0;
  private depth = 0;
  private nextName = 0;
  private closed = false;

  constructor(private readonly opts: PgOptions) {
    this.name = redact(opts.url);
    this.connect();
  }

  get open(): boolean {
    return !this.closed;
  }

  get inTransaction(): boolean {
    return this.depth > 0;
  }

  /** The live connection, reconnecting when it was lost (never inside a transaction: that one is gone). */
  conn(): { pq: PQ; generation: number } {
    if (this.closed) throw new ProofError('UNAVAILABLE', 'the database connection is closed');
    if (this.pq && this.pq.transactionStatus() !== TRANS_UNKNOWN) return { pq: this.pq, generation: this.generation };
    if (this.depth > 0) throw new ProofError('UNAVAILABLE', 'the database connection was lost during a transaction');
    if (Date.now() - this.lastAttempt < RECONNECT_EVERY_MS) throw new ProofError('UNAVAILABLE', `the database (${this.name}) is unreachable`);
    this.connect();
    return { pq: this.pq!, generation: this.generation };
  }

  private connect(): void {
    this.lastAttempt = Date.now();
    this.drop();
    const pq = new (loadPQ())();
    const params = [
      `connect_timeout=${Math.max(1, Math.ceil(this.opts.connectTimeoutMs / 1000))}`,
      `application_name=${this.opts.applicationName ?? 'proofkeep'}`,
      'keepalives=1', 'keepalives_idle=10', 'keepalives_interval=5', 'keepalives_count=3',
    ];
    try {
      pq.connectSync(withParams(this.opts.url, params));
    } catch (cause) {
      throw new ProofError('UNAVAILABLE', `the database (${this.name}) is unreachable: ${firstLine(cause)}`, { cause });
    }
    this.pq = pq;
    this.generation++;
    this.simple(`SET statement_timeout = ${Math.max(0, Math.floor(this.opts.statementTimeoutMs))}`);
    // libpq prints the server's notices on stderr, where they would break the JSON logs ("already exists, skipping").
    this.simple('SET client_min_messages = warning');
    // A connection that dies inside a transaction must not hold its locks for long on the server.
    this.simple(`SET idle_in_transaction_session_timeout = ${Math.max(10_000, this.opts.statementTimeoutMs * 2)}`);
  }

  private drop(): void {
    if (!this.pq) return;
    const pq = this.pq;
    this.pq = null;
    try {
      pq.finish();
    } catch {
      /* already gone */
    }
    // The addon closes its socket watcher (embedded in the native object) with uv_close and no
    // callback: collecting the object before the loop has finished that close aborts the process
    // (a libuv assertion). Keep it reachable until the loop has gone round.
    finished.add(pq);
    setTimeout(() => finished.delete(pq), 50).unref();
  }

  /** Run `text` with the simple protocol (several statements allowed, no parameters). */
  private simple(text: string): void {
    const { pq } = this.conn();
    pq.exec(text);
    check(pq, this);
  }

  /** @internal a statement's round trip; checks the result and reports a lost connection */
  result(pq: PQ): PQ {
    check(pq, this);
    return pq;
  }

  /** @internal */
  statementName(): string {
    return `s${++this.nextName}`;
  }

  prepare<P extends unknown[] = unknown[], R = unknown>(source: string): Statement<P, R> {
    return new PgStatement<P, R>(this, source);
  }

  exec(source: string): this {
    this.simple(/\b(CREATE|ALTER)\s+TABLE\b/i.test(source) ? postgresDdl(source) : source);
    return this;
  }

  transaction<F extends (...args: any[]) => any>(fn: F): Transaction<F> {
    const run = ((...args: Parameters<F>): ReturnType<F> => {
      const savepoint = this.depth > 0 ? `sp${this.depth}` : null;
      this.simple(savepoint ? `SAVEPOINT ${savepoint}` : 'BEGIN');
      this.depth++;
      let out: ReturnType<F>;
      try {
        out = fn(...args);
      } catch (err) {
        this.depth--;
        this.undo(savepoint);
        throw err;
      }
      this.depth--;
      try {
        this.simple(savepoint ? `RELEASE SAVEPOINT ${savepoint}` : 'COMMIT');
      } catch (err) {
        this.undo(savepoint);
        throw err;
      }
      return out;
    }) as Transaction<F>;
    run.deferred = run;
    run.immediate = run;
    run.exclusive = run;
    return run;
  }

  private undo(savepoint: string | null): void {
    if (!this.pq || this.pq.transactionStatus() === TRANS_UNKNOWN) return; // the server rolled back
    try {
      this.pq.exec(savepoint ? `ROLLBACK TO SAVEPOINT ${savepoint}; RELEASE SAVEPOINT ${savepoint}` : 'ROLLBACK');
    } catch {
      /* the connection is dropped below if it is bad */
    }
  }

  pragma(): unknown {
    return undefined;
  }

  close(): this {
    this.closed = true;
    this.drop();
    return this;
  }
}

class PgStatement<P extends unknown[], R> implements Statement<P, R> {
  private readonly text: string;
  private readonly nParams: number;
  private name = '';
  private preparedOn = -1;
  private plucked = false;

  constructor(private readonly db: PgDb, source: string) {
    const { text, n } = numberPlaceholders(source);
    this.text = text;
    this.nParams = n;
  }

  pluck(toggle = true): Statement<P, any> {
    this.plucked = toggle;
    return this;
  }

  private execute(params: unknown[]): PQ {
    const { pq, generation } = this.db.conn();
    if (this.preparedOn !== generation) {
      this.name = this.db.statementName();
      pq.prepare(this.name, this.text, this.nParams);
      this.db.result(pq);
      this.preparedOn = generation;
    }
    if (params.length !== this.nParams) throw new RangeError(`statement takes ${this.nParams} parameters, got ${params.length}`);
    pq.execPrepared(this.name, params.map(toText));
    return this.db.result(pq);
  }

  get(...params: P): R | undefined {
    const pq = this.execute(params);
    return pq.ntuples() > 0 ? (this.row(pq, 0) as R) : undefined;
  }

  all(...params: P): R[] {
    const pq = this.execute(params);
    const n = pq.ntuples();
    const out = new Array<R>(n);
    for (let r = 0; r < n; r++) out[r] = this.row(pq, r) as R;
    return out;
  }

  run(...params: P): RunResult {
    const pq = this.execute(params);
    // INSERT … RETURNING id: its first column is the new row's id, as SQLite's lastInsertRowid.
    const lastInsertRowid = pq.ntuples() > 0 && pq.nfields() > 0 ? Number(value(pq, 0, 0)) : 0;
    return { changes: Number(pq.cmdTuples() || 0), lastInsertRowid };
  }

  private row(pq: PQ, r: number): unknown {
    if (this.plucked) return value(pq, r, 0);
    const o: Record<string, unknown> = {};
    for (let c = 0, n = pq.nfields(); c < n; c++) o[pq.fname(c)] = value(pq, r, c);
    return o;
  }
}

function value(pq: PQ, r: number, c: number): unknown {
  if (pq.getisnull(r, c)) return null;
  const v = pq.getvalue(r, c);
  const t = pq.ftype(c);
  if (INT.has(t) || FLOAT.has(t)) return Number(v);
  if (t === BYTEA) return Buffer.from(v.slice(2), 'hex');
  if (t === BOOL) return v === 't' ? 1 : 0;
  return v;
}

function toText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (v instanceof Uint8Array) return `\\x${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}`;
  throw new TypeError(`cannot bind a ${typeof v} to a PostgreSQL parameter`);
}

/** Throw the result's error, if any: a lost connection as UNAVAILABLE, a server error as PgError. */
function check(pq: PQ, db: PgDb): void {
  const status = pq.resultStatus();
  if (status === 'PGRES_COMMAND_OK' || status === 'PGRES_TUPLES_OK' || status === 'PGRES_EMPTY_QUERY') return;
  const f = pq.resultErrorFields() ?? {};
  const state = f['sqlState'];
  if (pq.transactionStatus() === TRANS_UNKNOWN || !state || state.startsWith('08') || state === '57P01' || state === '57P02' || state === '57P03') {
    throw new ProofError('UNAVAILABLE', `the database (${db.name}) is unavailable: ${firstLine(pq.resultErrorMessage() || pq.errorMessage())}`);
  }
  if (state === '57014') throw new ProofError('UNAVAILABLE', 'a database statement timed out', { cause: new PgError(firstLine(pq.resultErrorMessage()), state) });
  throw new PgError(firstLine(pq.resultErrorMessage()), state, f['constraintName']);
}

/**
 * SQLite column types in the migrations' DDL as PostgreSQL's: SQLite's INTEGER is 64-bit (unix
 * ms timestamps), a rowid key gets its values from an identity column, BLOB is BYTEA.
 */
export function postgresDdl(source: string): string {
  return source
    .replace(/\bINTEGER\s+PRIMARY\s+KEY(\s+AUTOINCREMENT)?\b/gi, 'BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY')
    .replace(/\bINTEGER\b/gi, 'BIGINT')
    .replace(/\bBLOB\b/gi, 'BYTEA')
    .replace(/\bREAL\b/gi, 'DOUBLE PRECISION')
    .replace(/\)\s*WITHOUT\s+ROWID/gi, ')');
}

/**
 * `?` placeholders to `$1…$n`, outside string literals, quoted identifiers and comments. The
 * statement texts are the owners' own constants, never client input.
 */
export function numberPlaceholders(source: string): { text: string; n: number } {
  let out = '';
  let n = 0;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]!;
    if (ch === "'" || ch === '"') {
      const end = source.indexOf(ch, i + 1);
      const stop = end < 0 ? source.length : end;
      out += source.slice(i, stop + 1);
      i = stop;
    } else if (ch === '-' && source[i + 1] === '-') {
      const end = source.indexOf('\n', i);
      const stop = end < 0 ? source.length : end;
      out += source.slice(i, stop);
      i = stop - 1;
    } else if (ch === '?') {
      out += `$${++n}`;
    } else {
      out += ch;
    }
  }
  return { text: out, n };
}

export function withParams(url: string, params: string[]): string {
  if (/^postgres(ql)?:\/\//.test(url)) {
    // Textually, not with URL: libpq's own forms (postgres:///db?host=/run/postgresql, several
    // hosts) are not WHATWG URLs. A parameter the operator set wins.
    const extra = params.filter((p) => !new RegExp(`[?&]${p.split('=')[0]}=`).test(url));
    if (extra.length === 0) return url;
    const [base, hash = ''] = url.split('#', 2) as [string, string?];
    return `${base}${base.includes('?') ? '&' : '?'}${extra.join('&')}${hash ? `#${hash}` : ''}`;
  }
  return `${params.join(' ')} ${url}`;
}

/** The URL without its password, for logs and errors. */
export function redact(url: string): string {
  if (/^postgres(ql)?:\/\//.test(url)) {
    // Textually too (libpq URLs need not be WHATWG URLs): user:password@ and password=… go.
    return url.replace(/^(postgres(?:ql)?:\/\/[^:@/?#]*):[^@/?#]*@/, '$1:***@').replace(/([?&]password=)[^&#]*/gi, '$1***');
  }
  return url.replace(/password\s*=\s*\S+/gi, 'password=***');
}

function firstLine(err: unknown): string {
  const s = err instanceof Error ? err.message : String(err);
  return s.split('\n')[0]!.trim();
}
