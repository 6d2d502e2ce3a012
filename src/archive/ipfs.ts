/**
 * The embedded IPFS node: Helia with persistent level stores, the json codec (so a chain
 * document's CID is SPEC §5's `bagaaiera…`) and, when listen addresses are configured, a
 * libp2p TCP listener speaking bitswap so other nodes can fetch what we pin.
 *
 * Deliberately minimal libp2p: no DHT, no bootstrap list, no mDNS, no HTTP routers or public
 * gateways — the daemon must never talk to anything it was not configured to talk to, and in
 * tests nothing but 127.0.0.1.
 */
import '../polyfills.js';
import { createHeliaLight, type Helia } from 'helia';
import { withLibp2pLight } from '@helia/libp2p';
import { withBitswap } from '@helia/bitswap';
import { json } from '@helia/json';
import { tcp } from '@libp2p/tcp';
import { noise } from '@libp2p/noise';
import { yamux } from '@libp2p/yamux';
import { identify } from '@libp2p/identify';
import type { Libp2p } from '@libp2p/interface';
import { CID } from 'multiformats/cid';
import * as jsonCodec from 'multiformats/codecs/json';
import { collect, IpfsStores, type BlockReader } from './blocks.js';
import { documentCid } from './cid.js';

export interface IpfsNodeOptions {
  /** directory for the level stores (created if missing); ignored when `stores` is given */
  dir: string;
  /** stores already open (the archive opens them first, for the gateway): the node then leaves closing them to their opener */
  stores?: IpfsStores;
  /** libp2p listen multiaddrs; [] = no libp2p at all */
  listen: readonly string[];
}

export { documentCid } from './cid.js';

async function drain(it: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of it) void _;
}

export class IpfsNode implements BlockReader {
  private constructor(
    readonly helia: Helia & { libp2p?: Libp2p },
    private readonly stores: IpfsStores,
    private readonly ownsStores: boolean,
  ) {}

  static async open(opts: IpfsNodeOptions): Promise<IpfsNode> {
    const stores = opts.stores ?? (await IpfsStores.open(opts.dir));
    const { blockstore, datastore } = stores;
    try {
      // createHeliaLight only knows dag-pb and raw: the json codec must be given or pinning a
      // json CID throws UnknownCodecError.
      let helia: Helia = createHeliaLight({ blockstore, datastore, codecs: [jsonCodec] });
      if (opts.listen.length > 0) {
        helia = withBitswap(
          withLibp2pLight(helia, {
            addresses: { listen: [...opts.listen] },
            transports: [tcp()],
            connectionEncrypters: [noise()],
            streamMuxers: [yamux()],
            services: { identify: identify() },
          }),
        );
      }
      await helia.start();
      return new IpfsNode(helia, stores, !opts.stores);
    } catch (err) {
      if (!opts.stores) await stores.close();
      throw err;
    }
  }

  /** Multiaddrs (with /p2p/<peer id>) other nodes can dial; [] without a listener. */
  multiaddrs(): string[] {
    const l = (this.helia as { libp2p?: Libp2p }).libp2p;
    return l ? l.getMultiaddrs().map(String) : [];
  }

  /**
   * Store the exact document bytes and return their CID. The document goes in through
   * @helia/json; should the json codec's re-encoding ever differ from the core's bytes (it
   * cannot for documents the core builds, but the bytes are what is signed off), the exact bytes
   * are stored under their own CID instead, so the CID always matches the Arweave data.
   */
  async put(bytes: Uint8Array, signal?: AbortSignal): Promise<CID> {
    const expected = await documentCid(bytes);
    const obj: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
    if (Buffer.from(jsonCodec.encode(obj)).equals(Buffer.from(bytes))) {
      const cid = await json(this.helia).add(obj, signal ? { signal } : {});
      if (cid.equals(expected)) return cid;
    }
    await this.helia.blockstore.put(expected, bytes, signal ? { signal } : {});
    return expected;
  }

  async pin(cid: CID, signal?: AbortSignal): Promise<void> {
    if (await this.helia.pins.isPinned(cid, signal ? { signal } : {})) return;
    await drain(this.helia.pins.add(cid, signal ? { signal } : {}));
  }

  async unpin(cid: CID, signal?: AbortSignal): Promise<void> {
    if (!(await this.helia.pins.isPinned(cid, signal ? { signal } : {}))) return;
    await drain(this.helia.pins.rm(cid, signal ? { signal } : {}));
  }

  isPinned(cid: CID, signal?: AbortSignal): Promise<boolean> {
    return this.helia.pins.isPinned(cid, signal ? { signal } : {});
  }

  /** A locally held block, or null. Never asks the network (offline): the gateway serves only what we hold. */
  async getLocalBlock(cid: CID, signal?: AbortSignal): Promise<Uint8Array | null> {
    if (!(await this.helia.blockstore.has(cid, signal ? { signal } : {}))) return null;
    return collect(this.helia.blockstore.get(cid, { offline: true, ...(signal ? { signal } : {}) }));
  }

  /** A chain document through @helia/json (used by tests and the auditor-facing code). */
  getJson<T>(cid: CID, signal?: AbortSignal): Promise<T> {
    return json(this.helia).get<T>(cid, signal ? { signal } : {});
  }

  async stop(): Promise<void> {
    try {
      await this.helia.stop();
    } finally {
      // helia.stop() does not close the stores it was given.
      if (this.ownsStores) await this.stores.close();
    }
  }
}
