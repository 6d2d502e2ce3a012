/**
 * The native keccak-256 against noble's, the reference: identical digests on many lengths and
 * contents, a self-test that catches a wrong implementation, and a selection that never gives a
 * backend one that fails it. It travels with the backend: nothing in core changes.
 */
import { describe, expect, it } from 'vitest';
import {
  addressOf,
  bytesEqual,
  keccak256,
  nobleBackend,
  personalSignDigest,
  publicKeyOf,
  referenceKeccak256,
  utf8,
  verifyItem,
} from '../../src/core/index.js';
import { inlineVerifier } from '../../src/crypto/verifier.js';
import { keccakSelfTest, loadNativeKeccak, selectKeccak } from '../../src/crypto/keccak.js';
import { selectBackend } from '../../src/crypto/select.js';

// Deterministic xorshift bytes: the same inputs every run, so a failure reproduces.
function bytes(seed: number, n: number): Uint8Array {
  let x = seed | 1;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe('native keccak-256', () => {
  const native = loadNativeKeccak();

  it('gives noble\'s digest for every length 0..600 and for long inputs', () => {
    for (let n = 0; n <= 600; n++) {
      const b = bytes(n + 1, n);
      expect(Buffer.from(native(b)).toString('hex'), `length ${n}`).toBe(Buffer.from(referenceKeccak256(b)).toString('hex'));
    }
    for (const n of [4096, 65_537]) expect(bytesEqual(native(bytes(n, n)), referenceKeccak256(bytes(n, n)))).toBe(true);
  });

  it('reads a view at its offset and leaves its input alone', () => {
    const big = bytes(7, 500);
    const copy = new Uint8Array(big);
    const view = big.subarray(123, 321);
    expect(bytesEqual(native(view), referenceKeccak256(view))).toBe(true);
    expect(bytesEqual(big, copy)).toBe(true);
  });

  it('has the known keccak-256 of the empty string (not SHA3-256\'s)', () => {
    expect(Buffer.from(native(new Uint8Array(0))).toString('hex')).toBe('c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470');
  });

  it('passes its self-test; a wrong implementation fails it and is not installed', () => {
    expect(keccakSelfTest(native)).toBeNull();
    const offByOneBlock = (b: Uint8Array) => (b.length === 136 ? new Uint8Array(32) : referenceKeccak256(b));
    expect(keccakSelfTest(offByOneBlock)).toMatch(/136 bytes/);
    const sel = selectKeccak(() => offByOneBlock);
    expect(sel.name).toBe('noble');
    expect(sel.fn).toBe(referenceKeccak256);
    expect(sel.reason).toMatch(/self-test/);
    const missing = selectKeccak(() => {
      throw new Error('no addon');
    });
    expect(missing).toEqual({ fn: referenceKeccak256, name: 'noble', reason: 'no addon' });
    expect(selectKeccak().name).toBe('native');
  });

  it('travels with the native backend, and selecting another backend changes no other', () => {
    const sel = selectBackend('native');
    expect(sel.keccak).toBe('native');
    const digests: Uint8Array[] = [];
    const counting = { ...sel.backend, keccak256: (b: Uint8Array) => (digests.push(b), sel.backend.keccak256!(b)) };
    const msg = utf8('{"action":"create","identity":"<&>","platform":"twitter","prev":null}');
    expect(bytesEqual(sel.backend.keccak256!(msg), referenceKeccak256(msg))).toBe(true);
    expect(personalSignDigest('x', sel.backend.keccak256)).toEqual(native(utf8('\x19Ethereum Signed Message:\n1x')));
    expect(personalSignDigest('x')).toEqual(referenceKeccak256(utf8('\x19Ethereum Signed Message:\n1x')));
    // the verifier hashes with the backend it is given: the link's payload went through it
    const item = { avatar: `0x${Buffer.from(publicKeyOf(new Uint8Array(32).fill(1))).toString('hex')}`, link: { prev: null, action: 'create' as const, platform: 'twitter', identity: 'a', proof_location: null, created_at: 1, uuid: '8a6f7c34-8b1a-4c0e-9d38-2f1e5b7a9c01', signature: `${'A'.repeat(87)}=`, signature_payload: '', extra: {} }, allowLegacy: false };
    verifyItem(item, counting);
    expect(digests.length).toBeGreaterThan(0);
    // a second selection (another pool in this process) leaves the first backend as it was
    expect(selectBackend('noble').keccak).toBe('noble');
    expect(sel.backend.keccak256).toBe(native);
    expect(inlineVerifier(nobleBackend).backend.keccak256).toBe(referenceKeccak256);
  });

  it('derives the same Ethereum addresses as noble', () => {
    const sel = selectBackend('native');
    expect(sel.keccak).toBe('native');
    const uncompressed = new Uint8Array(65);
    uncompressed[0] = 4;
    uncompressed.set(bytes(99, 64), 1);
    expect(addressOf(uncompressed, sel.backend.keccak256)).toBe(addressOf(uncompressed));
    expect(addressOf(uncompressed)).toBe(`0x${Buffer.from(keccak256(uncompressed.subarray(1)).subarray(12)).toString('hex')}`);
  });
});
