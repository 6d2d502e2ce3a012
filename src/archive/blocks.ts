/**
 * The IPFS node's level stores, opened on their own as soon as the archive starts, before (and
 * without) Helia and libp2p, so the gateway serves what is pinned on disk the moment the daemon
 * prints "listening". The IPFS node is built on these same stores once it starts; they are
 * closed by whoever opened them (the archive component), never by the node.
 *
 * The pin check reads the key Helia's pinning writes for every block a pin covers
 * (`/pinned-block/<base36 multihash>`, helia/src/pins.ts): it is what `helia.pins.isPinned`
 * reads too, so both answer alike; test/archive/blocks.test.ts pins through Helia and checks it.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { LevelBlockstore } from 'blockstore-level';
import { LevelDatastore } from 'datastore-level';
import { Key } from 'interface-datastore';
import { base36 } from 'multiformats/bases/base36';
import type { CID } from 'multiformats/cid';

/** What the gateway needs: is a block pinned here, and its bytes (never from the network). */
export interface BlockReader {
  isPinned(cid: CID, signal?: AbortSignal): Promise<boolean>;
  getLocalBlock(cid: CID, signal?: AbortSignal): Promise<Uint8Array | null>;
}

const PINNED_BLOCK_PREFIX = '/pinned-block/';

export async function collect(chunks: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  if (chunks instanceof Uint8Array) return chunks;
  const parts: Uint8Array[] = [];
  for await (const c of chunks) parts.push(c);
  return parts.length === 1 ? parts[0]! : new Uint8Array(Buffer.concat(parts));
}

export class IpfsStores implements BlockReader {
  private constructor(
    readonly blockstore: LevelBlockstore,
    readonly datastore: LevelDatastore,
  ) {}

  /** Open (creating if missing) the stores under `dir`; both or neither. */
  static async open(dir: string): Promise<IpfsStores> {
    mkdirSync(dir, { recursive: true });
    const blockstore = new LevelBlockstore(join(dir, 'blocks'));
    const datastore = new LevelDatastore(join(dir, 'datastore'));
    try {
      await blockstore.open();
      await datastore.open();
    } catch (err) {
      await blockstore.close().catch(() => undefined);
      await datastore.close().catch(() => undefined);
      throw err;
    }
    return new IpfsStores(blockstore, datastore);
  }

  isPinned(cid: CID, signal?: AbortSignal): Promise<boolean> {
    const key = new Key(`${PINNED_BLOCK_PREFIX}${base36.encode(cid.multihash.bytes)}`);
    return this.datastore.has(key, signal ? { signal } : {});
  }

  async getLocalBlock(cid: CID, signal?: AbortSignal): Promise<Uint8Array | null> {
    const opts = signal ? { signal } : {};
    if (!(await this.blockstore.has(cid, opts))) return null;
    return collect(this.blockstore.get(cid, opts));
  }

  async close(): Promise<void> {
    await this.blockstore.close().catch(() => undefined);
    await this.datastore.close().catch(() => undefined);
  }
}
