/**
 * An in-memory tree kept the way the daemon keeps its own (tile-level hashes, a tile's hash
 * added one level up when it fills): for a mirror or an auditor that rebuilds a log from the
 * entries it followed and compares roots with the log's signed checkpoints.
 */
import { hashOfHashes, leafHash, consistencyProof, inclusionProof, treeHash, type Hash, type SubtreeSource } from './merkle.js';
import { subtreeSource, TILE_WIDTH } from './tiles.js';

export class MemoryTree {
  /** levels[L][i]: hash of the complete subtree of 256^L leaves at position i */
  private readonly levels: Hash[][] = [[]];

  get size(): number {
    return this.levels[0]!.length;
  }

  /** Append an entry (its bytes); returns its index. */
  append(entry: Uint8Array): number {
    return this.appendLeaf(leafHash(entry));
  }

  appendLeaf(hash: Hash): number {
    const idx = this.size;
    this.levels[0]!.push(hash);
    for (let level = 0, i = idx; i % TILE_WIDTH === TILE_WIDTH - 1; level++, i = Math.floor(i / TILE_WIDTH)) {
      const tile = this.levels[level]!.slice(i - (TILE_WIDTH - 1), i + 1);
      (this.levels[level + 1] ??= []).push(hashOfHashes(tile));
    }
    return idx;
  }

  source(): SubtreeSource {
    return subtreeSource((level, from, count) => (this.levels[level] ?? []).slice(from, from + count));
  }

  root(size = this.size): Hash {
    return treeHash(size, this.source());
  }

  inclusion(index: number, size = this.size): Hash[] {
    return inclusionProof(index, size, this.source());
  }

  consistency(from: number, to = this.size): Hash[] {
    return consistencyProof(from, to, this.source());
  }
}
