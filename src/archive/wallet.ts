/**
 * The Arweave wallet (a JWK holding an RSA private key). It is a secret: the file must not be
 * readable by other users, and its contents never reach a log line or an error message.
 */
import { readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { ProofError } from '../core/index.js';

export interface Jwk {
  kty: string;
  n: string;
  e: string;
  d?: string;
  [k: string]: unknown;
}

export function loadWallet(file: string): Jwk {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch (cause) {
    throw new ProofError('BAD_CONFIG', `archive.arweave.walletFile ${file} cannot be read`, { cause });
  }
  // A world-readable key can be copied by any local user: refuse rather than warn.
  if ((mode & 0o007) !== 0) {
    throw new ProofError('BAD_CONFIG', `archive.arweave.walletFile ${file} is accessible to all users (mode ${(mode & 0o777).toString(8)}); chmod 600 it`);
  }
  let jwk: unknown;
  try {
    jwk = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    // no cause: a JSON parse error message can quote the file's contents
    throw new ProofError('BAD_CONFIG', `archive.arweave.walletFile ${file} is not valid JSON`);
  }
  const k = jwk as Partial<Jwk>;
  if (!k || typeof k !== 'object' || k.kty !== 'RSA' || typeof k.n !== 'string' || typeof k.e !== 'string' || typeof k.d !== 'string') {
    throw new ProofError('BAD_CONFIG', `archive.arweave.walletFile ${file} is not an RSA JWK with a private key`);
  }
  return k as Jwk;
}

/** Write a wallet readable by its owner only (the devnet's generated dev wallet). */
export function saveWallet(file: string, jwk: Jwk): void {
  writeFileSync(file, JSON.stringify(jwk), { mode: 0o600 });
  chmodSync(file, 0o600);
}
