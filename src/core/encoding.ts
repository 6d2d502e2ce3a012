/** Byte/string conversions shared by the core. Strict: inputs here are attacker-controlled. */

const HEX = /^[0-9a-fA-F]*$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

// No Buffer here: the core is also compiled for the browser (the explorer re-verifies chains there).
const HEX_DIGITS = '0123456789abcdef';
const B64_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_VALUES = new Uint8Array(128);
for (let i = 0; i < 64; i++) B64_VALUES[B64_DIGITS.charCodeAt(i)] = i;
const encoder = new TextEncoder();

export function hexToBytes(hex: string): Uint8Array | null {
  const h = hex.startsWith('0x') || hex.startsWith('0X') ? hex.slice(2) : hex;
  if (h.length % 2 !== 0 || !HEX.test(h)) return null;
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bytesToHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += HEX_DIGITS[b >> 4]! + HEX_DIGITS[b & 15]!;
  return s;
}

/** Standard base64 with padding only: junk characters or misplaced padding give null, never a guess. */
export function base64ToBytes(b64: string): Uint8Array | null {
  if (b64.length % 4 !== 0 || !BASE64.test(b64)) return null;
  const pad = b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((b64.length / 4) * 3 - pad);
  let o = 0;
  // (Every link's signature and prev pass through here, several times: no allocation per group.)
  for (let i = 0; i < b64.length; i += 4) {
    // '=' maps to 0; the regex above has already refused anything outside the alphabet.
    const n = (B64_VALUES[b64.charCodeAt(i)]! << 18) | (B64_VALUES[b64.charCodeAt(i + 1)]! << 12) | (B64_VALUES[b64.charCodeAt(i + 2)]! << 6) | B64_VALUES[b64.charCodeAt(i + 3)]!;
    out[o++] = (n >> 16) & 255;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

export function bytesToBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const left = bytes.length - i;
    s += B64_DIGITS[(n >> 18) & 63]! + B64_DIGITS[(n >> 12) & 63]!;
    s += left > 1 ? B64_DIGITS[(n >> 6) & 63]! : '=';
    s += left > 2 ? B64_DIGITS[n & 63]! : '=';
  }
  return s;
}

export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
