import { describe, expect, it } from 'vitest';
import { addressOf, parsePublicKey, publicKeyOf, tryAvatarId } from '../../src/core/index.js';
import { expectCode, fromHex, hex } from './helpers.js';

// NextDotID/docs rust.md key (also in the shared vectors): known compressed/uncompressed/address.
const COMPRESSED = '034f30514c76f34bb9bcb25c63801d9271494c70f8b01601aa25152132dfe7c951';
const UNCOMPRESSED =
  '044f30514c76f34bb9bcb25c63801d9271494c70f8b01601aa25152132dfe7c951e94fc2087865a52e94edfb52346f8cc84397959ecc4644e38840002f2dd47e8d';
const ADDRESS = '0x1954ffe3b27d28712dc334c7512024194e3986d4';

describe('parsePublicKey (protocol: keys)', () => {
  it('every accepted spelling resolves to one avatar', () => {
    const forms = [
      `0x${COMPRESSED}`,
      COMPRESSED,
      COMPRESSED.toUpperCase(),
      `0x${COMPRESSED.toUpperCase()}`,
      `0X${COMPRESSED}`,
      `0x${UNCOMPRESSED}`,
      UNCOMPRESSED,
      UNCOMPRESSED.toUpperCase(),
      `0x${UNCOMPRESSED.slice(0, 70)}${UNCOMPRESSED.slice(70).toUpperCase()}`,
    ];
    for (const f of forms) {
      const k = parsePublicKey(f);
      expect(k.id, f).toBe(`0x${COMPRESSED}`);
      expect(k.uncompressedHex).toBe(`0x${UNCOMPRESSED}`);
      expect(k.address).toBe(ADDRESS);
      expect(hex(k.compressed)).toBe(COMPRESSED);
      expect(tryAvatarId(f)).toBe(`0x${COMPRESSED}`);
    }
  });

  it('the forms of a freshly derived key agree (even and odd y)', () => {
    for (const sk of ['01'.padStart(64, '0'), '02'.padStart(64, '0'), 'ab'.repeat(32), '42'.repeat(32)]) {
      const c = publicKeyOf(fromHex(sk), true);
      const u = publicKeyOf(fromHex(sk), false);
      const a = parsePublicKey(`0x${hex(c)}`);
      const b = parsePublicKey(hex(u).toUpperCase());
      expect(a).toEqual(b);
      expect(a.id).toMatch(/^0x0[23][0-9a-f]{64}$/);
      expect(a.uncompressedHex).toBe(`0x${hex(u)}`);
      expect(a.address).toBe(addressOf(u));
      expect(a.address).toMatch(/^0x[0-9a-f]{40}$/);
    }
  });

  const notOnCurve = [
    ['wrong y', `0x${UNCOMPRESSED.slice(0, -1)}e`],
    ['x with no point', `0x02${'ff'.repeat(32)}`],
    ['zero x', `0x02${'00'.repeat(32)}`],
    ['point at infinity', `0x04${'00'.repeat(64)}`],
    ['hybrid prefix 06', `0x06${UNCOMPRESSED.slice(2)}`],
    ['hybrid prefix 07', `0x07${UNCOMPRESSED.slice(2)}`],
    ['compressed prefix 04', `0x04${COMPRESSED.slice(2)}`],
    ['uncompressed prefix 02', `0x02${UNCOMPRESSED.slice(2)}`],
    ['prefix 05', `0x05${COMPRESSED.slice(2)}`],
  ];
  it.each(notOnCurve)('rejects a key that is not a curve point (%s) with BAD_PUBLIC_KEY', (_name, key) => {
    expectCode(() => parsePublicKey(key), 'BAD_PUBLIC_KEY');
    expect(tryAvatarId(key)).toBeNull();
  });

  const malformed: Array<[string, unknown]> = [
    ['empty', ''],
    ['0x only', '0x'],
    ['odd length', `0x${COMPRESSED.slice(1)}`],
    ['32 bytes', `0x${COMPRESSED.slice(2)}`],
    ['34 bytes', `0x${COMPRESSED}00`],
    ['64 bytes', `0x${UNCOMPRESSED.slice(2)}`],
    ['non-hex', `0x${COMPRESSED.slice(0, -1)}g`],
    ['too long', `0x${'04'.repeat(80)}`],
    ['base64', Buffer.from(COMPRESSED, 'hex').toString('base64')],
    ['number', 42],
    ['null', null],
    ['object', { key: COMPRESSED }],
    ['inner space', `0x${COMPRESSED.slice(0, 10)} ${COMPRESSED.slice(10)}`],
  ];
  it.each(malformed)('rejects %s with BAD_PUBLIC_KEY', (_name, key) => {
    expectCode(() => parsePublicKey(key), 'BAD_PUBLIC_KEY');
  });

  it('the parse cache does not let a bad key through after a good one (or vice versa)', () => {
    const good = `0x${COMPRESSED}`;
    expect(parsePublicKey(good).id).toBe(good);
    expectCode(() => parsePublicKey(`${good.slice(0, -1)}0`), 'BAD_PUBLIC_KEY');
    expect(parsePublicKey(good.toUpperCase().replace('0X', '0x')).id).toBe(good);
  });
});
