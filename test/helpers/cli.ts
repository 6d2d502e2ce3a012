/** Run the real CLI (src under tsx) as a child process. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freshDatabase, testEngine } from './postgres.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcessWithoutNullStreams {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PROOFKEEP_')));
  // Platform checkers stay off unless a test turns them on: tests never reach real platforms.
  const quiet = { PROOFKEEP_CHECKERS_ENABLED: 'false', PROOFKEEP_CHECKERS_VERIFY_ON_SUBMIT: 'false',
    // Per-client limits off (every test client is 127.0.0.1); test/api/limits is about them.
    PROOFKEEP_SERVER_LIMITS_RECOVERIES_PER_MINUTE: '0', PROOFKEEP_SERVER_LIMITS_BYTES_PER_MINUTE: '0', PROOFKEEP_SERVER_MAX_CONNECTIONS_PER_CLIENT: '0' };
  return spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, env: { ...clean, ...quiet, ...postgresEnv(args, env), ...env } });
}

/** each data dir's database when the suite runs on PostgreSQL (a restart on the dir reuses it) */
const pgDatabases = new Map<string, string>();

/** In the postgres project, `serve` runs on a database of its own, keyed by its data dir. */
function postgresEnv(args: string[], env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const engine = testEngine();
  if (engine.engine !== 'postgres' || args[0] !== 'serve' || env['PROOFKEEP_STORE_ENGINE']) return {};
  const i = args.indexOf('--data-dir');
  const key = env['PROOFKEEP_DATA_DIR'] ?? (i >= 0 ? args[i + 1] : undefined) ?? '';
  const url = pgDatabases.get(key) ?? freshDatabase(engine.baseUrl);
  if (key) pgDatabases.set(key, url);
  return { PROOFKEEP_STORE_ENGINE: 'postgres', PROOFKEEP_DATABASE_URL: url };
}

export async function runCli(args: string[], opts: { stdin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnCli(args, opts.env);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  if (opts.stdin !== undefined) child.stdin.end(opts.stdin);
  else child.stdin.end();
  const code = await new Promise<number | null>((r) => child.on('close', r));
  return { code, stdout, stderr };
}

/** Start `serve` and resolve with its URL once it prints the ready line. */
export function startServe(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcessWithoutNullStreams; url: string; logs: () => string }> {
  const child = spawnCli(['serve', ...args], env);
  let out = '';
  let err = '';
  child.stderr.on('data', (c) => (err += c));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${out}\n${err}`)), 60_000);
    child.stdout.on('data', (c) => {
      out += c;
      const m = /^proofkeep listening on (http:\/\/\S+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, logs: () => err });
      }
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${out}\n${err}`));
    });
  });
}

/** Resolves with the exit code once the child has exited (also if it already has). */
export function exited(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((r) => child.once('exit', (code) => r(code)));
}
