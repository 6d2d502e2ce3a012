/**
 * Differential test: libsecp256k1 (native) against noble (the reference) on valid, tampered and
 * malformed signatures. They must agree on every verdict (key or null) and every recovered key.
 * Inputs come from a deterministic generator so a failure reproduces. Noble costs ~2–5 ms per
 * recovery here, so the expensive (curve-math) cases are ~1,300 and the run stays a few seconds.
 */
import { createRequire } from 'node:module';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes, nobleBackend, personalSignDigest, publicKeyOf, type RecoveryBackend } from '../../src/core/index.js';
import { loadNativeBackend } from '../../src/crypto/native.js';

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const P = 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2fn;

/** Deterministic bytes: sha256(seed ‖ counter), concatenated. */
function rng(seed: string) {
  let counter = 0;
  const next32 = () => sha256(new TextEncoder().encode(`${seed}/${counter++}`));
  return {
    bytes(n: number): Uint8Array {
      const out = new Uint8Array(n);
      for (let o = 0; o < n; o += 32) out.set(next32().subarray(0, Math.min(32, n - o)), o);
      return out;
    },
    int(max: number): number {
      const b = next32();
      return ((b[0]! << 16) | (b[1]! << 8) | b[2]!) % max;
    },
  };
}

const big = (b: Uint8Array): bigint => BigInt(`0x${bytesToHex(b) || '0'}`);
const scalar = (n: bigint): Uint8Array => hexToBytes(n.toString(16).padStart(64, '0'))!;
const rs = (r: bigint, s: bigint): Uint8Array => {
  const out = new Uint8Array(64);
  out.set(scalar(r), 0);
  out.set(scalar(s), 32);
  return out;
};

interface Case {
  kind: string;
  digest: Uint8Array;
  compact: Uint8Array;
  recovery: number;
  /** expected signer (uncompressed hex) for cases that must recover to a known key */
  signer?: string;
  /** for tampered cases: the signer of the valid case they came from, which must NOT recover */
  notSigner?: string;
}

// Native signing keeps input generation cheap (noble signing costs as much as noble recovery);
// the signer's key comes from noble, so a wrong native signature would show as a mismatch.
const addon = createRequire(import.meta.url)('secp256k1/bindings.js') as {
  ecdsaSign(msg32: Uint8Array, seckey: Uint8Array): { signature: Uint8Array; recid: number };
};

