#!/usr/bin/env node
/** proofkeep command line: serve, audit, keygen, sign, migrate-store. */
import '../polyfills.js';
import { VERSION } from '../version.js';
import { UsageError, type CliIO } from './io.js';
import { keygen, sign } from './keys.js';
import { run as audit } from './audit.js';
import { run as serve } from './serve.js';
import { run as migrateStore } from './migrate-store.js';

type Command = (argv: string[], io: CliIO) => Promise<number>;

const COMMANDS: Record<string, { run: Command; help: string }> = {
  serve: { run: serve, help: 'serve [--config FILE] [--data-dir DIR] [--host H] [--port N] [--mirror URL]   run the daemon (a read-only mirror of URL with --mirror)' },
  audit: { run: audit, help: 'audit [--json] SOURCE... | --service URL --avatar KEY          verify chains from files, dumps, IPFS, Arweave or a ProofService' },
  keygen: { run: keygen, help: 'keygen [--out FILE]                                           print a new Avatar key pair as JSON' },
  'migrate-store': { run: migrateStore, help: 'migrate-store --to URL [--from FILE | --data-dir DIR] [--verify-only]   copy the SQLite index into an empty PostgreSQL database, verified' },
  sign: { run: sign, help: 'sign --key FILE [--hex] < payload                              personal_sign a payload from stdin' },
};

export function usage(): string {
  return `proofkeep ${VERSION}\nusage: proofkeep <command> [options]\n\ncommands:\n${Object.values(COMMANDS).map((c) => `  ${c.help}`).join('\n')}\n`;
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    io.stdout.write(usage());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === 'version') {
    io.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    io.stderr.write(`proofkeep: unknown command "${name}"\n${usage()}`);
    return 2;
  }
  try {
    return await cmd.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`proofkeep ${name}: ${err.message}\n`);
      return 2;
    }
    io.stderr.write(`proofkeep ${name}: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

/** Run as the process's command line (bin/proofkeep.js, or this file under tsx). */
export async function cliEntry(): Promise<void> {
  process.exitCode = await main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    isTTY: process.stdout.isTTY === true,
    env: process.env,
  });
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) await cliEntry();
