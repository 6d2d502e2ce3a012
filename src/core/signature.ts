/**
 * Signature wire forms (protocol: signatures): base64 (88 chars, padded) or 0x + 130 hex of r‖s‖v with v in
 * {0,1,27,28}. The stored (canonical) form is base64 with v normalized to {0,1}; `prev`
 * values are compared in that form, so v=27/28 and v=0/1 spellings of one signature are equal.
 *
 * ECDSA signatures are malleable: (r, n−s, v^1) verifies for the same key and payload. Anyone
 * who sees a signature (in a public tweet, say) can derive that twin. So `prev` comparison
 * treats a signature and its twin as one (prevKey uses the low-s form), and the daemon's own
 * POST /v1/proof accepts only low-s signatures (what RFC 6979 signers and wallets produce),
 * so a twin cannot be slipped in ahead of the honest submission.
 */
import { fail } from './errors.js';
import { base64DecodeInto, base64Length, base64ToBytes, bytesToBase64, bytesToHex, hexToBytes } from './encoding.js';

export interface DecodedSignature {
  /** r‖s, 64 bytes */
  compact: Uint8Array;
  /** recovery id, 0 or 1 */
  recovery: 0 | 1;
  /** base64 of r‖s‖recovery — the stored form */
  canonical: string;
  /** s is in the upper half of the curve order (a malleated twin of a low-s signature) */
  highS: boolean;
}

/** secp256k1 group order */
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const HALF_N = N >> 1n;

/** n/2 big-endian, to compare s with n/2 bytewise (no BigInt per signature). */
const HALF_N_BYTES = new Uint8Array(32);
for (let i = 31, h = HALF_N; i >= 0; i--, h >>= 8n) HALF_N_BYTES[i] = Number(h & 255n);

/** s > n/2 for a big-endian 32-byte s at `at` in `bytes`. */
function aboveHalfN(bytes: Uint8Array, at: number): boolean {
  for (let i = 0; i < 32; i++) {
    const b = bytes[at + i]!;
    if (b !== HALF_N_BYTES[i]!) return b > HALF_N_BYTES[i]!;
  }
  return false;
}

/** decodeSignature's scratch for base64 input (one signature's 65 bytes). */
const DECODED = new Uint8Array(65);

/** To read the 6-bit value of a signature's base64 character 86, whose two low bits are padding. */
const B64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function toBig(bytes: Uint8Array): bigint {
  return BigInt(`0x${bytesToHex(bytes) || '0'}`);
}

function fromBig(n: bigint): Uint8Array {
  return hexToBytes(n.toString(16).padStart(64, '0'))!;
}

export function decodeSignature(input: unknown, what = 'signature'): DecodedSignature {
  if (typeof input !== 'string' || input.length === 0) fail('BAD_SIGNATURE_ENCODING', `${what} must be a non-empty string`);
  if (input.length > 200) fail('BAD_SIGNATURE_ENCODING', `${what} is too long`);
  // A base64 signature may itself begin with "0x" (1 in 2,048 do): it is hex when it is 0x + 130
  // hex digits, base64 when it decodes as such, else whichever explains the failure best.
  const asHex = input.startsWith('0x') || input.startsWith('0X') ? hexToBytes(input) : null;
  let bytes: Uint8Array | null;
  let fromBase64 = false;
  if (asHex?.length === 65) bytes = asHex;
  else if (base64Length(input) === 65 && base64DecodeInto(input, DECODED)) {
    // The common case, decoded into this thread's scratch (a fresh 65-byte array would live
    // outside the V8 heap, a cost per signature); only the 64 bytes of r‖s are copied out.
    bytes = DECODED;
    fromBase64 = true;
  } else {
    const asB64 = base64ToBytes(input);
    bytes = asHex ?? asB64;
  }
  if (!bytes) fail('BAD_SIGNATURE_ENCODING', `${what} is neither padded base64 nor 0x-hex`);
  if (bytes.length !== 65) fail('BAD_SIGNATURE_ENCODING', `${what} must be 65 bytes, got ${bytes.length}`);
  const v = bytes[64]!;
  let recovery: 0 | 1;
  if (v === 0 || v === 27) recovery = 0;
  else if (v === 1 || v === 28) recovery = 1;
  else fail('BAD_SIGNATURE_ENCODING', `${what} has recovery byte ${v}, expected 0, 1, 27 or 28`);
  // Already the stored form (base64, v in {0,1}, zero padding bits): the input is its own
  // canonical spelling, and re-encoding it would only build the same string again.
  const same = fromBase64 && v === recovery && (B64_ALPHABET.indexOf(input[86]!) & 3) === 0;
  // bytes is this call's own (fresh or scratch) array: normalized in place.
  bytes[64] = recovery;
  return { compact: bytes.slice(0, 64), recovery, canonical: same ? input : bytesToBase64(bytes), highS: aboveHalfN(bytes, 32) };
}

/** The malleated twin (r, n−s, v^1) of a decoded signature, in stored form. */
export function twinSignature(sig: DecodedSignature): string {
  const out = new Uint8Array(65);
  out.set(sig.compact.subarray(0, 32), 0);
  const s = toBig(sig.compact.subarray(32, 64));
  out.set(fromBig(s === 0n ? 0n : N - s), 32);
  out[64] = sig.recovery ^ 1;
  return bytesToBase64(out);
}

/** Canonical stored form of a signature string, or null when it does not decode. */
export function canonicalSignature(input: string): string | null {
  try {
    return decodeSignature(input).canonical;
  } catch {
    return null;
  }
}

/** Scratch for storedLowS: one signature's 65 bytes. */
const SCRATCH = new Uint8Array(65);

/**
 * The value is already a stored low-s signature: 88 characters of padded base64 of 65 bytes,
 * v in {0,1}, zero padding bits, s ≤ n/2. Then decodeSignature gives it back as its canonical
 * form with highS false (88 characters are never 0x + 130 hex digits), so it is its own
 * prevKey. Checked without allocating: it is the spelling of nearly every signature and prev.
 */
function storedLowS(value: string): boolean {
  if (value.length !== 88 || value.charCodeAt(87) !== 61 || value.charCodeAt(86) === 61) return false;
  if (!base64DecodeInto(value, SCRATCH)) return false;
  if (SCRATCH[64]! > 1 || (B64_ALPHABET.indexOf(value[86]!) & 3) !== 0) return false;
  return !aboveHalfN(SCRATCH, 32);
}

/**
 * The key under which a `prev` value (or a stored signature) is compared: the low-s canonical
 * form when it decodes (so v spellings and malleated twins compare equal), else the raw string
 * (so junk only ever equals identical junk).
 */
export function prevKey(value: string): string {
  if (storedLowS(value)) return value;
  try {
    const d = decodeSignature(value);
    return d.highS ? twinSignature(d) : d.canonical;
  } catch {
    return value;
  }
}

/** Both stored spellings (low-s and high-s) a signature may have been stored under. */
export function signatureForms(value: string): string[] {
  try {
    const d = decodeSignature(value);
    return [d.canonical, twinSignature(d)];
  } catch {
    return [value];
  }
}

export function samePrev(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return a === b;
  return a === b || prevKey(a) === prevKey(b);
}
