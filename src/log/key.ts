/**
 * The log's Ed25519 signing key: a file holding a sumdb-style signer key
 * (`PRIVATE+KEY+<origin>+<hex id>+<base64>`). Generated on first start when no key file is
 * configured (written 0600, never logged); a configured file must exist and be private. The
 * key's name is the log's origin: a key made for another origin is refused, because a log's
 * identity cannot change under the same key.
 */
import { createPrivateKey, sign } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { formatSignerKey, generateSeed, parseSignerKey, type Ed25519NoteKey, type Ed25519Signing } from '../core/tlog/index.js';

/** PKCS#8 DER of an Ed25519 private key up to its 32-byte seed (RFC 8410). */
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');

/** node's native Ed25519: the same signatures as noble's (deterministic), in microseconds on the loop. */
export const nativeEd25519: Ed25519Signing = (seed) => {
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' });
  return (message) => new Uint8Array(sign(null, message, key));
};

export class LogKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LogKeyError';
  }
}

export function loadLogKey(opts: { file: string; origin: string; generate: boolean }): { key: Ed25519NoteKey; generated: boolean } {
  const { file, origin } = opts;
  let generated = false;
  if (!existsSync(file)) {
    if (!opts.generate) throw new LogKeyError(`tlog.keyFile ${file} does not exist`);
    mkdirSync(dirname(file), { recursive: true });
    // 'wx': never overwrite a key another process wrote meanwhile.
    writeFileSync(file, `${formatSignerKey(origin, generateSeed())}\n`, { mode: 0o600, flag: 'wx' });
    generated = true;
  }
  const mode = statSync(file).mode;
  if ((mode & 0o077) !== 0) throw new LogKeyError(`log key file ${file} is readable by other users (mode ${(mode & 0o777).toString(8)}); chmod 600 it`);
  let key: Ed25519NoteKey;
  try {
    key = parseSignerKey(readFileSync(file, 'utf8'), nativeEd25519);
  } catch {
    // The parse error could quote the file; never echo key material.
    throw new LogKeyError(`log key file ${file} does not hold a PRIVATE+KEY+<name>+<id>+<key> Ed25519 signer key`);
  }
  if (key.name !== origin) throw new LogKeyError(`log key file ${file} is the key of origin ${JSON.stringify(key.name)}, but tlog.origin is ${JSON.stringify(origin)}`);
  return { key, generated };
}

/** The key name (origin) in an existing key file, or undefined. */
export function keyNameIn(file: string): string | undefined {
  try {
    return parseSignerKey(readFileSync(file, 'utf8')).name;
  } catch {
    return undefined;
  }
}