function buildCases(): Case[] {
  const g = rng('proofkeep-differential-v1');
  const keys = Array.from({ length: 16 }, (_, i) => {
    const sk = g.bytes(32);
    sk[0] = (sk[0]! & 0x7f) | (i === 0 ? 0 : 1); // keep it below n and non-zero
    return { sk, pub: bytesToHex(publicKeyOf(sk, false)) };
  });
  const cases: Case[] = [];
  const valid: Case[] = [];
  for (let i = 0; i < 500; i++) {
    const key = keys[i % keys.length]!;
    // Mostly real personal_sign digests; a few raw digests at the edges (0, ≥ n, all 0xff).
    const digest =
      i === 0 ? new Uint8Array(32) : i === 1 ? scalar(N) : i === 2 ? new Uint8Array(32).fill(0xff) : i === 3 ? scalar(N + 1n) : personalSignDigest(`payload ${i} ${bytesToHex(g.bytes(8))} <&> é`);
    const { signature, recid } = addon.ecdsaSign(digest, key.sk);
    const c: Case = { kind: 'valid', digest, compact: new Uint8Array(signature), recovery: recid, signer: key.pub };
    valid.push(c);
    cases.push(c);
  }
  // High-s twins: s' = n − s with the other recovery id recover the same key in both backends.
  for (const v of valid.slice(0, 250)) {
    const r = big(v.compact.subarray(0, 32));
    const s = big(v.compact.subarray(32));
    cases.push({ kind: 'high-s', digest: v.digest, compact: rs(r, N - s), recovery: v.recovery ^ 1, signer: v.signer! });
  }
  // Tampered: one flipped bit in r, s, the digest, or the recovery id.
  const flip = (b: Uint8Array, bit: number): Uint8Array => {
    const out = new Uint8Array(b);
    out[bit >> 3]! ^= 1 << (bit & 7);
    return out;
  };
  valid.slice(0, 500).forEach((v, i) => {
    const which = i % 4;
    if (which === 0) cases.push({ ...v, kind: 'tampered-r', compact: flip(v.compact, g.int(256)), signer: undefined, notSigner: v.signer! });
    if (which === 1) cases.push({ ...v, kind: 'tampered-s', compact: flip(v.compact, 256 + g.int(256)), signer: undefined, notSigner: v.signer! });
    if (which === 2) cases.push({ ...v, kind: 'tampered-digest', digest: flip(v.digest, g.int(256)), signer: undefined, notSigner: v.signer! });
    if (which === 3) cases.push({ ...v, kind: 'tampered-v', recovery: v.recovery ^ 1, signer: undefined, notSigner: v.signer! });
  });
  // Malformed: out-of-range scalars, all-zero / all-0xff, x not on the curve, odd recovery ids.
  for (let i = 0; i < 60; i++) {
    const v = valid[i]!;
    const r = big(v.compact.subarray(0, 32));
    const s = big(v.compact.subarray(32));
    const d = v.digest;
    const rec = v.recovery;
    const extra = big(g.bytes(16)); // < 2^128 < 2^256 − n − 1, so n + 1 + extra fits 32 bytes
    cases.push({ kind: 'r=0', digest: d, compact: rs(0n, s), recovery: rec });
    cases.push({ kind: 's=0', digest: d, compact: rs(r, 0n), recovery: rec });
    cases.push({ kind: 'r=n', digest: d, compact: rs(N, s), recovery: rec });
    cases.push({ kind: 's=n', digest: d, compact: rs(r, N), recovery: rec });
    cases.push({ kind: 'r>n', digest: d, compact: rs(N + 1n + extra, s), recovery: rec });
    cases.push({ kind: 's>n', digest: d, compact: rs(r, N + 1n + extra), recovery: rec });
    cases.push({ kind: 'r=n-1', digest: d, compact: rs(N - 1n, s), recovery: rec });
    cases.push({ kind: 'x-random', digest: d, compact: rs(big(g.bytes(32)) % N || 1n, s), recovery: g.int(2) });
    cases.push({ kind: 'recovery-2', digest: d, compact: v.compact, recovery: 2 });
    cases.push({ kind: 'recovery-3-small-r', digest: d, compact: rs(big(g.bytes(15)) + 1n, s), recovery: 3 });
    cases.push({ kind: 'recovery-out-of-range', digest: d, compact: v.compact, recovery: [4, 255, -1, 7][i % 4]! });
  }
  // Small x: on the curve iff x³ + 7 is a square mod p — both kinds occur in 1..40.
  for (let x = 1n; x <= 40n; x++) cases.push({ kind: 'small-x', digest: valid[Number(x)]!.digest, compact: rs(x, 12345n), recovery: Number(x % 2n) });
  // r + n ≥ p makes recovery ids 2/3 impossible; r just below p − n makes them possible.
  for (let k = 1n; k <= 16n; k++) cases.push({ kind: 'recovery-2-edge', digest: valid[5]!.digest, compact: rs(P - N - k, 7n), recovery: 2 + Number(k % 2n) });
  cases.push({ kind: 'recovery-2-edge', digest: valid[5]!.digest, compact: rs(P - N, 7n), recovery: 2 });
  for (const fill of [0x00, 0xff]) {
    for (const rec of [0, 1]) cases.push({ kind: `all-${fill.toString(16)}`, digest: new Uint8Array(32).fill(fill), compact: new Uint8Array(64).fill(fill), recovery: rec });
  }
  return cases;
}

function outcome(b: RecoveryBackend, c: Case): string | null {
  const out = b.recover(c.digest, c.compact, c.recovery as 0 | 1);
  return out === null ? null : bytesToHex(out);
}

