/**
 * Global setup of the `postgres` vitest project: one real PostgreSQL server for the run (each
 * test daemon gets a fresh database on it), stopped at the end.
 */
import { startPgServer, type PgServer } from '../helpers/postgres.js';

let server: PgServer | undefined;

export async function setup(): Promise<void> {
  server = await startPgServer();
  process.env['PROOFKEEP_TEST_PG_URL'] = server.url;
}

export async function teardown(): Promise<void> {
  server?.stop();
}
