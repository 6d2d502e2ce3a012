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
  let point: secp.Point;
  try {
    point = pointOf(bytes, backend?.decompress);
  } catch (cause) {
    void cause;
    failPoint();
  }
  const key = fromPoint(point, backend?.keccak256);
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
  cache.set(cacheKey, key);
  return key;
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
