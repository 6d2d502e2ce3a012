/**
 * The archive starts in the background: the API serves at once, and an IPFS node that cannot
 * start is retried while accepted links wait in the outbox.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TestAvatar } from '../helpers/avatar.js';
import { json, post, startDaemon } from '../helpers/daemon.js';
import { waitFor } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'pk-archive-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('archive start-up', () => {
  it('serves while IPFS cannot start, keeps jobs queued, and archives once a retry succeeds', { timeout: 120_000 }, async () => {
    const ipfsDir = join(dir, 'ipfs-blocked');
    writeFileSync(ipfsDir, 'a file where the IPFS store directory should be');
    const d = await startDaemon(
      { 'archive.enabled': true, 'archive.arweave.enabled': false, 'archive.ipfs.dir': ipfsDir, 'archive.pollMs': 50, 'archive.coalesceMs': 0 },
      { dir },
    );
    try {
      const a = new TestAvatar('archive-start');
      const r = await post(`${d.url}/v1/links`, { links: a.chain(2).map((l) => ({ ...l, avatar: a.id })) });
      expect(r.body.accepted).toBe(2);
      const failing = await waitFor('init error reported', async () => {
        const h = (await json(`${d.url}/healthz`)).body.archive;
        return h.error ? h : null;
      });
      expect(failing.ready).toBe(false);
      expect(failing.queue_depth).toBeGreaterThan(0);
      const unavailable = await json(`${d.url}/ipfs/bagaaierakscm2yr5tbegsygwd5g2fks745wuhp7gucb6qg6d7wcipiw54wuq`);
      expect(unavailable.status).toBe(503);
      expect(unavailable.body.code).toBe('UNAVAILABLE');
      expect(Number(unavailable.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(failing.ipfs).toMatchObject({ enabled: true, gateway: false, node: false });

      rmSync(ipfsDir);
      await waitFor('archive ready after retry', async () => (await json(`${d.url}/healthz`)).body.archive.ready === true, 60_000);
      const view = await waitFor('archived', async () => {
        const v = (await json(`${d.url}/v1/chain/${a.id}/archive`)).body;
        return v.versions?.at(-1)?.ipfs_status === 'pinned' && v.versions.at(-1).links === 2 ? v : null;
      });
      expect(view.versions.at(-1).cid).toMatch(/^bagaaiera/);
      expect((await json(`${d.url}/healthz`)).body.archive.error).toBeUndefined();
    } finally {
      await d.stop();
    }
  });
});
