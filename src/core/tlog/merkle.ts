/**
 * RFC 6962 / RFC 9162 §2.1 Merkle trees over SHA-256: leaf and interior hashing, tree hashes,
 * inclusion and consistency proofs and their verification. Proof generation reads hashes of
 * complete subtrees through a `SubtreeSource`, so the same code serves the daemon (hashes in
 * SQLite) and a client (hashes from fetched tiles); nothing here recomputes a whole tree.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { concat, equalBytes } from './bytes.js';

export type Hash = Uint8Array;
export const HASH_SIZE = 32;

const LEAF = new Uint8Array([0]);
const NODE = new Uint8Array([1]);

/** SHA-256 of the empty string: the root of the empty tree. */
export const EMPTY_ROOT: Hash = sha256(new Uint8Array(0));

/** Any SHA-256 implementation (core stays free of platform crypto: the daemon passes node's). */
export type Sha256 = (data: Uint8Array) => Uint8Array;

/** An interior node's hash; the tree code below takes one (noble's by default, node's in the daemon). */
export type NodeHash = (left: Hash, right: Hash) => Hash;

/**
 * The leaf and tile hashes over a given SHA-256: the log's writer hashes every accepted change
 * inside the append transaction, where node:crypto's native hash costs a fraction of noble's.
 * leafHash and hashOfHashes below are these over noble's SHA-256 (browsers, clients).
 */
export function hashesWith(sha: Sha256): { leafHash(entry: Uint8Array): Hash; nodeHash: NodeHash; hashOfHashes(hashes: readonly Hash[]): Hash } {
  // One input buffer for every interior node (the hash copies nothing it is given).
  const input = new Uint8Array(1 + 2 * HASH_SIZE);
  input[0] = NODE[0]!;
  const node = (left: Hash, right: Hash): Hash => {
    input.set(left, 1);
    input.set(right, 1 + HASH_SIZE);
    return sha(input);
  };
  // Pairwise, level by level, an odd last hash carried up as it is: the same tree as the RFC's
  // split at the largest power of two below n, without the recursion's copies.
  const ofHashes = (hashes: readonly Hash[]): Hash => {
    if (hashes.length === 0) return EMPTY_ROOT;
    let row = hashes;
    while (row.length > 1) {
      const next: Hash[] = [];
      for (let i = 0; i + 1 < row.length; i += 2) next.push(node(row[i]!, row[i + 1]!));
      if (row.length % 2 === 1) next.push(row[row.length - 1]!);
      row = next;
    }
    return row[0]!;
  };
  return { leafHash: (entry) => sha(concat(LEAF, entry)), nodeHash: node, hashOfHashes: ofHashes };
}

const NOBLE = hashesWith(sha256);

export function leafHash(entry: Uint8Array): Hash {
  return NOBLE.leafHash(entry);
}

export function nodeHash(left: Hash, right: Hash): Hash {
  return sha256(concat(NODE, left, right));
}

/**
 * Hash of the complete subtree of height `height` (2^height leaves) whose leaves are
 * [index·2^height, (index+1)·2^height). Called only for subtrees inside the tree.
 */
export type SubtreeSource = (height: number, index: number) => Hash;

function isPowerOfTwo(n: number): boolean {
  let k = 1;
  while (k < n) k *= 2;
  return k === n;
}

/** Largest power of two strictly below n (n ≥ 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Hash of `count` leaves given as hashes (the RFC 6962 MTH over already-hashed leaves). */
export function hashOfHashes(hashes: readonly Hash[]): Hash {
  return NOBLE.hashOfHashes(hashes);
}

/**
 * MTH(D[start : start+n]) for n ≥ 1, where start is a multiple of the largest power of two
 * ≤ n (true of every range the RFC recursion visits): the complete subtrees given by the bits
 * of n, largest first, folded from the right.
 */
export function rangeHash(start: number, n: number, src: SubtreeSource, node: NodeHash = nodeHash): Hash {
  const parts: Hash[] = [];
  let at = start;
  for (let h = 52; h >= 0; h--) {
    const size = 2 ** h;
    if (n >= size && Math.floor(n / size) % 2 === 1) {
      parts.push(src(h, at / size));
      at += size;
    }
  }
  let r = parts[parts.length - 1]!;
  for (let i = parts.length - 2; i >= 0; i--) r = node(parts[i]!, r);
  return r;
}

