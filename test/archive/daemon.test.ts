/**
 * The default configuration (what `npm start` runs): embedded Helia on loopback + in-process
 * arlocal devnet, archiving end to end inside the real daemon, with the Next.ID fields filled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CarReader } from '@ipld/car';
import { multiaddr } from '@multiformats/multiaddr';
import { CID } from 'multiformats/cid';
import '../../src/polyfills.js';
import { loadConfig } from '../../src/config/load.js';
import { Daemon } from '../../src/daemon.js';
import { createLogger } from '../../src/log.js';
import { IpfsNode } from '../../src/archive/ipfs.js';
import { proofkeepTxs, Signer, tag, txData, waitFor } from './helpers.js';

let dir: string;
let daemon: Daemon;
const cwdLogs = existsSync(join(process.cwd(), 'logs'));

async function start(): Promise<Daemon> {
  const config = loadConfig({
    env: {},
    overrides: {
      'store.dataDir': dir, 'server.port': 0, 'log.level': 'silent', 'server.writeRateLimit': 0,
      'checkers.enabled': false, 'checkers.verifyOnSubmit': false, // never reach real platforms
      // only timings are shortened; everything else is the default
      'archive.coalesceMs': 100, 'archive.pollMs': 50, 'archive.arweave.devnet.mineIntervalMs': 300, 'archive.arweave.confirmPollMs': 200,
    },
  });
  expect(config.archive.arweave.walletFile).toBe('');
  expect(config.archive.ipfs.listen).toEqual(['/ip4/127.0.0.1/tcp/0']);
  const d = await Daemon.start(config, { log: createLogger(config.log.level) });
  // The API serves at once; IPFS and the devnet come up in the background.
  await waitFor('archive ready', async () => ((await (await fetch(`${d.url}/healthz`)).json()) as any).archive.ready === true);
  return d;
}

async function post(url: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

async function bind(s: Signer, n: number): Promise<void> {
  const p = await post(`${daemon.url}/v1/proof/payload`, { action: 'create', platform: 'twitter', identity: `dflt${n}`, public_key: s.id });
  const r = await post(`${daemon.url}/v1/proof`, {
    action: 'create', platform: 'twitter', identity: `dflt${n}`, public_key: s.id, proof_location: String(n), uuid: p.body.uuid,
    created_at: p.body.created_at, extra: { signature: s.sign(p.body.sign_payload) },
  });
  expect(r.status).toBe(201);
}

const getJson = async (path: string): Promise<any> => (await fetch(`${daemon.url}${path}`)).json();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pk-daemon-archive-'));
  daemon = await start();
});

afterAll(async () => {
  await daemon?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('default archive setup (embedded IPFS + local devnet)', () => {
  it('archives end to end and fills the Next.ID arweave fields', async () => {
    const s = new Signer('default-daemon');
    await bind(s, 0);
    await bind(s, 1);
    const view = await waitFor('confirmed', async () => {
      const v = await getJson(`/v1/chain/${s.id}/archive`);
      return v.pending.jobs === 0 && v.versions.length > 0 && v.versions.every((x: any) => x.arweave_status === 'confirmed') ? v : null;
    });
    const newest = view.versions[view.versions.length - 1];
    expect(newest.links).toBe(2);
    expect(newest.ipfs_status).toBe('pinned');

    const proofs = await getJson(`/v1/proof?platform=twitter&identity=dflt1`);
    expect(proofs.ids[0].last_arweave_id).toBe(newest.arweave_tx);
    const chain = await getJson(`/v1/proofchain?avatar=${s.id}`);
    const byLinks = new Map<number, string>(view.versions.map((v: any) => [v.links, v.arweave_tx]));
    // each link points at the first archived version that contains it
    const firstContaining = (seq: number) => [...byLinks.entries()].filter(([n]) => n > seq).sort((a, b) => a[0] - b[0])[0]![1];
    expect(chain.proof_chain.map((l: any) => l.arweave_id)).toEqual([firstContaining(0), firstContaining(1)]);

    const health = await getJson('/healthz');
    expect(health.archive).toMatchObject({ enabled: true, queue_depth: 0, oldest_pending_age_ms: 0, arweave: { mode: 'local-devnet' } });
    const devnetUrl: string = health.archive.arweave.url;
    expect(devnetUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    // on the devnet: found by tag, data = the chain document whose CID is recorded
    const txs = await proofkeepTxs(devnetUrl, s.id);
    const t = txs.find((x) => x.id === newest.arweave_tx)!;
    expect(tag(t, 'IPFS-CID')).toBe(newest.cid);
    const doc = Buffer.from(await (await fetch(`${daemon.url}/v1/chain/${s.id}`)).arrayBuffer());
    expect((await txData(devnetUrl, t.id)).equals(doc)).toBe(true);

    // the daemon's gateway: CAR
    const car = await CarReader.fromBytes(new Uint8Array(await (await fetch(`${daemon.url}/ipfs/${newest.cid}?format=car`)).arrayBuffer()));
    expect(Buffer.from((await car.get(CID.parse(newest.cid) as never))!.bytes).equals(doc)).toBe(true);

    // the daemon's libp2p listener: an independent Helia node fetches the document by CID
    const addrs: string[] = health.archive.ipfs.multiaddrs;
    expect(addrs.length).toBeGreaterThan(0);
    expect(addrs.every((a) => a.startsWith('/ip4/127.0.0.1/'))).toBe(true);
    const other = await IpfsNode.open({ dir: join(dir, 'other-node'), listen: ['/ip4/127.0.0.1/tcp/0'] });
    try {
      await other.helia.libp2p!.dial(multiaddr(addrs[0]!), { signal: AbortSignal.timeout(10_000) });
      expect(await other.getLocalBlock(CID.parse(newest.cid))).toBeNull();
      const got = await other.getJson(CID.parse(newest.cid), AbortSignal.timeout(15_000));
      expect(got).toEqual(JSON.parse(doc.toString()));
    } finally {
      await other.stop();
    }
  });

  it('keeps the devnet chain and dev wallet across a daemon restart', async () => {
    const before = (await getJson('/healthz')).archive.arweave.address;
    const s = new Signer('default-daemon');
    const versions = (await getJson(`/v1/chain/${s.id}/archive`)).versions;
    await daemon.stop();
    daemon = await start();
    const h = await getJson('/healthz');
    expect(h.archive.arweave.address).toBe(before);
    const txs = await proofkeepTxs(h.archive.arweave.url, s.id);
    expect(txs.map((t) => t.id).sort()).toEqual(versions.map((v: any) => v.arweave_tx).sort());
    if (!cwdLogs) expect(existsSync(join(process.cwd(), 'logs'))).toBe(false);
  });
});
