/** `proofkeep keygen` and `proofkeep sign --key FILE`: make an Avatar key, personal_sign stdin. */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import {
  addressOf, bytesToBase64, bytesToHex, generateSecretKey, hexToBytes, personalSign, publicKeyOf,
} from '../core/index.js';
import { parseFlags, UsageError, type CliIO } from './io.js';

export function keyPairJson(secret: Uint8Array): Record<string, string> {
  const uncompressed = publicKeyOf(secret, false);
  return {
    secret_key: bytesToHex(secret),
    public_key: `0x${bytesToHex(publicKeyOf(secret, true))}`,
    public_key_uncompressed: `0x${bytesToHex(uncompressed)}`,
    address: addressOf(uncompressed),
  };
}

export async function keygen(argv: string[], io: CliIO): Promise<number> {
  const { flags } = parseFlags(argv, { out: 'string' });
  const json = `${JSON.stringify(keyPairJson(generateSecretKey()), null, 2)}\n`;
  if (typeof flags['out'] === 'string') {
    // 0600 and never overwrite: a key file is a secret and losing one loses an Avatar.
    writeFileSync(flags['out'], json, { mode: 0o600, flag: 'wx' });
    io.stdout.write(`${JSON.stringify({ public_key: JSON.parse(json).public_key, file: flags['out'] })}\n`);
  } else {
    io.stdout.write(json);
  }
  return 0;
}

/** A key file holds keygen's JSON or just the secret key in hex. */
export function readSecretKey(file: string): Uint8Array {
  const text = readFileSync(file, 'utf8').trim();
  let hex = text;
  if (text.startsWith('{')) {
    const j = JSON.parse(text) as { secret_key?: unknown };
    if (typeof j.secret_key !== 'string') throw new UsageError(`${file} has no "secret_key"`);
    hex = j.secret_key;
  }
  const bytes = hexToBytes(hex);
  if (!bytes || bytes.length !== 32) throw new UsageError(`${file} does not hold a 32-byte secret key in hex`);
  return bytes;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
  return Buffer.concat(chunks).toString('utf8');
}

export async function sign(argv: string[], io: CliIO): Promise<number> {
  const { flags } = parseFlags(argv, { key: 'string', hex: 'boolean' });
  if (typeof flags['key'] !== 'string') throw new UsageError('usage: proofkeep sign --key FILE [--hex] < payload');
  const mode = statSync(flags['key']).mode;
  if (mode & 0o077) io.stderr.write(`proofkeep: warning: ${flags['key']} is readable by other users (chmod 600 it)\n`);
  const secret = readSecretKey(flags['key']);
  if (!io.stdin) throw new UsageError('sign reads the payload from standard input');
  // One trailing newline (from echo or a heredoc) is not part of a JSON payload.
  const payload = (await readAll(io.stdin)).replace(/\r?\n$/, '');
  if (payload === '') throw new UsageError('empty payload on standard input');
  const sig = personalSign(payload, secret);
  io.stdout.write(`${flags['hex'] ? `0x${bytesToHex(sig)}` : bytesToBase64(sig)}\n`);
  return 0;
}
