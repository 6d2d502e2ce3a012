/** Byte/string conversions shared by the core. Strict: inputs here are attacker-controlled. */

const HEX = /^[0-9a-fA-F]*$/;

// No Buffer here: the core is also compiled for the browser (the explorer re-verifies chains there).
const HEX_DIGITS = '0123456789abcdef';
const B64_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** character code → 6-bit value, -1 outside the alphabet */
const B64_DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64_DECODE[B64_DIGITS.charCodeAt(i)] = i;
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
  const n = b64.length;
  if (n % 4 !== 0) return null;
  // Up to two '=' and only at the end; every other character from the alphabet.
  let pad = 0;
  if (n > 0 && b64.charCodeAt(n - 1) === 61) pad = b64.charCodeAt(n - 2) === 61 ? 2 : 1;
  const data = n - pad;
  const out = new Uint8Array((n / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < n; i += 4) {
    let q = 0;
    for (let k = 0; k < 4; k++) {
      const at = i + k;
      let v = 0; // '=' counts as 0
      if (at < data) {
        const c = b64.charCodeAt(at);
        v = c < 128 ? B64_DECODE[c]! : -1;
        if (v < 0) return null;
      }
      q = (q << 6) | v;
    }
    if (o < out.length) out[o++] = (q >> 16) & 255;
    if (o < out.length) out[o++] = (q >> 8) & 255;
    if (o < out.length) out[o++] = q & 255;
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
