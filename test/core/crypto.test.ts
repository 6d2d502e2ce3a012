import { describe, expect, it } from 'vitest';
import {
  generateSecretKey,
  keccak256,
  nobleBackend,
  parsePublicKey,
  personalSign,
  personalSignDigest,
  publicKeyOf,
  utf8,
} from '../../src/core/index.js';
import { hex } from './helpers.js';

describe('personal_sign (EIP-191)', () => {
  it('keccak256 known answers', () => {
    expect(hex(keccak256(new Uint8Array(0)))).toBe('c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470');
    expect(hex(keccak256(utf8('abc')))).toBe('4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45');
  });

  it('digest = keccak256("\\x19Ethereum Signed Message:\\n" + UTF-8 byte length + message)', () => {
    for (const m of ['', 'a', 'Zoë', '🐴🐮🐱', 'x'.repeat(1000)]) {
      const bytes = Buffer.from(m, 'utf8');
      const expected = keccak256(Buffer.concat([Buffer.from(`\x19Ethereum Signed Message:\n${bytes.length}`), bytes]));
      expect(hex(personalSignDigest(m))).toBe(hex(expected));
      expect(hex(personalSignDigest(new Uint8Array(bytes)))).toBe(hex(expected));
    }
  });

  it('personalSign is deterministic, r‖s‖v with v in {0,1}, and recovers to the signer', () => {
    const sk = generateSecretKey();
    expect(sk).toHaveLength(32);
    const a = personalSign('hello', sk);
    expect(a).toHaveLength(65);
    expect(hex(personalSign('hello', sk))).toBe(hex(a));
    expect(hex(personalSign('hello!', sk))).not.toBe(hex(a));
    const vs = new Set<number>();
    for (let i = 0; i < 16; i++) {
      const s = personalSign(`m${i}`, sk);
      expect([0, 1]).toContain(s[64]);
      vs.add(s[64]!);
      const pub = nobleBackend.recover(personalSignDigest(`m${i}`), s.subarray(0, 64), s[64] as 0 | 1);
      expect(hex(pub!)).toBe(hex(publicKeyOf(sk, false)));
    }
    // both recovery ids occur (probability of failing: 2 * 2^-16)
    expect(vs.size).toBe(2);
  });

  it('publicKeyOf gives 33-byte compressed / 65-byte uncompressed forms of one key', () => {
    const sk = generateSecretKey();
    const c = publicKeyOf(sk);
    const u = publicKeyOf(sk, false);
    expect(c).toHaveLength(33);
    expect(u).toHaveLength(65);
    expect(parsePublicKey(hex(c)).id).toBe(parsePublicKey(hex(u)).id);
    expect(hex(generateSecretKey())).not.toBe(hex(sk));
  });
});
