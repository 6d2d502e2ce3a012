/**
 * KV chains through the archive (embedded Helia + local devnet, in the real daemon): each KV
 * chain version pinned under its CID and on Arweave with walkable Previous-Tx tags, found by
 * GraphQL, and `arweave_id` in GET /v1/kv is the version's tx.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { TestAvatar } from '../helpers/avatar.js';
import { kvWrite } from '../helpers/kv.js';
import { proofkeepTxs, tag, txData, waitFor } from '../archive/helpers.js';

let dir: string;
let d: TestDaemon;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pk-kv-archive-'));
  d = await startDaemon({
    'archive.enabled': true, 'archive.ipfs.listen': [], 'archive.coalesceMs': 50, 'archive.pollMs': 50,
    'archive.arweave.devnet.mineIntervalMs': 300, 'archive.arweave.confirmPollMs': 200,
  }, { dir });
  await waitFor('archive ready', async () => (await json(`${d.url}/healthz`)).body.archive.ready === true);
});
afterAll(async () => {
  await d?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const archived = (a: TestAvatar, writes: number) =>
  waitFor(`KV version ${writes} posted`, async () => {
    const v = (await json(`${d.url}/v1/kv/chain/${a.id}/archive`)).body;
    const last = v.versions?.at(-1);
    return v.pending?.jobs === 0 && last?.links === writes && ['posted', 'confirmed'].includes(last.arweave_status) ? v : null;
  });

describe('KV chain archive', () => {
  it('pins and uploads each KV chain version; arweave_id is that version\'s tx; Previous-Tx walks back', async () => {
    const a = new TestAvatar('kv-archive');
    expect((await kvWrite(d.url, a, 'nextid', a.id, { v: 1 })).status).toBe(201);
    const v1 = await archived(a, 1);
    expect((await kvWrite(d.url, a, 'nextid', a.id, { v: 2 })).status).toBe(201);
    const v2 = await archived(a, 2);
    const [first, second] = [v1.versions.at(-1), v2.versions.at(-1)];
    expect(second.previous_tx).toBe(first.arweave_tx);
    expect(second.ipfs_status).toBe('pinned');

    // the namespace's latest write (seq 1) is covered first by version 2
    const view = (await json(`${d.url}/v1/kv?avatar=${a.id}`)).body;
    expect(view.proofs[0].arweave_id).toBe(second.arweave_tx);

    const doc = Buffer.from(await (await fetch(`${d.url}/v1/kv/chain/${a.id}`)).arrayBuffer());
    const devnet: string = (await json(`${d.url}/healthz`)).body.archive.arweave.url;
    const txs = await proofkeepTxs(devnet, a.id, 'proofkeep-kv');
    expect(txs.map((t) => t.id).sort()).toEqual([first.arweave_tx, second.arweave_tx].sort());
    const t2 = txs.find((t) => t.id === second.arweave_tx)!;
    expect(tag(t2, 'Writes')).toBe('2');
    expect(tag(t2, 'IPFS-CID')).toBe(second.cid);
    expect(tag(t2, 'Previous-Tx')).toBe(first.arweave_tx);
    expect((await txData(devnet, t2.id)).equals(doc)).toBe(true);
    // proof-chain lookups by App-Name never see KV versions
    expect(await proofkeepTxs(devnet, a.id)).toEqual([]);
    // the daemon's IPFS gateway serves the document under its CID
    const ipfs = Buffer.from(await (await fetch(`${d.url}/ipfs/${second.cid}`)).arrayBuffer());
    expect(ipfs.equals(doc)).toBe(true);
  });
});
