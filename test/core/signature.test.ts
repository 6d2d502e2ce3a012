import { describe, expect, it } from 'vitest';
import { canonicalSignature, decodeSignature, personalSign, prevKey, samePrev, twinSignature } from '../../src/core/index.js';
import { b64, expectCode, fromHex, hex } from './helpers.js';

const SK = fromHex('9deba3488458c0314e5fef8920d3b117dd76415569cf270db8fd864896c02732');
// two real signatures, one per recovery id
const SIG0 = personalSign('proofkeep signature test, v=0?', SK);
const SIG1 = personalSign('proofkeep signature test, v=1?', SK);

/** the same signature with another v byte */
function withV(sig: Uint8Array, v: number): Uint8Array {
  const out = new Uint8Array(sig);
  out[64] = v;
  return out;
}

describe('decodeSignature (protocol: signatures)', () => {
  it('base64 and 0x-hex (any case) of r‖s‖v, v in {0,1,27,28}, all give the canonical base64 with v in {0,1}', () => {
    for (const sig of [SIG0, SIG1]) {
      const rec = sig[64]! as 0 | 1;
      const canonical = b64(sig);
      for (const v of [rec, rec + 27]) {
        const bytes = withV(sig, v);
        for (const wire of [b64(bytes), `0x${hex(bytes)}`, `0x${hex(bytes).toUpperCase()}`, `0X${hex(bytes)}`]) {
          const d = decodeSignature(wire);
          expect(d.canonical, wire).toBe(canonical);
          expect(d.recovery).toBe(rec);
          expect(hex(d.compact)).toBe(hex(sig.subarray(0, 64)));
          expect(canonicalSignature(wire)).toBe(canonical);
        }
      }
    }
    expect(decodeSignature(b64(SIG0)).canonical).toHaveLength(88);
  });

  it('a base64 signature that happens to begin with "0x" or "0X" is base64, not junk hex', () => {
    // r starting d3 1… / d1 7… encodes to base64 "0x…" / "0X…" (1 in 2048 honest signatures)
    for (const [lead, prefix] of [[[0xd3, 0x1a], '0x'], [[0xd1, 0x7c], '0X']] as const) {
      const bytes = new Uint8Array(SIG0);
      bytes.set(lead, 0);
      const wire = b64(bytes);
      expect(wire.startsWith(prefix)).toBe(true);
      expect(decodeSignature(wire).canonical).toBe(wire);
      expect(decodeSignature(b64(withV(bytes, bytes[64]! + 27))).canonical).toBe(wire);
      expect(decodeSignature(`0x${hex(bytes)}`).canonical).toBe(wire);
      expect(samePrev(wire, b64(withV(bytes, bytes[64]! + 27)))).toBe(true);
    }
    // and a 0x-prefixed string that is neither is still rejected
    expectCode(() => decodeSignature(`0x${b64(SIG0).slice(2, -1)}`), 'BAD_SIGNATURE_ENCODING');
  });

  it('recovery ids come out right: 0 and 27 → 0, 1 and 28 → 1', () => {
    expect(decodeSignature(b64(withV(SIG0, 0))).recovery).toBe(0);
    expect(decodeSignature(b64(withV(SIG0, 27))).recovery).toBe(0);
    expect(decodeSignature(b64(withV(SIG0, 1))).recovery).toBe(1);
    expect(decodeSignature(b64(withV(SIG0, 28))).recovery).toBe(1);
  });

  const bad: Array<[string, unknown]> = [
    ['empty', ''],
    ['not a string', 42],
    ['null', null],
    ['64 bytes (no v)', b64(SIG0.subarray(0, 64))],
    ['66 bytes', b64(new Uint8Array([...SIG0, 0]))],
    ['short hex', `0x${hex(SIG0).slice(0, 128)}`],
    ['odd hex', `0x${hex(SIG0).slice(1)}`],
    ['hex without 0x', hex(SIG0)],
    ['hex junk', `0x${hex(SIG0).slice(0, -2)}zz`],
    ['base64 unpadded', b64(SIG0).replace(/=+$/, '')],
    ['base64url', b64(withV(new Uint8Array(65).fill(0xff), 0)).replace(/\//g, '_')],
    ['base64 with junk', `${b64(SIG0).slice(0, 40)}!${b64(SIG0).slice(41)}`],
    ['base64 with space', `${b64(SIG0).slice(0, 40)} ${b64(SIG0).slice(41)}`],
    ['base64 with inner padding', `${b64(SIG0).slice(0, 40)}=${b64(SIG0).slice(41)}`],
    ['too long', 'A'.repeat(204)],
    ['v = 2', b64(withV(SIG0, 2))],
    ['v = 5', b64(withV(SIG0, 5))],
    ['v = 26', b64(withV(SIG0, 26))],
    ['v = 29', `0x${hex(withV(SIG0, 29))}`],
    ['v = 255', b64(withV(SIG0, 255))],
  ];
  it.each(bad)('rejects %s with BAD_SIGNATURE_ENCODING', (_name, wire) => {
    expectCode(() => decodeSignature(wire), 'BAD_SIGNATURE_ENCODING');
    if (typeof wire === 'string') expect(canonicalSignature(wire)).toBeNull();
  });

  it('names the field in its message', () => {
    expect(expectCode(() => decodeSignature('', 'wallet_signature'), 'BAD_SIGNATURE_ENCODING').message).toContain('wallet_signature');
  });
});

describe('prevKey / samePrev', () => {
  const s0 = b64(SIG0);
  const s27 = b64(withV(SIG0, 27));
  const hex0 = `0x${hex(SIG0)}`;

  it('v=27/28 and v=0/1 spellings (base64 or hex) of one signature are the same prev', () => {
    expect(samePrev(s0, s27)).toBe(true);
    expect(samePrev(s27, hex0)).toBe(true);
    expect(samePrev(b64(withV(SIG1, 28)), b64(SIG1))).toBe(true);
    expect(prevKey(s27)).toBe(s0);
    expect(prevKey(hex0)).toBe(s0);
  });

  it('different signatures, null and junk', () => {
    expect(samePrev(s0, b64(SIG1))).toBe(false);
    // same r‖s, other recovery id: a different signature
    expect(samePrev(s0, b64(withV(SIG0, 1)))).toBe(false);
    expect(samePrev(null, null)).toBe(true);
    expect(samePrev(null, s0)).toBe(false);
    expect(samePrev(s0, null)).toBe(false);
    expect(samePrev('', null)).toBe(false);
    expect(samePrev('junk', 'junk')).toBe(true);
    expect(samePrev('junk', 'junK')).toBe(false);
    expect(samePrev('', '')).toBe(true);
    expect(prevKey('junk')).toBe('junk');
    // junk never equals a real signature
    expect(samePrev('junk', s0)).toBe(false);
  });
});

describe('canonical form and high s without BigInt', () => {
  it('a base64 spelling with non-zero padding bits decodes, and its canonical form is re-encoded', () => {
    const s0 = b64(SIG0);
    // character 86 holds 4 bits of v and 2 padding bits: set a padding bit
    const ALPHA = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const odd = s0.slice(0, 86) + ALPHA[ALPHA.indexOf(s0[86]!) | 1] + s0.slice(87);
    expect(odd).not.toBe(s0);
    const d = decodeSignature(odd);
    expect(d.canonical).toBe(s0);
    expect(decodeSignature(s0).canonical).toBe(s0);
    expect(prevKey(odd)).toBe(prevKey(s0));
  });

  it('highS agrees with s > n/2 around the boundary', () => {
    const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const half = N >> 1n;
    for (const s of [1n, half - 1n, half, half + 1n, N - 1n, 2n ** 255n, 2n ** 255n - 1n, half + 2n ** 200n, half - 2n ** 100n]) {
      const sig = new Uint8Array(SIG0);
      const hexS = s.toString(16).padStart(64, '0');
      for (let i = 0; i < 32; i++) sig[32 + i] = parseInt(hexS.slice(2 * i, 2 * i + 2), 16);
      expect(decodeSignature(b64(sig)).highS, hexS).toBe(s > half);
    }
  });
});

describe('malleated twins', () => {
  it('twinSignature gives (r, n-s, v^1): it recovers the same key, and prevKey treats both as one', async () => {
    const { personalSignDigest, nobleBackend, bytesToBase64, signatureForms } = await import('../../src/core/index.js');
    const secret = new Uint8Array(32).fill(7);
    const msg = 'twin test';
    const sig = bytesToBase64(personalSign(msg, secret));
    const d = decodeSignature(sig);
    expect(d.highS).toBe(false);
    const twin = twinSignature(d);
    const t = decodeSignature(twin);
    expect(t.highS).toBe(true);
    expect(twinSignature(t)).toBe(d.canonical);
    const digest = personalSignDigest(msg);
    expect(nobleBackend.recover(digest, t.compact, t.recovery)).toEqual(nobleBackend.recover(digest, d.compact, d.recovery));
    expect(prevKey(twin)).toBe(prevKey(sig));
    expect(samePrev(twin, sig)).toBe(true);
    expect(signatureForms(sig)).toEqual([d.canonical, twin]);
  });
});
