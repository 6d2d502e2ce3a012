/**
 * Readiness after a restart: the gateway reads the block store from disk, so a pinned block is
 * served as soon as the daemon listens, even while the IPFS node itself cannot start (here its
 * libp2p port is taken by another listener, so Helia fails and is retried in the background).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TestAvatar } from '../helpers/avatar.js';
import { json, post, startDaemon } from '../helpers/daemon.js';
import { waitFor } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'pk-archive-ready-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const archive = { 'archive.enabled': true, 'archive.arweave.enabled': false, 'archive.pollMs': 20, 'archive.coalesceMs': 0 };

describe('gateway readiness', () => {
  it('serves a pinned block immediately after a restart, before the IPFS node runs', { timeout: 120_000 }, async () => {
    const a = new TestAvatar('archive-ready');
    const links = a.chain(2);
    let cid = '';
    let bytes = Buffer.alloc(0);
    const first = await startDaemon(archive, { dir });
    try {
      expect((await post(`${first.url}/v1/links`, { links: links.map((l) => ({ ...l, avatar: a.id })) })).body.accepted).toBe(2);
      const v = await waitFor('pinned', async () => {
        const last = (await json(`${first.url}/v1/chain/${a.id}/archive`)).body.versions?.at(-1);
        return last?.ipfs_status === 'pinned' && last.links === 2 ? last : null;
      });
      cid = v.cid;
      bytes = Buffer.from(await (await fetch(`${first.url}/ipfs/${cid}?format=raw`)).arrayBuffer());
      expect(bytes.length).toBeGreaterThan(0);
    } finally {
      await first.stop();
    }

    // A port held by someone else: the IPFS node's libp2p listener cannot bind, so the node
    // does not start, and only the on-disk path can answer.
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    const second = await startDaemon({ ...archive, 'archive.ipfs.listen': [`/ip4/127.0.0.1/tcp/${port}`] }, { dir });
    try {
      const res = await fetch(`${second.url}/ipfs/${cid}?format=raw`);
      expect(res.status).toBe(200);
      const body = Buffer.from(await res.arrayBuffer());
      expect(body.equals(bytes)).toBe(true);
      expect(JSON.parse(body.toString('utf8')).links).toHaveLength(2);

      // /healthz says which part is ready: the gateway yes, the node (bitswap, pinning) not.
      const h = await waitFor('node start failure reported', async () => {
        const b = (await json(`${second.url}/healthz`)).body.archive;
        return b.error ? b : null;
      });
      expect(h.ipfs).toMatchObject({ enabled: true, gateway: true, node: false });
      expect(h.ready).toBe(false);
      // What is not pinned is still a 404, not served from the store blindly.
      expect((await json(`${second.url}/ipfs/bagaaierakscm2yr5tbegsygwd5g2fks745wuhp7gucb6qg6d7wcipiw54wuq`)).status).toBe(404);
    } finally {
      await second.stop();
      await new Promise<void>((r) => blocker.close(() => r()));
    }
  });
});
