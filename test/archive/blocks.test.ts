/** The on-disk reader the gateway uses before the IPFS node runs agrees with Helia's pins. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IpfsStores } from '../../src/archive/blocks.js';
import { IpfsNode } from '../../src/archive/ipfs.js';
import { chainDocumentBytes, type Link } from '../../src/core/index.js';

const dir = mkdtempSync(join(tmpdir(), 'pk-blocks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const link: Link = {
  prev: null, action: 'create', platform: 'twitter', identity: 'blocks', proof_location: '1', created_at: 1_700_000_000,
  uuid: '00000000-0000-4000-8000-000000000001', signature: 'sig', signature_payload: 'p', extra: {},
};

describe('IpfsStores', () => {
  it('sees what Helia pins and unpins, and the bytes it stored; the node leaves the stores open', async () => {
    const stores = await IpfsStores.open(join(dir, 'ipfs'));
    try {
      const node = await IpfsNode.open({ dir: join(dir, 'unused'), stores, listen: [] });
      const bytes = chainDocumentBytes(`0x04${'cd'.repeat(64)}`, [link]);
      const cid = await node.put(bytes);
      expect(await stores.isPinned(cid)).toBe(false);
      expect(Buffer.from((await stores.getLocalBlock(cid))!).equals(Buffer.from(bytes))).toBe(true);
      await node.pin(cid);
      expect(await stores.isPinned(cid)).toBe(true);
      await node.unpin(cid);
      expect(await stores.isPinned(cid)).toBe(false);
      await node.pin(cid);
      await node.stop();
      // still open after the node stopped: the gateway keeps serving
      expect(await stores.isPinned(cid)).toBe(true);
      expect(await stores.getLocalBlock(cid)).not.toBeNull();
    } finally {
      await stores.close();
    }
  });
});
