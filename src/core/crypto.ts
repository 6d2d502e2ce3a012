/**
 * personal_sign (EIP-191) digests and public-key recovery behind a small backend interface, so
 * a faster implementation (libsecp256k1) can replace the pure-JS reference without touching
 * the verifier. Recovery is the hot spot of every bulk path (~5 ms in pure JS here).
 */
import * as secp from '@noble/secp256k1';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { concatBytes, utf8 } from './encoding.js';

// noble-secp256k1 needs sync hashes for sign() (RFC 6979); set once at module load.
secp.hashes.sha256 = sha256;
secp.hashes.hmacSha256 = (key: Uint8Array, msg: Uint8Array) => hmac(sha256, key, msg);

export interface RecoveryBackend {
  readonly name: string;
  /**
   * Recover the uncompressed (65-byte, 0x04-prefixed) public key from a 32-byte digest, r‖s
   * and the recovery id; null when no key recovers. Never throws for bad input. Uncompressed,
   * because wallet checks need the Ethereum address (keccak of x‖y).
   */
  recover(digest: Uint8Array, compact: Uint8Array, recovery: 0 | 1): Uint8Array | null;
}

export const nobleBackend: RecoveryBackend = {
  name: 'noble',
  recover(digest, compact, recovery) {
    try {
      const sig = new Uint8Array(65);
      sig[0] = recovery;
      sig.set(compact, 1);
      return secp.recoverPublicKey(sig, digest, { prehash: false, isCompressed: false });
    } catch {
      return null;
    }
  },
};

/** A keccak-256 implementation: 32 bytes out for any input, never throws. */
export type Keccak256 = (bytes: Uint8Array) => Uint8Array;
let keccakImpl: Keccak256 = keccak_256;

/**
 * Replace keccak-256 process-wide (null: back to noble's, the reference). The second hot spot
 * of verification after recovery (~10 µs per payload digest in noble, ~2 µs native); src/crypto installs
 * the native one only after it reproduces noble's digests on its self-test inputs.
 */
export function setKeccak(fn: Keccak256 | null): void {
  keccakImpl = fn ?? keccak_256;
}

/** Which keccak-256 is installed: 'noble' or the installed function's name. */
export function keccakName(): string {
  return keccakImpl === keccak_256 ? 'noble' : keccakImpl.name || 'custom';
}

const PREFIX = utf8('\x19Ethereum Signed Message:\n');

/** keccak256("\x19Ethereum Signed Message:\n" + byte length + message). */
export function personalSignDigest(message: string | Uint8Array): Uint8Array {
  const bytes = typeof message === 'string' ? utf8(message) : message;
  return keccakImpl(concatBytes(PREFIX, utf8(String(bytes.length)), bytes));
}

/** personal_sign with RFC 6979: r‖s‖v with v in {0,1} — byte-identical to go-ethereum. */
export function personalSign(message: string, secretKey: Uint8Array): Uint8Array {
  const rec = secp.sign(personalSignDigest(message), secretKey, { prehash: false, format: 'recovered' });
  const out = new Uint8Array(65);
  out.set(rec.subarray(1), 0);
  out[64] = rec[0]!;
  return out;
}

export function generateSecretKey(): Uint8Array {
  return secp.utils.randomSecretKey();
}

export function publicKeyOf(secretKey: Uint8Array, compressed = true): Uint8Array {
  return secp.getPublicKey(secretKey, compressed);
}

export function keccak256(bytes: Uint8Array): Uint8Array {
  return keccakImpl(bytes);
}

/** noble's keccak-256 whatever is installed: the reference for self-tests and differential tests. */
export function referenceKeccak256(bytes: Uint8Array): Uint8Array {
  return keccak_256(bytes);
}
