/**
 * personal_sign (EIP-191) digests and public-key recovery behind a small backend interface, so
 * a faster implementation (libsecp256k1) can replace the pure-JS reference without touching
 * the verifier. Recovery is the hot spot of every bulk path (~5 ms in pure JS here).
 *
 * Stateless: nothing here is a process-wide setting. The hash (keccak-256) and the key
 * decompression travel with the backend a caller passes, so two verifiers with different
 * backends in one process (a daemon and an embedded auditor, two pools) never change each
 * other. Signing uses @noble/curves, which brings its own RFC 6979 hashes (noble-secp256k1 would
 * need its global `hashes` set).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import * as secp from '@noble/secp256k1';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { utf8 } from './encoding.js';

/**
 * A keccak-256 implementation: 32 bytes out (its own array) for any input, never throws. It
 * must not keep the input: digests are taken of a buffer that is reused (personalSignDigest).
 */
export type Keccak256 = (bytes: Uint8Array) => Uint8Array;

/**
 * Optional fast point decompression (33 → 65 bytes). Its answer is only a hint: core re-checks
 * that the point is on the curve and compresses back to the input (see keys.ts).
 */
export type KeyDecompressor = (compressed: Uint8Array) => Uint8Array | null;

export interface RecoveryBackend {
  readonly name: string;
  /**
   * keccak-256 for this backend's digests and addresses (the second hot spot after recovery:
   * ~10 µs per payload digest in noble, ~2 µs native). Absent: noble's, the reference.
   */
  readonly keccak256?: Keccak256;
  /** point decompression for key parsing (~0.5 ms in noble, ~50 µs native). Absent: noble's. */
  readonly decompress?: KeyDecompressor;
  /**
   * Recover the uncompressed (65-byte, 0x04-prefixed) public key from a 32-byte digest, r‖s
   * and the recovery id; null when no key recovers. Never throws for bad input. Uncompressed,
   * because wallet checks need the Ethereum address (keccak of x‖y).
   */
  recover(digest: Uint8Array, compact: Uint8Array, recovery: 0 | 1): Uint8Array | null;
  /**
   * Optional: the same recovery answered in compressed form (33 bytes: 02/03 by the parity of
   * y, then x) — exactly `recover`'s key compressed, null where it is null. What the Avatar
   * check compares, without building the 65-byte form only to compress it (every link).
   */
  recoverCompressed?(digest: Uint8Array, compact: Uint8Array, recovery: 0 | 1): Uint8Array | null;
}

export const nobleBackend: RecoveryBackend = {
  name: 'noble',
  keccak256: keccak_256,
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

const PREFIX = utf8('\x19Ethereum Signed Message:\n');
/** Decimal digits reserved for the message's byte length in the scratch buffer. */
const LEN_DIGITS = 5;
/** Longest message (in UTF-16 units) digested in the scratch buffer: 3 bytes per unit at most. */
const SCRATCH_MAX_UNITS = 16_384;
const textEncoder = new TextEncoder();
/**
 * Where a string message is encoded for its digest (every link's payload, on every verifying
 * thread): prefix, length and message written in place, no per-digest allocation. The keccak
 * reads it synchronously and keeps nothing, so one buffer per thread serves every call.
 */
let scratch: Uint8Array | null = null;

/** keccak256("\x19Ethereum Signed Message:\n" + byte length + message), with the given keccak. */
export function personalSignDigest(message: string | Uint8Array, keccak: Keccak256 = keccak_256): Uint8Array {
  if (typeof message === 'string' && message.length <= SCRATCH_MAX_UNITS) {
    // The message goes right after room for the prefix and the longest length; once its byte
    // length is known, prefix and digits are written just before it.
    const at = PREFIX.length + LEN_DIGITS;
    scratch ??= new Uint8Array(at + 3 * SCRATCH_MAX_UNITS);
    const { written } = textEncoder.encodeInto(message, scratch.subarray(at));
    const len = String(written);
    const start = at - len.length - PREFIX.length;
    scratch.set(PREFIX, start);
    for (let i = 0; i < len.length; i++) scratch[at - len.length + i] = len.charCodeAt(i);
    return keccak(scratch.subarray(start, at + written));
  }
  const bytes = typeof message === 'string' ? utf8(message) : message;
  const len = String(bytes.length); // ASCII digits
  const out = new Uint8Array(PREFIX.length + len.length + bytes.length);
  out.set(PREFIX, 0);
  for (let i = 0; i < len.length; i++) out[PREFIX.length + i] = len.charCodeAt(i);
  out.set(bytes, PREFIX.length + len.length);
  return keccak(out);
}

/** personal_sign with RFC 6979: r‖s‖v with v in {0,1} — byte-identical to go-ethereum. */
export function personalSign(message: string, secretKey: Uint8Array): Uint8Array {
  const rec = secp256k1.sign(personalSignDigest(message), secretKey, { prehash: false, format: 'recovered' });
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

/** noble's keccak-256, the reference (a backend may carry a faster one). */
export function keccak256(bytes: Uint8Array): Uint8Array {
  return keccak_256(bytes);
}

/** noble's keccak-256: the reference for self-tests and differential tests. */
export const referenceKeccak256: Keccak256 = keccak_256;