export function treeHash(size: number, src: SubtreeSource, node: NodeHash = nodeHash): Hash {
  return size === 0 ? EMPTY_ROOT : rangeHash(0, size, src, node);
}

function checkSize(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} must be a non-negative safe integer`);
}

/** Audit path of leaf `index` in the tree of `size` leaves (RFC 9162 §2.1.3.1), leaf side first. */
export function inclusionProof(index: number, size: number, src: SubtreeSource, node: NodeHash = nodeHash): Hash[] {
  checkSize(index, 'index');
  checkSize(size, 'size');
  if (index >= size) throw new RangeError(`index ${index} is not below tree size ${size}`);
  const out: Hash[] = [];
  const path = (m: number, start: number, n: number): void => {
    if (n === 1) return;
    const k = splitPoint(n);
    if (m < k) {
      path(m, start, k);
      out.push(rangeHash(start + k, n - k, src, node));
    } else {
      path(m - k, start + k, n - k);
      out.push(rangeHash(start, k, src, node));
    }
  };
  path(index, 0, size);
  return out;
}

/** Consistency proof from the tree of `m` leaves to the tree of `n` leaves (RFC 9162 §2.1.4.1). */
export function consistencyProof(m: number, n: number, src: SubtreeSource, node: NodeHash = nodeHash): Hash[] {
  checkSize(m, 'old size');
  checkSize(n, 'new size');
  if (m > n) throw new RangeError(`old size ${m} is above new size ${n}`);
  if (m === 0 || m === n) return [];
  const out: Hash[] = [];
  const sub = (mm: number, start: number, nn: number, complete: boolean): void => {
    if (mm === nn) {
      if (!complete) out.push(rangeHash(start, nn, src, node));
      return;
    }
    const k = splitPoint(nn);
    if (mm <= k) {
      sub(mm, start, k, complete);
      out.push(rangeHash(start + k, nn - k, src, node));
    } else {
      sub(mm - k, start + k, nn - k, false);
      out.push(rangeHash(start, k, src, node));
    }
  };
  sub(m, 0, n, true);
  return out;
}

const isHash = (h: unknown): h is Hash => h instanceof Uint8Array && h.length === HASH_SIZE;

/** RFC 9162 §2.1.3.2. True only when the path leads from `leaf` at `index` to `root`. */
export function verifyInclusion(index: number, size: number, leaf: Hash, proof: readonly Hash[], root: Hash): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  if (!isHash(leaf) || !isHash(root) || !proof.every(isHash)) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) [fn, sn] = [fn / 2, Math.floor(sn / 2)];
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(r, root);
}

/** RFC 9162 §2.1.4.2. True only when the tree of size `n` and root `newRoot` extends the old one. */
export function verifyConsistency(m: number, n: number, oldRoot: Hash, newRoot: Hash, proof: readonly Hash[], node: NodeHash = nodeHash): boolean {
  if (!Number.isSafeInteger(m) || !Number.isSafeInteger(n) || m < 0 || m > n) return false;
  if (!isHash(oldRoot) || !isHash(newRoot) || !proof.every(isHash)) return false;
  if (m === n) return proof.length === 0 && equalBytes(oldRoot, newRoot);
  if (m === 0) return proof.length === 0 && equalBytes(oldRoot, EMPTY_ROOT);
  if (proof.length === 0) return false;
  // When the old tree is a complete subtree its root is the first node of the path.
  const path = isPowerOfTwo(m) ? [oldRoot, ...proof] : [...proof];
  let fn = m - 1;
  let sn = n - 1;
  while (fn % 2 === 1) [fn, sn] = [Math.floor(fn / 2), Math.floor(sn / 2)];
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = node(c, fr);
      sr = node(c, sr);
      if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) [fn, sn] = [fn / 2, Math.floor(sn / 2)];
    } else {
      sr = node(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(fr, oldRoot) && equalBytes(sr, newRoot);
}
