/**
 * `proofkeep migrate-store --to postgres://…`: copy the SQLite index into an empty PostgreSQL
 * database and prove the copy before committing it (docs/postgres.md). The whole copy and its
 * verification are one PostgreSQL transaction: a crash, a mismatch or a lost connection leaves
 * the target with its schema and no rows, so the command can simply be run again.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { ConfigError, loadConfig } from '../config/load.js';
import { ProofError } from '../core/index.js';
import { SCHEMA } from '../schema.js';
import {
  checkSameTables, copyRows, CopyError, foreignKeyOrder, nonEmptyTables, resetSequences, sourceTables, targetTables, type SourceTable,
} from '../store/copy.js';
import type { Db } from '../store/db.js';
import { openDatabase } from '../store/open.js';
import { PgError, redact } from '../store/postgres.js';
import { parseFlags, UsageError, type CliIO } from './io.js';
import { verifyCopy, type VerifyReport } from './migrate-verify.js';

export const MIGRATE_USAGE = `usage: proofkeep migrate-store [--to URL] [--from FILE | --data-dir DIR | --config FILE] [--verify-only]

Copies the SQLite index into an empty PostgreSQL database, then verifies the copy (row counts
and a digest of every table, every chain and KV chain document re-hashed on both engines, every
archived CID) before committing it. Stop the daemon first: the index is locked for the run.

options:
  --to URL          the PostgreSQL database (postgres://user@host:port/db); default store.postgres.url
                    (env PROOFKEEP_DATABASE_URL). Keep the password out of it: PGPASSWORD or ~/.pgpass
  --from FILE       the SQLite index to copy; default <store.dataDir>/<store.file> as serve finds it
  --data-dir DIR    store.dataDir (as serve --data-dir)
  --config FILE     config file (as serve --config)
  --verify-only     copy nothing: verify an earlier migration against the SQLite index
  --help

exit status: 0 copied and verified, 1 refused or a mismatch (nothing committed), 2 usage or configuration error`;

class Refused extends Error {}

export async function run(argv: string[], io: CliIO): Promise<number> {
  const { flags, rest } = parseFlags(argv, { to: 'string', from: 'string', 'data-dir': 'string', config: 'string', 'verify-only': 'boolean', help: 'boolean' });
  if (flags['help']) {
    io.stdout.write(`${MIGRATE_USAGE}\n`);
    return 0;
  }
  if (rest.length) throw new UsageError(`unexpected argument ${rest[0]}\n${MIGRATE_USAGE}`);
  let config;
  try {
    config = loadConfig({ file: flags['config'] as string | undefined, env: io.env, overrides: { 'store.dataDir': flags['data-dir'] } });
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr.write(`proofkeep: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const url = typeof flags['to'] === 'string' ? flags['to'] : config.store.postgres.url;
  if (!url) throw new UsageError('--to URL is required (or store.postgres.url / PROOFKEEP_DATABASE_URL)');
  checkUrl(url);
  const file = typeof flags['from'] === 'string' ? resolve(flags['from']) : join(resolve(config.store.dataDir), config.store.file);
  if (!existsSync(file)) throw new UsageError(`no SQLite index at ${file} (--from FILE or --data-dir DIR)`);

  const fail = (msg: string) => {
    io.stderr.write(`proofkeep migrate-store: ${msg}\n`);
    return 1;
  };
  let src: Database.Database | undefined;
  let dst: Db | undefined;
  try {
    src = openSource(file);
    const tables = sourceTables(src);
    checkSourceSchema(src);
    // Longer statements than a request's: a count or a digest page of a big table is one statement.
    dst = openDatabase({
      engine: 'postgres', url, migrations: SCHEMA, applicationName: 'proofkeep-migrate-store',
      statementTimeoutMs: Math.max(config.store.postgres.statementTimeoutMs, 300_000), connectTimeoutMs: config.store.postgres.connectTimeoutMs,
    });
    checkSameTables(tables, targetTables(dst));
    io.stdout.write(`source ${file}: ${tables.length} tables\ntarget ${redact(url)}\n`);
    const started = Date.now();
    const report = flags['verify-only'] ? verifyOnly(src, dst, tables) : migrate(src, dst, tables, io);
    printReport(io, report, Date.now() - started);
    if (report.mismatches.length) {
      return fail(flags['verify-only']
        ? `${report.mismatches.length} mismatch(es) between the SQLite index and PostgreSQL`
        : `the copy does not match the SQLite index (${report.mismatches.length} mismatch(es)): nothing was committed`);
    }
    io.stdout.write(flags['verify-only'] ? 'ok: PostgreSQL holds the same index\n' : 'ok: copied and verified; committed\n');
    return 0;
  } catch (err) {
    if (err instanceof Refused || err instanceof CopyError) return fail(err.message);
    if (err instanceof ProofError) return fail(err.message);
    if (err instanceof PgError) return fail(`PostgreSQL refused (${err.sqlState}): ${err.message}${flags['verify-only'] ? '' : '; nothing was committed'}`);
    if (err instanceof Error && (err as { code?: string }).code?.startsWith('SQLITE_')) return fail(`the SQLite index ${file}: ${err.message}`);
    if (err instanceof Error && /schema migrations/.test(err.message)) return fail(err.message);
    throw err;
  } finally {
    dst?.close();
    src?.close();
  }
}

function checkUrl(url: string): void {
  if (/^postgres(ql)?:\/\//i.test(url)) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new UsageError('--to is not a valid URL (postgres://user@host:port/database)');
    }
    if (u.pathname.length <= 1) throw new UsageError('--to names no database (postgres://user@host:port/database)');
    return;
  }
  // libpq's key=value form (host=… dbname=…) is accepted as the daemon accepts it.
  if (/^\s*\w+\s*=/.test(url)) return;
  throw new UsageError('--to must be a postgres:// URL (postgres://user@host:port/database) or a libpq key=value string');
}

/**
 * The index opened for reading only, holding SQLite's exclusive lock for the whole run: a
 * daemon that has the file open (even idle) makes this fail, and no daemon can open it until
 * the migration is over, so nothing is written to it that the copy would miss.
 */
