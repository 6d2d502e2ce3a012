/**
 * Avatar keys (SPEC §1). Any accepted spelling — hex with or without 0x, compressed or
 * uncompressed, any case — resolves to one canonical avatar id: 0x + the 33-byte compressed key.
 */
import * as secp from '@noble/secp256k1';
import { keccak256 as nobleKeccak, type Keccak256, type KeyDecompressor } from './crypto.js';
import { fail } from './errors.js';
import { bytesToHex, hexToBytes } from './encoding.js';

export interface AvatarKey {
  /** canonical id: 0x + 66 lowercase hex */
  id: string;
  compressed: Uint8Array;
  /** 0x + 130 lowercase hex, as in the chain document */
  uncompressedHex: string;
  /** 0x + 40 lowercase hex: the key's Ethereum address */
  address: string;
}

// Point decompression is a modular square root: cheap, but parsing repeats for every request of
// a busy Avatar. A small bounded cache of parsed keys keeps it off the hot path.
const CACHE_MAX = 4096;
const cache = new Map<string, AvatarKey>();

/** What key parsing may take from a recovery backend: its decompression and its keccak. */
export interface KeyBackend {
  readonly decompress?: KeyDecompressor;
  readonly keccak256?: Keccak256;
}

/**
 * Parse any key spelling. `backend` only makes it faster (its decompression, its keccak for the
 * address); the result, and the error for a bad key, are the same with any backend or none —
 * which is also why one cache serves all callers.
 */
export function parsePublicKey(input: unknown, backend?: KeyBackend): AvatarKey {
  if (typeof input !== 'string') fail('BAD_PUBLIC_KEY', 'public key must be a hex string');
  if (input.length > 140) fail('BAD_PUBLIC_KEY', 'public key is too long');
  const cacheKey = input.toLowerCase();
  const hit = cache.get(cacheKey);
  if (hit) return hit;
  const bytes = hexToBytes(input.trim());
  if (!bytes || (bytes.length !== 33 && bytes.length !== 65)) {
    fail('BAD_PUBLIC_KEY', 'public key must be 33 (compressed) or 65 (uncompressed) bytes of hex');
  }
  let key = bytes.length === 33 && backend?.decompress ? checkedDecompression(bytes, backend.decompress, backend.keccak256) : null;
  if (!key) {
    let point: secp.Point;
    try {
      point = pointOf(bytes, backend?.decompress);
    } catch (cause) {
      void cause;
      failPoint();
    }
    key = fromPoint(point, backend?.keccak256);
  }
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
  cache.set(cacheKey, key);
  return key;
}

/** The secp256k1 field prime. */
const P = 2n ** 256n - 0x1000003d1n;

/**
 * A compressed key through the decompressor, its answer checked in a few field operations
 * instead of noble's point arithmetic (a new Avatar every few links of a dump: each
 * toBytes of a noble point is a modular inversion): the answer is 0x04 ‖ x ‖ y with the input's
 * x, y of the input's parity, x and y below p, and y² = x³ + 7. That y is the one square root
 * noble would pick, so the key is the one the reference path gives. Null when any of it fails:
 * the reference path then decides (and words the error).
 */
function checkedDecompression(bytes: Uint8Array, decompress: KeyDecompressor, keccak: Keccak256 | undefined): AvatarKey | null {
  if (bytes[0] !== 2 && bytes[0] !== 3) return null;
  let u: Uint8Array | null;
  try {
    u = decompress(bytes);
  } catch {
    return null;
  }
  if (!u || u.length !== 65 || u[0] !== 4 || (u[64]! & 1) !== (bytes[0] & 1)) return null;
  for (let i = 1; i < 33; i++) if (u[i] !== bytes[i]) return null;
  const xHex = bytesToHex(u.subarray(1, 33));
  const yHex = bytesToHex(u.subarray(33, 65));
  const x = BigInt(`0x${xHex}`);
  const y = BigInt(`0x${yHex}`);
  if (x >= P || y >= P || (y * y - (x * x * x + 7n)) % P !== 0n) return null;
  const uncompressed = new Uint8Array(u);
  return {
    id: `0x${bytes[0] === 2 ? '02' : '03'}${xHex}`,
    compressed: new Uint8Array(bytes),
    uncompressedHex: `0x04${xHex}${yHex}`,
    address: addressOf(uncompressed, keccak),
  };
}

/**
 * A decompressor's answer (libsecp256k1's, ~100× faster than noble's square root here) is only a
 * hint: noble re-checks that the point is on the curve and compresses back to the input, else
 * the reference path decides — so results, and errors for bad keys, never depend on it.
 */
function pointOf(bytes: Uint8Array, decompressor: KeyDecompressor | undefined): secp.Point {
  if (bytes.length === 33 && decompressor) {
    try {
      const u = decompressor(bytes);
      if (u && u.length === 65) {
        const p = secp.Point.fromBytes(u);
        const c = p.toBytes(true);
        if (c.every((b, i) => b === bytes[i])) return p;
      }
    } catch {
      /* fall through to the reference path */
    }
  }
  return secp.Point.fromBytes(bytes);
}

function failPoint(): never {
  fail('BAD_PUBLIC_KEY', 'public key is not a point on secp256k1');
}

function fromPoint(point: secp.Point, keccak: Keccak256 | undefined): AvatarKey {
  const compressed = point.toBytes(true);
  const uncompressed = point.toBytes(false);
  return {
    id: `0x${bytesToHex(compressed)}`,
    compressed,
    uncompressedHex: `0x${bytesToHex(uncompressed)}`,
    address: addressOf(uncompressed, keccak),
  };
}

/** Ethereum address of an uncompressed (65-byte) public key. */
export function addressOf(uncompressed: Uint8Array, keccak: Keccak256 = nobleKeccak): string {
  return `0x${bytesToHex(keccak(uncompressed.subarray(1)).subarray(12))}`;
}

/** Canonical avatar id of any key spelling, or null when it does not parse. */
export function tryAvatarId(input: unknown): string | null {
  try {
    return parsePublicKey(input).id;
  } catch {
    return null;
  }
}
