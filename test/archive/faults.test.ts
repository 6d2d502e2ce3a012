/**
 * Fault tests with real parts: the real CLI `serve` (child process), real Helia, a real arlocal
 * run by the test as the "production" gateway (so it can be stopped, and outlives the daemon),
 * a real wallet file. Ingest goes through POST /v1/proof like a client would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Arweave from 'arweave';
import { startArlocal, type ArlocalServer } from '../../src/archive/devnet.js';
import { documentCid } from '../../src/archive/ipfs.js';
import { saveWallet, type Jwk } from '../../src/archive/wallet.js';
import { proofkeepTxs, Signer, tag, txData, waitFor } from './helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

let dir: string;
let arlocal: ArlocalServer;
let arlocalPort: number;
let walletFile: string;
let mining: NodeJS.Timeout | undefined;

function startMining(): void {
  mining = setInterval(() => void fetch(`${arlocal.url}/mine`).then((r) => r.arrayBuffer()).catch(() => undefined), 300);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pk-faults-'));
  arlocal = await startArlocal({ dir: join(dir, 'arlocal'), port: 0 });
  arlocalPort = arlocal.port;
  const ar = Arweave.init({ host: '127.0.0.1', port: arlocalPort, protocol: 'http' });
  const jwk = (await ar.wallets.generate()) as unknown as Jwk;
  walletFile = join(dir, 'wallet.json');
  saveWallet(walletFile, jwk);
  const address = await ar.wallets.jwkToAddress(jwk as never);
  await (await fetch(`${arlocal.url}/mint/${address}/1000000000000000000`)).arrayBuffer();
  startMining();
});

afterAll(async () => {
  clearInterval(mining);
  await arlocal?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Serve {
  child: ChildProcessWithoutNullStreams;
  url: string;
  stderr: () => string;
}

function serve(dataDir: string, archive: Record<string, unknown>): Promise<Serve> {
  const config = join(dataDir, 'config.json');
  writeFileSync(config, JSON.stringify({
    server: { host: '127.0.0.1', port: 0, writeRateLimit: 0 },
    store: { dataDir },
    log: { level: 'info' },
    // never reach real platforms
    checkers: { enabled: false, verifyOnSubmit: false },
    archive: {
      coalesceMs: 100,
      pollMs: 50,
      retry: { initialMs: 200, maxMs: 800, multiplier: 2, jitter: 0.2 },
      ...archive,
      ipfs: { listen: [] },
      arweave: { gatewayUrl: arlocal.url, walletFile, confirmations: 1, confirmPollMs: 200, timeoutMs: 3000 },
    },
  }));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PROOFKEEP_')));
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve', '--config', config], { cwd: ROOT, env });
  let out = '';
  let err = '';
  child.stderr.on('data', (c) => (err += c));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${err}`)), 60_000);
    child.stdout.on('data', (c) => {
      out += c;
      const m = /proofkeep listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, stderr: () => err });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${err}`));
    });
  });
}

async function stopServe(s: Serve, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.kill(signal);
  await exited;
}

async function postJson(url: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

/** A client binding one more twitter identity through the Next.ID flow; returns the status. */
async function bind(url: string, s: Signer, n: number): Promise<number> {
  const p = await postJson(`${url}/v1/proof/payload`, { action: 'create', platform: 'twitter', identity: `id${n}`, public_key: s.id });
  expect(p.status).toBe(200);
  const r = await postJson(`${url}/v1/proof`, {
    action: 'create', platform: 'twitter', identity: `id${n}`, public_key: s.id, proof_location: String(100 + n),
    uuid: p.body.uuid, created_at: p.body.created_at, extra: { signature: s.sign(p.body.sign_payload) },
  });
  return r.status;
}

interface ArchiveView {
  link_count: number;
  versions: { links: number; cid: string; arweave_tx: string; arweave_status: string; ipfs_status: string }[];
  pending: { jobs: number; attempts: number; last_error: string };
}
const archiveOf = async (url: string, s: Signer): Promise<ArchiveView> => (await (await fetch(`${url}/v1/chain/${s.id}/archive`)).json()) as ArchiveView;
const health = async (url: string): Promise<{ archive: { queue_depth: number; oldest_pending_age_ms: number; failing_avatars: number } }> =>
  (await (await fetch(`${url}/healthz`)).json()) as never;

/** Every archived version is on arlocal exactly once, with the recorded CID and the document's bytes. */
async function checkArweave(url: string, signers: Signer[]): Promise<void> {
  for (const s of signers) {
    const view = await archiveOf(url, s);
    const txs = await proofkeepTxs(arlocal.url, s.id);
    const byLinks = new Map<string, string[]>();
    for (const t of txs) byLinks.set(tag(t, 'Links')!, [...(byLinks.get(tag(t, 'Links')!) ?? []), t.id]);
    for (const [links, ids] of byLinks) expect(ids, `avatar ${s.id} version ${links}: ${ids.join(" ")}`).toHaveLength(1);
    expect(txs.map((t) => t.id).sort()).toEqual(view.versions.map((v) => v.arweave_tx).sort());
    for (const v of view.versions) {
      const t = txs.find((x) => x.id === v.arweave_tx)!;
      expect(tag(t, 'IPFS-CID')).toBe(v.cid);
      const data = await txData(arlocal.url, t.id);
      expect((await documentCid(new Uint8Array(data))).toString(), `avatar ${s.id} version ${v.links} tx ${t.id}: ${data.length} bytes from arlocal, starting ${JSON.stringify(data.subarray(0, 120).toString())}`).toBe(v.cid);
      const raw = Buffer.from(await (await fetch(`${url}/ipfs/${v.cid}?format=raw`)).arrayBuffer());
      expect(raw.equals(data)).toBe(true);
    }
    // the newest version is the chain as served now
    const newest = view.versions[view.versions.length - 1]!;
    expect(newest.links).toBe(view.link_count);
    const doc = Buffer.from(await (await fetch(`${url}/v1/chain/${s.id}`)).arrayBuffer());
    expect((await txData(arlocal.url, newest.arweave_tx)).equals(doc)).toBe(true);
  }
}