describe('native vs noble recovery', () => {
  const native = loadNativeBackend();

  it('agree on every verdict and recovered key', () => {
    const cases = buildCases();
    expect(cases.length).toBeGreaterThan(1500);
    const byKind = new Map<string, { n: number; recovered: number }>();
    const disagreements: string[] = [];
    for (const c of cases) {
      const a = outcome(nobleBackend, c);
      const b = outcome(native, c);
      if (a !== b) disagreements.push(`${c.kind}: noble=${a?.slice(0, 16)} native=${b?.slice(0, 16)} sig=${bytesToHex(c.compact)} rec=${c.recovery}`);
      // The compressed answer (what the Avatar check compares) is noble's key compressed.
      const cc = native.recoverCompressed!(c.digest, c.compact, c.recovery as 0 | 1);
      const want = a === null ? null : `${parseInt(a.slice(128), 16) & 1 ? '03' : '02'}${a.slice(2, 66)}`;
      if ((cc === null ? null : bytesToHex(cc)) !== want) disagreements.push(`${c.kind}: compressed recovery differs from noble's key compressed`);
      if (c.signer !== undefined && b !== c.signer) disagreements.push(`${c.kind}: did not recover the signer`);
      if (c.notSigner !== undefined && b === c.notSigner) disagreements.push(`${c.kind}: tampered input recovered the signer`);
      const k = byKind.get(c.kind) ?? { n: 0, recovered: 0 };
      k.n++;
      if (b !== null) k.recovered++;
      byKind.set(c.kind, k);
    }
    expect(disagreements).toEqual([]);
    // The generator must really produce both outcomes where both are possible, or the test
    // proves less than it claims.
    const k = (name: string) => byKind.get(name)!;
    expect(k('valid').recovered).toBe(k('valid').n);
    expect(k('high-s').recovered).toBe(k('high-s').n);
    for (const name of ['r=0', 's=0', 'r=n', 's=n', 'r>n', 's>n', 'recovery-2', 'recovery-out-of-range', 'all-0', 'all-ff']) expect(k(name).recovered, name).toBe(0);
    for (const name of ['small-x', 'x-random', 'tampered-r', 'recovery-2-edge']) {
      expect(k(name).recovered, name).toBeGreaterThan(0);
      expect(k(name).recovered, name).toBeLessThan(k(name).n);
    }
    expect(k('tampered-digest').recovered).toBe(k('tampered-digest').n);
  });

  it('treat out-of-contract input identically (digest length, short or long r‖s, views)', () => {
    const g = rng('proofkeep-differential-shapes');
    const sk = g.bytes(32);
    const digest = personalSignDigest('shapes');
    const { signature, recid } = addon.ecdsaSign(digest, sk);
    const buf = new Uint8Array(200);
    buf.set(signature, 50);
    const inputs: Array<[Uint8Array, Uint8Array, number]> = [
      [digest, buf.subarray(50, 114), recid], // a view at an offset, as the core passes it
      [digest.subarray(0, 31), signature, recid],
      [new Uint8Array([...digest, 1, 2]), signature, recid],
      [new Uint8Array(0), signature, recid],
      [new Uint8Array(64).fill(9), signature, recid],
      [new Uint8Array(9000), signature, recid],
      [digest, signature.subarray(0, 63), recid],
      [digest, new Uint8Array(65), recid],
      [digest, new Uint8Array(0), recid],
      [digest, signature, 0.5],
      [digest, signature, Number.NaN],
    ];
    for (const [d, c, r] of inputs) {
      const a = nobleBackend.recover(d, c, r as 0 | 1);
      const b = native.recover(d, c, r as 0 | 1);
      expect(b === null ? null : bytesToHex(b)).toBe(a === null ? null : bytesToHex(a));
    }
    expect(bytesToHex(native.recover(digest, buf.subarray(50, 114), recid as 0 | 1)!)).toBe(bytesToHex(publicKeyOf(sk, false)));
    // Nonsense never throws.
    expect(native.recover(undefined as never, undefined as never, 0)).toBeNull();
    expect(nobleBackend.recover(undefined as never, undefined as never, 0)).toBeNull();
  });
});

