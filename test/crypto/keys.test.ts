/**
 * Core key parsing with libsecp256k1 point decompression (carried by the native backend) must
 * give exactly what noble alone gives: the same AvatarKey for valid keys, the same
 * BAD_PUBLIC_KEY for invalid ones — even when the decompressor lies.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes, parsePublicKey, ProofError, type KeyBackend } from '../../src/core/index.js';
import { loadNativeKeyDecompressor } from '../../src/crypto/native.js';
import { selectBackend } from '../../src/crypto/select.js';
import { seeded } from '../../scripts/lib/gen.js';

const P = 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2fn;
const addon = createRequire(import.meta.url)('secp256k1/bindings.js') as { publicKeyCreate(sk: Uint8Array, compressed: boolean): Uint8Array };

function outcome(input: string, backend?: KeyBackend): unknown {
  try {
    const k = parsePublicKey(input, backend);
    return { id: k.id, compressed: bytesToHex(k.compressed), uncompressedHex: k.uncompressedHex, address: k.address };
  } catch (err) {
    if (err instanceof ProofError) return { code: err.code, message: err.message };
    throw err;
  }
}

// parsePublicKey caches by spelling: the reference run uses "0x…", the accelerated run the bare
// hex, so neither answers from the other's cache.
function compare(inputs: string[]): void {
  const reference = inputs.map((h) => outcome(`0x${h}`));
  const native = { decompress: loadNativeKeyDecompressor() };
  const fast = inputs.map((h) => outcome(h, native));
  expect(fast).toEqual(reference);
}

describe('parsePublicKey with native decompression', () => {
  const bytes = seeded('keys-test');
  const valid = Array.from({ length: 300 }, () => {
    const sk = bytes(32);
    sk[0] = (sk[0]! & 0x7f) | 1;
    return bytesToHex(addon.publicKeyCreate(sk, true));
  });
  // x values that are not on the curve, x ≥ p, bad prefixes, a 33-byte "04" key.
  const invalid: string[] = [];
  for (let x = 1n; x <= 40n; x++) invalid.push(`02${x.toString(16).padStart(64, '0')}`, `03${x.toString(16).padStart(64, '0')}`);
  invalid.push(`02${P.toString(16)}`, `03${(P + 1n).toString(16)}`, `02${'ff'.repeat(32)}`, `05${valid[0]!.slice(2)}`, `04${valid[1]!.slice(2)}`, `00${'00'.repeat(32)}`);

  it('gives the same keys and the same errors as noble alone', () => {
    compare([...valid, ...invalid]);
    // Both outcomes occur among the small x values, so the invalid set really tests rejection.
    const kinds = new Set(invalid.map((h) => ((outcome(h) as { code?: string }).code ? 'bad' : 'ok')));
    expect(kinds).toEqual(new Set(['ok', 'bad']));
  });

  it('a lying decompressor cannot change a result', () => {
    const liars: Array<(c: Uint8Array) => Uint8Array | null> = [
      // the other point with this x (wrong parity)
      (c) => {
        const flipped = new Uint8Array(c);
        flipped[0] = c[0] === 2 ? 3 : 2;
        return loadNativeKeyDecompressor()(flipped);
      },
      // another valid key entirely
      () => loadNativeKeyDecompressor()(hexToBytes(valid[7]!)!),
      // garbage, wrong lengths, throwing
      () => new Uint8Array(65).fill(4),
      () => new Uint8Array(12),
      () => {
        throw new Error('boom');
      },
    ];
    liars.forEach((liar) => {
      // Fresh keys per liar, so no answer comes from the cache; errors are never cached.
      const fresh = Array.from({ length: 10 }, () => {
        const sk = bytes(32);
        sk[0] = (sk[0]! & 0x7f) | 1;
        return bytesToHex(addon.publicKeyCreate(sk, true));
      });
      const inputs = [...fresh, ...invalid];
      const reference = inputs.map((h) => outcome(`0x${h}`));
      expect(inputs.map((h) => outcome(h, { decompress: liar }))).toEqual(reference);
    });
  });

  it('parses the same with the native backend and with noble', () => {
    const fresh = Array.from({ length: 20 }, () => {
      const sk = bytes(32);
      sk[0] = (sk[0]! & 0x7f) | 1;
      return bytesToHex(addon.publicKeyCreate(sk, true));
    });
    const a = fresh.map((h) => outcome(h, selectBackend('native').backend));
    expect(fresh.map((h) => outcome(`0x${h}`, selectBackend('noble').backend))).toEqual(a);
  });
});
