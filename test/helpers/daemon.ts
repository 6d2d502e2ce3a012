/** Start a real daemon on 127.0.0.1 with a temp data dir; stop it and remove the dir after. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import '../../src/polyfills.js';
import { loadConfig } from '../../src/config/load.js';
import { Daemon, type DaemonOptions } from '../../src/daemon.js';
import { createLogger } from '../../src/log.js';

export interface TestDaemon {
  url: string;
  dir: string;
  daemon: Daemon;
  stop(): Promise<void>;
}

export async function startDaemon(
  overrides: Record<string, unknown> = {},
  opts: { dir?: string; components?: DaemonOptions['components']; keepDir?: boolean } = {},
): Promise<TestDaemon> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'proofkeep-test-'));
  const config = loadConfig({
    env: {},
    overrides: { 'store.dataDir': dir, 'server.host': '127.0.0.1', 'server.port': 0, 'log.level': 'silent', 'server.writeRateLimit': 0,
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

/** Rows of a running daemon's index, read the way another process would (a read-only connection). */
export function queryIndex<T = Record<string, unknown>>(d: TestDaemon, sql: string, ...params: unknown[]): T[] {
  const db = new Database(join(d.dir, 'proofkeep.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}
