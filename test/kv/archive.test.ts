/**
 * KV chains through the archive (embedded Helia + local devnet, in the real daemon): each KV
 * chain version pinned under its CID and on Arweave with walkable Previous-Tx tags, found by
 * GraphQL, and `arweave_id` in GET /v1/kv is the version's tx. `proofkeep audit` verifies the
 * KV chain document from a file, its CID and its Arweave history, with the proof chains' codes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { TestAvatar } from '../helpers/avatar.js';
import { kvWrite } from '../helpers/kv.js';
import { proofkeepTxs, tag, txData, waitFor } from '../archive/helpers.js';
import { run } from '../../src/cli/audit.js';
import { captureIo } from '../audit/helpers.js';

async function audit(args: string[]) {
  const c = captureIo();
  const code = await run(['--workers', '1', '--json', '--retries', '0', ...args], c.io);
  return { code, rep: JSON.parse(c.stdout()) };
}

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

describe('proofkeep audit of KV chain documents', () => {
  const a = new TestAvatar('kv-audit');
  let view: any;
  beforeAll(async () => {
    // one archived version per write, so the history has three versions to walk
    for (let i = 0; i < 3; i++) {
      expect((await kvWrite(d.url, a, 'nextid', a.id, { i })).status).toBe(201);
      view = await archived(a, i + 1);
    }
  }, 120_000);

  it('a file: the good document passes; a tampered one fails with the codes of proof chains', async () => {
    const text = await (await fetch(`${d.url}/v1/kv/chain/${a.id}`)).text();
    const good = join(dir, 'kv-good.json');
    writeFileSync(good, text);
    const ok = await audit([good]);
    expect(ok.rep.problems).toEqual([]);
    expect(ok.rep.totals).toEqual({ avatars: 1, links: 3, verified: 3, problems: 0 });
    expect(ok.code).toBe(0);

    const doc = JSON.parse(text);
    doc.writes[1].patch = { i: 99 }; // no longer the signed patch
    const bad = join(dir, 'kv-bad.json');
    writeFileSync(bad, JSON.stringify(doc));
    const r = await audit([bad]);
    expect(r.rep.problems.map((p: any) => [p.index, p.code])).toEqual([[1, 'PAYLOAD_MISMATCH'], [2, 'BROKEN_ANCESTOR']]);
    expect(r.rep.totals.verified).toBe(1);
    expect(r.code).not.toBe(0);
  });

  it('its CID through the daemon\'s gateway, and its Arweave history through Previous-Tx', async () => {
    const newest = view.versions.at(-1);
    const byCid = await audit(['--ipfs-gateway', d.url, newest.cid]);
    expect(byCid.rep.problems).toEqual([]);
    expect(byCid.rep.totals).toEqual({ avatars: 1, links: 3, verified: 3, problems: 0 });
    const devnet = (await json(`${d.url}/healthz`)).body.archive.arweave.url as string;
    const byTx = await audit(['--arweave-gateway', devnet, `ar://${newest.arweave_tx}`]);
    expect(byTx.rep.problems).toEqual([]);
    expect(byTx.rep.errors).toEqual([]);
    expect(view.versions.length).toBe(3);
    expect(byTx.rep.sources[0].notes.versions).toBe(3);
    expect(byTx.code).toBe(0);
  });
});
