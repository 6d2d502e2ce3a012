/** Start a real daemon on 127.0.0.1 with a temp data dir; stop it and remove the dir after. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import '../../src/polyfills.js';
import { loadConfig } from '../../src/config/load.js';
import { Daemon, type DaemonOptions } from '../../src/daemon.js';
import { createLogger } from '../../src/log.js';
import { PgDb } from '../../src/store/postgres.js';
import { freshDatabase, testEngine } from './postgres.js';

export interface TestDaemon {
  url: string;
  dir: string;
  /** the index's engine and, on postgres, its database URL (a restart on the same dir reuses it) */
  engine: 'sqlite' | 'postgres';
  dbUrl: string | null;
  daemon: Daemon;
  stop(): Promise<void>;
}

export async function startDaemon(
  overrides: Record<string, unknown> = {},
  opts: { dir?: string; components?: DaemonOptions['components']; keepDir?: boolean } = {},
): Promise<TestDaemon> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'proofkeep-test-'));
  // The postgres vitest project runs the same tests on PostgreSQL: one fresh database per data
  // dir, so a test that restarts a daemon on its dir finds its index again.
  const engine = testEngine();
  const pg: Record<string, unknown> = {};
  let dbUrl: string | null = null;
  if (engine.engine === 'postgres' && overrides['store.engine'] === undefined) {
    dbUrl = pgDatabases.get(dir) ?? freshDatabase(engine.baseUrl);
    pgDatabases.set(dir, dbUrl);
    Object.assign(pg, { 'store.engine': 'postgres', 'store.postgres.url': dbUrl });
  } else if (overrides['store.engine'] === 'postgres') {
    dbUrl = String(overrides['store.postgres.url']);
  }
  const config = loadConfig({
    env: {},
    overrides: { ...pg, 'store.dataDir': dir, 'server.host': '127.0.0.1', 'server.port': 0, 'log.level': 'silent', 'server.writeRateLimit': 0,
      // Per-client limits only where a test is about them (test/api/limits): all clients here are 127.0.0.1.
      'server.limits.recoveriesPerMinute': 0, 'server.limits.bytesPerMinute': 0, 'server.maxConnectionsPerClient': 0,
      // No test may reach real platforms: checkers run only where a test points them at fakes.
      'checkers.enabled': false, 'checkers.verifyOnSubmit': false,
      // The archive (Helia + devnet) only where a test turns it on: it costs seconds per daemon.
      'archive.enabled': false, ...overrides },
  });
  const daemon = await Daemon.start(config, { log: createLogger(config.log.level), ...(opts.components ? { components: opts.components } : {}) });
  return {
    url: daemon.url,
    dir,
    engine: dbUrl ? 'postgres' : 'sqlite',
    dbUrl,
    daemon,
    async stop() {
      await daemon.stop();
      if (!opts.keepDir && !opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function json(url: string, init?: RequestInit): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* keep text */
  }
  return { status: res.status, body, headers: res.headers };
}

export function post(url: string, body: unknown): Promise<{ status: number; body: any; headers: Headers }> {
  return json(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

/** each data dir's PostgreSQL database in the postgres project (a restart reuses it) */
const pgDatabases = new Map<string, string>();

/** Rows of a running daemon's index, read the way another process would (a read-only connection). */
export function queryIndex<T = Record<string, unknown>>(d: TestDaemon, sql: string, ...params: unknown[]): T[] {
  if (d.dbUrl) {
    const pgdb = new PgDb({ url: d.dbUrl, statementTimeoutMs: 30_000, connectTimeoutMs: 10_000 });
    try {
      return pgdb.prepare(sql).all(...params) as T[];
    } finally {
      pgdb.close();
    }
  }
  const db = new Database(join(d.dir, 'proofkeep.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}
