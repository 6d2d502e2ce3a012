import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * The acceptance suite the `postgres` project runs again on PostgreSQL: every test that runs a
 * daemon, the CLI's `serve` or the full schema through the test helpers (test/helpers/daemon.ts,
 * cli.ts, db.ts), which put it on a fresh database of the project's server. Tests that open a
 * SQLite file themselves (the SQLite engine's own behaviour) run on SQLite only.
 */
function acceptance(dir = 'test'): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...acceptance(p));
    else if (e.name.endsWith('.test.ts')) {
      const src = readFileSync(p, 'utf8');
      if (/helpers\/(daemon|db|cli)\.js/.test(src) && !/from 'better-sqlite3'|openDatabase\(|Store\.open\(|@sqlite-only/.test(src)) out.push(p);
    }
  }
  return out.sort();
}

/**
 * Tests about several connections or daemons on one PostgreSQL database (`// @postgres-only`):
 * they run in the postgres project alone, since SQLite has one process per file by design.
 */
function postgresOnly(dir = 'test'): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...postgresOnly(p));
    else if (e.name.endsWith('.test.ts') && /@postgres-only/.test(readFileSync(p, 'utf8'))) out.push(p);
  }
  return out.sort();
}

/** Debian's PostgreSQL server binaries, found as test/helpers/postgres.ts finds them. */
const PG_ROOT = '/usr/lib/postgresql';
const havePostgres = Boolean(process.env['PROOFKEEP_PG_BIN'])
  || (existsSync(PG_ROOT) && readdirSync(PG_ROOT).some((v) => existsSync(join(PG_ROOT, v, 'bin', 'pg_ctl'))));
// A developer machine without PostgreSQL runs the sqlite project and says so; CI (.ci/run installs
// the server when missing, and sets CI) always runs both, so a missing server fails there.
const runPostgres = havePostgres || Boolean(process.env['CI']);
if (!runPostgres) console.warn('vitest: PostgreSQL server binaries not found (Debian: apt-get install postgresql): the postgres project is not run');

const common = {
  // Tests never leave loopback: any other connection or DNS lookup fails the test (also in children).
  setupFiles: ['test/setup/loopback.ts'],
  pool: 'forks' as const,
  testTimeout: 60_000,
  hookTimeout: 120_000,
  // Tests start real servers on 127.0.0.1 with port 0, so files can run in parallel.
  fileParallelism: true,
};

export default defineConfig({
  test: {
    maxWorkers: 2,
    projects: [
      { test: { ...common, name: 'sqlite', include: ['test/**/*.test.ts'], exclude: [...postgresOnly(), '**/node_modules/**'] } },
      ...(runPostgres ? [{
        test: {
          ...common,
          name: 'postgres',
          include: [...new Set([...acceptance(), ...postgresOnly()])],
          env: { PROOFKEEP_TEST_ENGINE: 'postgres' },
          // One real PostgreSQL server for the run (test/setup/postgres-global.ts).
          globalSetup: ['test/setup/postgres-global.ts'],
        },
      }] : []),
    ],
  },
});
