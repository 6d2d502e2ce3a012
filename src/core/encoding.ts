/** Byte/string conversions shared by the core. Strict: inputs here are attacker-controlled. */

// No Buffer here: the core is also compiled for the browser (the explorer re-verifies chains there).
const HEX_DIGITS = '0123456789abcdef';
const B64_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_VALUES = new Uint8Array(128);
/** 0 for the 64 base64 digits, 255 for every other character below 128 (beyond: undefined). */
const B64_CHECK = new Uint8Array(128).fill(255);
for (let i = 0; i < 64; i++) {
  B64_VALUES[B64_DIGITS.charCodeAt(i)] = i;
  B64_CHECK[B64_DIGITS.charCodeAt(i)] = 0;
}
const encoder = new TextEncoder();

/** Value of each hex digit (either case) by character code; 255 for anything else. */
const HEX_VALUES = new Uint8Array(128).fill(255);
for (let i = 0; i < 16; i++) {
  HEX_VALUES['0123456789abcdef'.charCodeAt(i)] = i;
  HEX_VALUES['0123456789ABCDEF'.charCodeAt(i)] = i;
}
/** Two lowercase hex digits per byte value. */
const HEX_PAIRS = Array.from({ length: 256 }, (_, b) => HEX_DIGITS[b >> 4]! + HEX_DIGITS[b & 15]!);

export function hexToBytes(hex: string): Uint8Array | null {
  const skip = hex.startsWith('0x') || hex.startsWith('0X') ? 2 : 0;
  const len = hex.length - skip;
  if (len % 2 !== 0) return null;
  const out = new Uint8Array(len / 2);
  for (let i = 0, j = skip; i < out.length; i++, j += 2) {
    const a = hex.charCodeAt(j);
    const b = hex.charCodeAt(j + 1);
    const hi = a < 128 ? HEX_VALUES[a]! : 255;
    const lo = b < 128 ? HEX_VALUES[b]! : 255;
    if ((hi | lo) === 255) return null;
    out[i] = (hi << 4) | lo;
  }
  return out;
}

export function bytesToHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX_PAIRS[bytes[i]!]!;
  return s;
}

/** 0 for a base64 digit, 255 for anything else ('=' included). */
function digit(code: number): number {
  return code < 128 ? B64_CHECK[code]! : 255;
}

/** Standard base64 with padding only: junk characters or misplaced padding give null, never a guess. */
export function base64ToBytes(b64: string): Uint8Array | null {
  const n = base64Length(b64);
  if (n < 0) return null;
  const out = new Uint8Array(n);
  return base64DecodeInto(b64, out) ? out : null;
}

/** Bytes that padded base64 of this length and padding decodes to; -1 when the length is wrong. */
export function base64Length(b64: string): number {
  const len = b64.length;
  if (len % 4 !== 0) return -1;
  return (len / 4) * 3 - base64Padding(b64);
}

function base64Padding(b64: string): number {
  const len = b64.length;
  return len > 0 && b64.charCodeAt(len - 1) === 61 ? (b64.charCodeAt(len - 2) === 61 ? 2 : 1) : 0;
}

/**
 * Decode padded base64 into `out` (at least base64Length bytes); false when a character is not
 * a base64 digit or '=' is anywhere but the last one or two places (/^[A-Za-z0-9+/]*={0,2}$/).
 * One pass, no allocation: every link's signature and prev pass through here, several times.
 */
export function base64DecodeInto(b64: string, out: Uint8Array): boolean {
  const len = b64.length;
  if (len % 4 !== 0) return false;
  const pad = base64Padding(b64);
  const n = (len / 4) * 3 - pad;
  let o = 0;
  for (let i = 0; i < len; i += 4) {
    const a = b64.charCodeAt(i);
    const b = b64.charCodeAt(i + 1);
    const c = b64.charCodeAt(i + 2);
    const d = b64.charCodeAt(i + 3);
    let bad = digit(a) | digit(b);
    if (i + 4 < len || pad === 0) bad |= digit(c) | digit(d);
    else if (pad === 1) bad |= digit(c);
    if (bad !== 0) return false;
    // ('=' has value 0 in B64_VALUES, and only stands where no byte is written from it.)
    const v = (B64_VALUES[a]! << 18) | (B64_VALUES[b]! << 12) | (B64_VALUES[c]! << 6) | B64_VALUES[d]!;
    out[o++] = (v >> 16) & 255;
    if (o < n) out[o++] = (v >> 8) & 255;
    if (o < n) out[o++] = v & 255;
  }
  return true;
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
