/**
 * A checkpoint after a large jump (tens of thousands of entries since the last one, across the
 * first level-2 tile): the stored tree, hashed with node's SHA-256, gives the roots and proofs of
 * the reference (the core's MemoryTree and the textbook recursion), and the checkpointer signs
 * it with node's Ed25519 exactly as noble's would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  encodeEntry, EMPTY_ROOT, formatSignerKey, leafHash, MemoryTree, nodeHash, openCheckpoint, parseSignerKey, toHex, verifyConsistency, verifyInclusion,
  type Hash, type ValidityEntry,
} from '../../src/core/tlog/index.js';
import { Checkpointer } from '../../src/log/checkpointer.js';
import { nativeEd25519 } from '../../src/log/key.js';
import { LogTree } from '../../src/log/tree.js';
import { createLogger } from '../../src/log.js';
import { SCHEMA } from '../../src/schema.js';
import { openDatabase } from '../../src/store/index.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const entry = (i: number): ValidityEntry => ({
  kind: 'validity', avatar: `0x02${'ab'.repeat(32)}`, platform: 'twitter', identity: `u${i}`, link_index: i,
  change: i % 2 ? 'downgrade' : 'restore', outcome: 'valid', checked_at: 1_800_000_000 + i, evidence_sha256: null,
});

/** RFC 6962 MTH by its definition, over leaf hashes. */
function mth(hs: readonly Hash[]): Hash {
  if (hs.length === 0) return EMPTY_ROOT;
  if (hs.length === 1) return hs[0]!;
  let k = 1;
  while (k * 2 < hs.length) k *= 2;
  return nodeHash(mth(hs.slice(0, k)), mth(hs.slice(k)));
}

const ORIGIN = 'unit.test/jump';
const SEED = new Uint8Array(32).map((_, i) => i * 7 + 1);

describe('a checkpoint after a large jump', () => {
  it('the stored tree gives the reference roots and proofs, and the checkpoint is signed over them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pk-jump-'));
    dirs.push(dir);
    const db = openDatabase({ file: join(dir, 'p.sqlite'), migrations: SCHEMA });
    const tree = new LogTree(db);
    const mem = new MemoryTree();
    const leaves: Hash[] = [];
    const append = (to: number) => {
      for (let from = tree.size(); from < to; from += 1000) {
        db.transaction(() => {
          for (let i = from; i < Math.min(to, from + 1000); i++) {
            tree.append(entry(i), null);
            leaves.push(leafHash(encodeEntry(entry(i))));
            mem.appendLeaf(leaves[i]!);
          }
        })();
      }
    };
    const cp = new Checkpointer(tree, parseSignerKey(formatSignerKey(ORIGIN, SEED), nativeEd25519), ORIGIN, 86_400_000, createLogger('silent'));
    const verifier = parseSignerKey(formatSignerKey(ORIGIN, SEED)).verifier;

    append(3);
    expect(cp.sign()!.size).toBe(3);
    // 69,997 entries in one jump: past the first full level-1 tile (65,536 entries)
    const N = 70_000;
    append(N);
    const signed = cp.sign()!;
    expect(signed.size).toBe(N);
    expect(toHex(signed.root)).toBe(toHex(mem.root(N)));
    expect(toHex(signed.root)).toBe(toHex(mth(leaves)));
    expect(openCheckpoint(signed.note, ORIGIN, [verifier]).checkpoint).toMatchObject({ size: N });
    expect(db.prepare('SELECT size FROM log_checkpoints ORDER BY size').all()).toEqual([{ size: 3 }, { size: N }]);

    for (const n of [1, 2, 255, 256, 257, 511, 65_535, 65_536, 65_537, 69_999]) expect(toHex(tree.root(n))).toBe(toHex(mem.root(n)));
    for (const [m, n] of [[3, N], [1, N], [256, 65_537], [20_000, N], [65_536, N], [65_535, 65_536], [69_999, N]] as const) {
      const proof = tree.consistency(m, n);
      expect(proof.map(toHex)).toEqual(mem.consistency(m, n).map(toHex));
      expect(verifyConsistency(m, n, mem.root(m), mem.root(n), proof)).toBe(true);
    }
    for (const i of [0, 2, 255, 256, 40_000, 65_535, 65_536, N - 1]) {
      const proof = tree.inclusion(i, N);
      expect(proof.map(toHex)).toEqual(mem.inclusion(i, N).map(toHex));
      expect(verifyInclusion(i, N, leaves[i]!, proof, mem.root(N))).toBe(true);
    }
    db.close();
  }, 120_000);

  it('the log key signs with node\'s Ed25519: the same bytes as noble\'s, which its verifier accepts', () => {
    const skey = formatSignerKey(ORIGIN, SEED);
    const noble = parseSignerKey(skey);
    const native = parseSignerKey(skey, nativeEd25519);
    expect(native.verifierKey).toBe(noble.verifierKey);
    for (const text of ['', 'unit.test/jump\n70000\nAAAA\n', 'x'.repeat(5000)]) {
      const msg = new TextEncoder().encode(text);
      const sig = native.sign(msg);
      expect(toHex(sig)).toBe(toHex(noble.sign(msg)));
      expect(noble.verifier.verify(msg, sig)).toBe(true);
    }
  });
});