describe('archive under faults (real CLI, Helia, arlocal)', () => {
  it('Arweave down while links keep arriving: 201s, backoff, then every newest version archived exactly once', { timeout: 600_000 }, async () => {
    const d = mkdtempSync(join(dir, 'down-'));
    const s = await serve(d, {});
    try {
      const signers = [new Signer('down-a'), new Signer('down-b'), new Signer('down-c')];
      for (const a of signers) expect(await bind(s.url, a, 0)).toBe(201);
      await waitFor('first versions posted', async () => (await Promise.all(signers.map((a) => archiveOf(s.url, a)))).every((v) => v.pending.jobs === 0 && v.versions.length === 1), 180_000);

      clearInterval(mining);
      await arlocal.stop();
      for (const a of signers) for (const n of [1, 2]) expect(await bind(s.url, a, n)).toBe(201);
      // every Avatar, not just the first: the health figures below count all of them, and under
      // load the others' first failures may come later than the first one's second
      await waitFor('jobs backing off', async () => (await Promise.all(signers.map((a) => archiveOf(s.url, a)))).every((v) => v.pending.attempts >= 2), 180_000);
      const h = await health(s.url);
      expect(h.archive.queue_depth).toBeGreaterThanOrEqual(signers.length);
      expect(h.archive.oldest_pending_age_ms).toBeGreaterThan(0);
      expect(h.archive.failing_avatars).toBe(signers.length);
      expect((await archiveOf(s.url, signers[1]!)).pending.last_error).toMatch(/arweave/i);

      arlocal = await startArlocal({ dir: join(dir, 'arlocal'), port: arlocalPort });
      startMining();
      await waitFor('drained after the outage', async () => (await health(s.url)).archive.queue_depth === 0, 180_000);
      // A version signed during the outage and then superseded is posted (as the same signed tx)
      // by the confirmation loop, which may come after the queue is empty: wait for it.
      const archived = (v: { arweave_status: string; ipfs_status: string }) => ['posted', 'confirmed'].includes(v.arweave_status) && v.ipfs_status === 'pinned';
      await waitFor('every version posted and pinned', async () => (await Promise.all(signers.map((a) => archiveOf(s.url, a)))).every((v) => v.versions.every(archived)), 180_000);
      for (const a of signers) {
        const view = await archiveOf(s.url, a);
        expect(view.link_count).toBe(3);
        expect(view.versions[view.versions.length - 1]!.links).toBe(3);
        expect(view.versions.every((v) => ['posted', 'confirmed'].includes(v.arweave_status) && v.ipfs_status === 'pinned')).toBe(true);
      }
      await checkArweave(s.url, signers);
    } finally {
      await stopServe(s);
    }
  });

  it('SIGKILL mid-drain and restart: the outbox resumes, no duplicate tx, nothing missing', { timeout: 600_000 }, async () => {
    const d = mkdtempSync(join(dir, 'kill-'));
    // slow drain: one Avatar at a time, at most one run a second, so after 3 are archived the
    // other 9 need >= 9 s: a margin a loaded machine's polling cannot miss (at 3 a second the
    // drain could finish between the poll that saw 3 and the kill)
    const slow = { concurrency: 1, rateLimit: { intervalMs: 1000, perInterval: 1 }, coalesceMs: 0 };
    let s = await serve(d, slow);
    const signers = Array.from({ length: 12 }, (_, i) => new Signer(`kill-${i}`));
    try {
      for (const a of signers) expect(await bind(s.url, a, 0)).toBe(201);
      await waitFor('some archived', async () => {
        const views = await Promise.all(signers.map((a) => archiveOf(s.url, a)));
        return views.filter((v) => v.versions.some((x) => x.arweave_tx)).length >= 3;
      }, 180_000);
      expect((await health(s.url)).archive.queue_depth).toBeGreaterThan(0);
      await stopServe(s, 'SIGKILL');

      s = await serve(d, { concurrency: 2 });
      await waitFor('drained after restart', async () => (await health(s.url)).archive.queue_depth === 0, 180_000);
      for (const a of signers) {
        const view = await archiveOf(s.url, a);
        expect(view.versions.map((v) => v.links)).toEqual([1]);
        expect(['posted', 'confirmed']).toContain(view.versions[0]!.arweave_status);
      }
      await checkArweave(s.url, signers);
      const all = (await proofkeepTxs(arlocal.url)).filter((t) => signers.some((a) => a.id === tag(t, 'Avatar')));
      expect(all).toHaveLength(signers.length);
    } finally {
      await stopServe(s);
    }
  });
});
