/**
 * Byte helpers for the log code, written against web platform globals only (TextEncoder,
 * btoa/atob) so the same files run in the browser explorer. Decoders are strict: every input
 * reaching them (tiles, notes, proofs) may come from an untrusted log or client.
 */
const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export const textEncoder = new TextEncoder();
/** fatal: invalid UTF-8 throws instead of becoming U+FFFD (a note must be valid UTF-8) */
export const textDecoder = new TextDecoder('utf-8', { fatal: true });

export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Standard padded base64 (RFC 4648 §4); null for anything else, including non-canonical padding bits. */
export function fromBase64(s: string): Uint8Array | null {
  if (!B64.test(s)) return null;
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return toBase64(out) === s ? out : null;
}

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

export function fromHex(s: string): Uint8Array | null {
  if (s.length % 2 !== 0 || !/^[0-9a-f]*$/.test(s)) return null;
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** encoding.ts's concatenation is pure (no Buffer): shared. */
export { concatBytes as concat } from '../encoding.js';

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
