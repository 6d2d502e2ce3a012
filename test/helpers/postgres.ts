/**
 * A real PostgreSQL server for the tests, started by the tests themselves: Debian's server
 * binaries, `initdb` into a temp dir, `pg_ctl start` on 127.0.0.1 and a unix socket in that dir,
 * trust auth for the one local user. As root, the server runs as the `postgres` user (it refuses
 * to run as root). Each test database is created fresh (`freshDatabase`), so test files never share state.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PgDb } from '../../src/store/postgres.js';

export interface PgServer {
  dir: string;
  port: number;
  /** URL of the maintenance database */
  url: string;
  stop(): void;
  /** stop without removing the data (an outage); start() brings it back on the same port */
  pause(): void;
  start(): void;
}

/** The server binaries' directory, or null when PostgreSQL is not installed. */
export function pgBinDir(): string | null {
  const env = process.env['PROOFKEEP_PG_BIN'];
  if (env && existsSync(join(env, 'pg_ctl'))) return env;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : null;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function run(bin: string, args: string[]): void {
  const cmd = asRoot ? 'runuser' : bin;
  const argv = asRoot ? ['-u', 'postgres', '--', bin, ...args] : args;
  const r = spawnSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
}

export async function startPgServer(): Promise<PgServer> {
  const bin = pgBinDir();
  if (!bin) throw new Error('PostgreSQL server binaries not found (Debian: apt-get install postgresql)');
  const dir = mkdtempSync(join(tmpdir(), 'proofkeep-pg-'));
  chmodSync(dir, 0o700);
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  run(join(bin, 'initdb'), ['-D', data, '-U', 'proofkeep', '--auth=trust', '-E', 'UTF8', '--locale=C', '-N']);
  const port = await freePort();
  // fsync stays on: a 201 from a test daemon means what it means in production.
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=64MB`;
  const start = () => run(join(bin, 'pg_ctl'), ['-D', data, '-o', opts, '-l', join(dir, 'log'), '-w', '-t', '30', 'start']);
  const halt = () => run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop']);
  start();
  let running = true;
  return {
    dir,
    port,
    url: `postgres://proofkeep@127.0.0.1:${port}/postgres`,
    stop() {
      if (running) {
        try {
          halt();
        } catch {
          /* already gone */
        }
      }
      running = false;
      rmSync(dir, { recursive: true, force: true });
    },
    pause() {
      halt();
      running = false;
    },
    start() {
      start();
      running = true;
    },
  };
}

let counter = 0;
/** A new empty database on the server; returns its URL. */
export function freshDatabase(baseUrl: string, prefix = 't'): string {
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${++counter}`;
  const admin = new PgDb({ url: baseUrl, statementTimeoutMs: 30_000, connectTimeoutMs: 10_000 });
  try {
    admin.exec(`CREATE DATABASE ${name}`);
  } finally {
    admin.close();
  }
  const u = new URL(baseUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

/** The engine the suite runs on (the postgres vitest project sets it), and the server's URL there. */
export function testEngine(): { engine: 'sqlite' } | { engine: 'postgres'; baseUrl: string } {
  if (process.env['PROOFKEEP_TEST_ENGINE'] !== 'postgres') return { engine: 'sqlite' };
  const baseUrl = process.env['PROOFKEEP_TEST_PG_URL'];
  if (!baseUrl) throw new Error('PROOFKEEP_TEST_ENGINE=postgres without PROOFKEEP_TEST_PG_URL (the postgres project\'s global setup starts the server)');
  return { engine: 'postgres', baseUrl };
}
