/**
 * libsecp256k1 recovery backend through the `secp256k1` npm package (~50× faster than pure JS
 * here). Loaded lazily: a machine without the addon still runs on the noble backend, and the
 * import of this module alone never touches the native code.
 *
 * Contract: exactly the noble backend's (src/core/crypto.ts). Same key or null for every input,
 * never a throw. Both accept high-s signatures (recovery has no low-s rule; the verifier compares
 * the recovered key with the Avatar), both reject r or s = 0 or ≥ n, x not on the curve and a
 * point at infinity, and both take recovery ids 0–3 (2/3: x = r + n). The differential test
 * (test/crypto/differential.test.ts) holds the two to this.
 */
import { createRequire } from 'node:module';
import type { RecoveryBackend } from '../core/index.js';

/** The part of the addon's JS wrapper we use (secp256k1/lib/index.js). */
interface Secp256k1Addon {
  ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed: boolean): Uint8Array;
  publicKeyConvert(pubkey: Uint8Array, compressed: boolean): Uint8Array;
}

/** noble's message-size guard for unhashed input (prepMsg): longer digests are refused. */
const MAX_DIGEST_BYTES = 8192;

let addon: Secp256k1Addon | null = null;
let loadError: Error | null = null;

/**
 * Load the addon once. `secp256k1/bindings.js`, not the package main: the main silently falls
 * back to the pure-JS `elliptic` when the addon fails to load, which would be an unaudited JS
 * implementation running under the name "native".
 */
function loadAddon(): Secp256k1Addon {
  if (addon) return addon;
  if (loadError) throw loadError;
  try {
    const require = createRequire(import.meta.url);
    addon = require('secp256k1/bindings.js') as Secp256k1Addon;
    if (typeof addon.ecdsaRecover !== 'function') throw new Error('secp256k1/bindings.js has no ecdsaRecover');
    return addon;
  } catch (cause) {
    loadError = new Error(`native secp256k1 backend unavailable (libsecp256k1 addon of the "secp256k1" package did not load): ${(cause as Error)?.message ?? String(cause)}`, { cause });
    throw loadError;
  }
}

/**
 * Digest as noble's bits2int sees it (prehash: false): shorter input is a smaller number (left
 * pad), longer input keeps its leftmost 256 bits. The core always passes 32 bytes; this only
 * keeps the two backends identical on out-of-contract input.
 */
function digest32(digest: Uint8Array): Uint8Array | null {
  if (digest.length === 32) return digest;
  if (digest.length > MAX_DIGEST_BYTES) return null;
  if (digest.length > 32) return digest.subarray(0, 32);
  const out = new Uint8Array(32);
  out.set(digest, 32 - digest.length);
  return out;
}

function makeBackend(lib: Secp256k1Addon): RecoveryBackend {
  const recid = new Uint8Array(1);
  /** One recovery, the key serialized compressed (33 bytes) or not (65), by libsecp256k1 itself. */
  const recover = (digest: Uint8Array, compact: Uint8Array, recovery: 0 | 1, compressed: boolean): Uint8Array | null => {
    try {
      // Inputs are attacker-derived; the addon's wrapper throws on anything it dislikes.
      if (!(digest instanceof Uint8Array)) return null;
      const d = digest32(digest);
      if (!d) return null;
      // Copied like noble's wrapper copies it (into a 65-byte buffer after the recovery byte):
      // short input is zero-padded, longer input throws, views are read at their offset.
      const c = new Uint8Array(64);
      c.set(compact, 0);
      // Same coercion as noble's wrapper (a Uint8Array store), then the same 0–3 range rule.
      recid[0] = recovery as number;
      const rec = recid[0]!;
      if (rec > 3) return null;
      return lib.ecdsaRecover(c, rec, d, compressed);
    } catch {
      return null;
    }
  };
  return {
    name: 'native',
    recover: (digest, compact, recovery) => recover(digest, compact, recovery, false),
    recoverCompressed: (digest, compact, recovery) => recover(digest, compact, recovery, true),
  };
}

let backend: RecoveryBackend | null = null;

/** The libsecp256k1 backend; throws a clear Error when the addon cannot be loaded. */
export function loadNativeBackend(): RecoveryBackend {
  backend ??= makeBackend(loadAddon());
  return backend;
}

/**
 * Point decompression through libsecp256k1 for core `parsePublicKey` (carried by the native
 * backend as its `decompress`): a new
 * Avatar key costs ~0.5 ms in noble (a modular square root in BigInt) — several recoveries' worth —
 * and ~50 µs this way. Null for anything the library rejects; core re-checks every answer.
 */
export function loadNativeKeyDecompressor(): (compressed: Uint8Array) => Uint8Array | null {
  const lib = loadAddon();
  return (compressed) => {
    try {
      return lib.publicKeyConvert(compressed, false);
    } catch {
      return null;
    }
  };
}
