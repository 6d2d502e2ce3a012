/**
 * About 1 in 2,000 stored (base64) signatures begin with "0x" or "0X". They are valid and must
 * decode as base64, verify, and compare equal as `prev` — not be taken for malformed hex.
 */
import { describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToHex, decodeSignature, nobleBackend, parsePublicKey, prevKey, verifyLink } from '../../src/core/index.js';
import { genAvatar, genChain, seeded } from '../../scripts/lib/gen.js';

describe('base64 signatures that begin with 0x', () => {
  it('decode as base64, verify, and keep their stored form', () => {
    const bytes = seeded('sig-0x-prefix');
    const av = genAvatar(bytes);
    // Signing is deterministic; search a bounded number of links for a "0x…" base64 signature.
    let hit: ReturnType<typeof genChain>[number] | undefined;
    for (let round = 0; round < 40 && !hit; round++) {
      hit = genChain(av, 500, bytes).find((l) => /^0[xX]/.test(l.signature));
    }
    expect(hit, 'no 0x-prefixed base64 signature in 20,000 tries').toBeDefined();
    const link = hit!;
    const d = decodeSignature(link.signature);
    expect(bytesToHex(d.compact)).toBe(bytesToHex(base64ToBytes(link.signature)!.subarray(0, 64)));
    expect(d.canonical).toBe(link.signature);
    expect(prevKey(link.signature)).toBe(link.signature);
    const stored = verifyLink(parsePublicKey(av.id), link, { backend: nobleBackend });
    expect(stored.signature).toBe(link.signature);
  });

  it('real 0x-hex still decodes as hex, and short hex still reports its length', () => {
    const sig = Buffer.alloc(65, 1);
    sig[64] = 28;
    const d = decodeSignature(`0x${sig.toString('hex')}`);
    expect(d.recovery).toBe(1);
    expect(() => decodeSignature(`0x${sig.subarray(0, 64).toString('hex')}`)).toThrow(/65 bytes, got 64/);
  });
});