function openSource(file: string): Database.Database {
  const src = new Database(file, { fileMustExist: true, timeout: 0 });
  try {
    src.pragma('query_only = 1');
    src.pragma('locking_mode = EXCLUSIVE');
    src.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (err) {
    src.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') {
      throw new Refused(`${file} is open in another process (a daemon running on it?): stop it first — the migration needs the index to itself`);
    }
    throw err;
  }
  return src;
}

/** The source must be at this build's schema: the target is migrated to it and the tables must match. */
function checkSourceSchema(src: Database.Database): void {
  const has = src.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (!has) throw new Refused('the SQLite file is not a proofkeep index (no schema_migrations table)');
  const applied = new Set(src.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
  const unknown = [...applied].filter((v) => !SCHEMA.some((m) => m.version === v));
  if (unknown.length) throw new Refused(`the SQLite index has schema migrations ${unknown.join(', ')} that this proofkeep does not know: migrate it with the proofkeep that wrote it`);
  const missing = SCHEMA.filter((m) => !applied.has(m.version));
  if (missing.length) {
    throw new Refused(`the SQLite index is at an older schema (missing ${missing.map((m) => `${m.version} ${m.name}`).join(', ')}): run this proofkeep's serve on it once (it migrates at start), stop it, then migrate`);
  }
}

function migrate(src: Database.Database, dst: Db, tables: SourceTable[], io: CliIO): VerifyReport {
  const ordered = foreignKeyOrder(dst, tables);
  const copy = dst.transaction(() => {
    // No daemon writes to the target meanwhile (one that is running waits, or this fails at once).
    dst.exec("SET LOCAL lock_timeout = '5s'");
    dst.exec(`LOCK TABLE ${ordered.map((t) => `"${t.name}"`).join(', ')} IN EXCLUSIVE MODE`);
    const full = nonEmptyTables(dst, ordered);
    if (full.length) {
      throw new Refused(`the PostgreSQL database is not empty (${full.map((t) => `${t.name}: ${t.rows} rows`).join(', ')}): migrate into a new database, or check an earlier migration with --verify-only`);
    }
    // One snapshot of the source for the copy and its check.
    src.exec('BEGIN');
    try {
      copyRows(src, dst, ordered, (table, rows) => io.stdout.write(`copied ${table}: ${rows} rows\n`));
      io.stdout.write(`identity sequences reset: ${resetSequences(dst, ordered)}\n`);
      const report = verifyCopy(src, dst, ordered);
      // A mismatch rolls the whole copy back: the target is left empty, as it was found.
      if (report.mismatches.length) throw new Mismatch(report);
      return report;
    } finally {
      src.exec('COMMIT');
    }
  });
  try {
    return copy();
  } catch (err) {
    if (err instanceof Mismatch) return err.report;
    throw err;
  }
}

/** Thrown out of the copy's transaction to roll it back; carries the report. */
class Mismatch extends Error {
  constructor(readonly report: VerifyReport) {
    super('the copy does not match');
  }
}

function verifyOnly(src: Database.Database, dst: Db, tables: SourceTable[]): VerifyReport {
  src.exec('BEGIN');
  try {
    // One snapshot of the target too (REPEATABLE READ), so a daemon writing to it meanwhile shows as a difference, not as noise.
    return dst.transaction(() => {
      dst.exec('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
      return verifyCopy(src, dst, tables);
    })();
  } finally {
    src.exec('COMMIT');
  }
}

function printReport(io: CliIO, r: VerifyReport, ms: number): void {
  const w = (s: string) => io.stdout.write(`${s}\n`);
  for (const t of r.tables) w(`  ${t.same ? 'ok      ' : 'MISMATCH'} ${t.name}: ${t.source} rows in SQLite, ${t.target} in PostgreSQL`);
  w(`verified: ${r.tables.length} tables, ${r.rows} rows, ${r.avatars} Avatars (${r.documents} chain documents re-hashed), ` +
    `${r.kvAvatars} KV Avatars (${r.kvDocuments} KV documents), ${r.archivedCids} archived CIDs; ${(ms / 1000).toFixed(1)} s`);
  for (const m of r.mismatches) w(`MISMATCH ${m}`);
  for (const m of r.warnings) w(`warning: ${m}`);
}
