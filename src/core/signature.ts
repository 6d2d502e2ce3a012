/**
 * Signature wire forms (SPEC §3): base64 (88 chars, padded) or 0x + 130 hex of r‖s‖v with v in
 * {0,1,27,28}. The stored (canonical) form is base64 with v normalized to {0,1}; `prev`
 * values are compared in that form, so v=27/28 and v=0/1 spellings of one signature are equal.
 */
import { fail } from './errors.js';
import { base64ToBytes, bytesToBase64, hexToBytes } from './encoding.js';

export interface DecodedSignature {
  /** r‖s, 64 bytes */
  compact: Uint8Array;
  /** recovery id, 0 or 1 */
  recovery: 0 | 1;
  /** base64 of r‖s‖recovery — the stored form */
  canonical: string;
}

export function decodeSignature(input: unknown, what = 'signature'): DecodedSignature {
  if (typeof input !== 'string' || input.length === 0) fail('BAD_SIGNATURE_ENCODING', `${what} must be a non-empty string`);
  if (input.length > 200) fail('BAD_SIGNATURE_ENCODING', `${what} is too long`);
  // A base64 signature may itself begin with "0x" (about 1 in 2,000 do): hex only when it is hex.
  const hex = input.startsWith('0x') || input.startsWith('0X') ? hexToBytes(input) : null;
  const bytes = hex ?? base64ToBytes(input);
  if (!bytes) fail('BAD_SIGNATURE_ENCODING', `${what} is neither padded base64 nor 0x-hex`);
  if (bytes.length !== 65) fail('BAD_SIGNATURE_ENCODING', `${what} must be 65 bytes, got ${bytes.length}`);
  const v = bytes[64]!;
  let recovery: 0 | 1;
  if (v === 0 || v === 27) recovery = 0;
  else if (v === 1 || v === 28) recovery = 1;
  else fail('BAD_SIGNATURE_ENCODING', `${what} has recovery byte ${v}, expected 0, 1, 27 or 28`);
  const canon = new Uint8Array(bytes);
  canon[64] = recovery;
  return { compact: canon.subarray(0, 64), recovery, canonical: bytesToBase64(canon) };
}

/** Canonical stored form of a signature string, or null when it does not decode. */
export function canonicalSignature(input: string): string | null {
  try {
    return decodeSignature(input).canonical;
  } catch {
    return null;
  }
}

/**
 * The key under which a `prev` value (or a stored signature) is compared: the canonical form
 * when it decodes, else the raw string (so junk only ever equals identical junk).
 */
export function prevKey(value: string): string {
  return canonicalSignature(value) ?? value;
}

export function samePrev(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return a === b;
  return a === b || prevKey(a) === prevKey(b);
}
