import { hash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  consistencyProof, EMPTY_ROOT, fromBase64, fromHex, hashesWith, hashOfHashes, inclusionProof, leafHash, nodeHash, rangeHash, toHex, treeHash,
  MemoryTree, verifyConsistency, verifyInclusion, type Hash, type SubtreeSource,
} from '../../../src/core/tlog/index.js';

const V = JSON.parse(readFileSync(new URL('../../vectors/tlog_vectors.json', import.meta.url), 'utf8'));
const b64 = (s: string): Hash => fromBase64(s)!;

/** Textbook recursive MTH (RFC 6962 §2.1) over leaf hashes: the reference the stored-hash code must match. */
function mth(hs: Hash[]): Hash {
  if (hs.length === 0) return EMPTY_ROOT;
  if (hs.length === 1) return hs[0]!;
  let k = 1;
  while (k * 2 < hs.length) k *= 2;
  return nodeHash(mth(hs.slice(0, k)), mth(hs.slice(k)));
}

/** A SubtreeSource over an in-memory list of leaf hashes, counting how often it is asked. */
function source(hs: Hash[]): SubtreeSource {
  return (h, i) => {
    const size = 2 ** h;
    if ((i + 1) * size > hs.length) throw new Error(`subtree ${h}/${i} outside the tree`);
    return mth(hs.slice(i * size, (i + 1) * size));
  };
}

const leaves = (n: number): Hash[] => Array.from({ length: n }, (_, i) => leafHash(new TextEncoder().encode(`entry ${i}`)));

describe('RFC 6962 hashing', () => {
  it('reproduces the published reference roots for 0..8 leaves', () => {
    const hs = (V.rfc6962.leaves_hex as string[]).map((h) => leafHash(fromHex(h)!));
    (V.rfc6962.roots_hex as string[]).forEach((root, n) => {
      expect(toHex(treeHash(n, source(hs.slice(0, n))))).toBe(root);
    });
  });

  it('tree hashes from complete subtrees equal the recursive definition for every size up to 130', () => {
    const hs = leaves(130);
    for (let n = 1; n <= 130; n++) expect(toHex(treeHash(n, source(hs)))).toBe(toHex(mth(hs.slice(0, n))));
    expect(toHex(rangeHash(64, 5, source(hs)))).toBe(toHex(mth(hs.slice(64, 69))));
  });

  it('over another SHA-256 (node:crypto, as the daemon\'s log writer uses) gives the same leaf and tile hashes', () => {
    const native = hashesWith((d) => hash('sha256', d, 'buffer'));
    (V.rfc6962.leaves_hex as string[]).forEach((h) => expect(toHex(native.leafHash(fromHex(h)!))).toBe(toHex(leafHash(fromHex(h)!))));
    const hs = leaves(300);
    // every count, not only powers of two: both hash a level pairwise, carrying an odd hash up
    for (let n = 0; n <= 300; n++) {
      expect(toHex(native.hashOfHashes(hs.slice(0, n)))).toBe(toHex(mth(hs.slice(0, n))));
      expect(toHex(hashOfHashes(hs.slice(0, n)))).toBe(toHex(mth(hs.slice(0, n))));
    }
  });
});

describe('inclusion proofs', () => {
  it('verify for every index of every size up to 40, and fail when anything is changed', () => {
    const hs = leaves(40);
    for (let n = 1; n <= 40; n++) {
      const root = mth(hs.slice(0, n));
      for (let i = 0; i < n; i++) {
        const p = inclusionProof(i, n, source(hs));
        expect(verifyInclusion(i, n, hs[i]!, p, root)).toBe(true);
        expect(verifyInclusion(i, n, leafHash(new Uint8Array([9])), p, root)).toBe(false);
        if (n > 1) expect(verifyInclusion((i + 1) % n, n, hs[i]!, p, root)).toBe(false);
        if (p.length > 0) {
          const bad = p.map((h) => h.slice());
          bad[0]![0]! ^= 1;
          expect(verifyInclusion(i, n, hs[i]!, bad, root)).toBe(false);
          expect(verifyInclusion(i, n, hs[i]!, p.slice(1), root)).toBe(false);
        }
        expect(verifyInclusion(i, n, hs[i]!, [...p, hs[0]!], root)).toBe(false);
      }
    }
    expect(() => inclusionProof(3, 3, source(hs))).toThrow(RangeError);
    expect(verifyInclusion(3, 3, hs[0]!, [], hs[0]!)).toBe(false);
  });

  it('verifies a real Certificate Transparency audit path (Argon 2020, leaf 10000)', () => {
    const a = V.argon2020;
    const leaf = leafHash(b64(a.leaf_input));
    const path = (a.audit_path as string[]).map(b64);
    expect(verifyInclusion(a.leaf_index, a.tree_size, leaf, path, b64(a.root))).toBe(true);
    expect(verifyInclusion(a.leaf_index + 1, a.tree_size, leaf, path, b64(a.root))).toBe(false);
    expect(verifyInclusion(a.leaf_index, a.tree_size, leaf, path, b64(a.consistency_first_root))).toBe(false);
    expect(verifyInclusion(a.leaf_index, 2 ** 20, leaf, path, b64(a.root))).toBe(false);
  });
});

describe('consistency proofs', () => {
  it('verify for every pair of sizes up to 40, and fail for a rewritten tree', () => {
    const hs = leaves(40);
    const other = hs.slice();
    other[0] = leafHash(new Uint8Array([7]));
    for (let n = 1; n <= 40; n++) {
      const newRoot = mth(hs.slice(0, n));
      for (let m = 0; m <= n; m++) {
        const oldRoot = mth(hs.slice(0, m));
        const p = consistencyProof(m, n, source(hs));
        expect(verifyConsistency(m, n, oldRoot, newRoot, p)).toBe(true);
        if (m > 0) expect(verifyConsistency(m, n, mth(other.slice(0, m)), newRoot, p)).toBe(false);
        if (m > 0 && m < n) {
          expect(verifyConsistency(m, n, oldRoot, mth(other.slice(0, n)), p)).toBe(false);
          expect(verifyConsistency(m, n, oldRoot, newRoot, p.slice(0, -1))).toBe(false);
        }
      }
    }
    expect(() => consistencyProof(5, 4, source(hs))).toThrow(RangeError);
  });

  it('verifies a real Certificate Transparency consistency proof (Argon 2020)', () => {
    const a = V.argon2020;
    const p = (a.consistency as string[]).map(b64);
    expect(verifyConsistency(a.consistency_first, a.tree_size, b64(a.consistency_first_root), b64(a.root), p)).toBe(true);
    expect(verifyConsistency(a.consistency_first + 1, a.tree_size, b64(a.consistency_first_root), b64(a.root), p)).toBe(false);
  });
});

describe('MemoryTree (rebuilding a log from its entries)', () => {
  it('keeps tile-level hashes whose roots and proofs match the recursive definition across tile boundaries', () => {
    const t = new MemoryTree();
    const hs = leaves(600);
    hs.forEach((h) => t.appendLeaf(h));
    for (const n of [1, 255, 256, 257, 511, 512, 600]) expect(toHex(t.root(n))).toBe(toHex(mth(hs.slice(0, n))));
    const root = t.root();
    expect(verifyInclusion(300, 600, hs[300]!, t.inclusion(300), root)).toBe(true);
    expect(verifyConsistency(256, 600, t.root(256), root, t.consistency(256))).toBe(true);
    expect(t.append(new Uint8Array([1]))).toBe(600);
  });
});
