/** Base58 (Bitcoin alphabet) decoding, for Solana addresses. Small inputs only (≤ 64 chars). */
const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const INDEX = new Map([...ALPHABET].map((c, i) => [c, i]));

export function base58Decode(s: string): Uint8Array | null {
  if (s.length === 0 || s.length > 64) return null;
  let n = 0n;
  for (const c of s) {
    const d = INDEX.get(c);
    if (d === undefined) return null;
    n = n * 58n + BigInt(d);
  }
  const bytes: number[] = [];
  while (n > 0n) {
    bytes.push(Number(n & 0xffn));
    n >>= 8n;
  }
  for (const c of s) {
    if (c !== '1') break;
    bytes.push(0);
  }
  return new Uint8Array(bytes.reverse());
}
