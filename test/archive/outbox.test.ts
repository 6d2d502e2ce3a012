import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { CID } from 'multiformats/cid';
import { chainDocumentBytes, parsePublicKey, ProofError } from '../../src/core/index.js';
import type { Db, Store } from '../../src/store/index.js';
import { openAll } from '../helpers/db.js';
import { errorHandler } from '../../src/api/errors.js';
import { ArweaveClient, ArweaveRejected, type SignedTx } from '../../src/archive/arweave.js';
import { archiveConfig } from '../../src/archive/config.js';
import { startDevnet, type Devnet } from '../../src/archive/devnet.js';
import { IpfsNode, documentCid } from '../../src/archive/ipfs.js';
import { OutboxStore } from '../../src/archive/outbox-store.js';
import { archiveRoutes } from '../../src/archive/routes.js';
import { ArchiveWorker } from '../../src/archive/worker.js';
import { archiveRetryPolicy } from '../../src/archive/config.js';
import { retryDelayMs } from '../../src/util/retry.js';
import { proofkeepTxs, Signer, tag, txData, waitFor } from './helpers.js';

/** The real client, with outages and "crash right after the post" injected on demand. */
class FlakyClient extends ArweaveClient {
  failNext = 0;
  crashAfterPost = 0;
  refuseNext = 0;
  /** the next this many distinct txs posted are refused every time (an anchor that expired before the first post) */
  refuseForever = 0;
  readonly refused = new Set<string>();
  posts: string[] = [];
  override async post(signed: SignedTx, data: Uint8Array, signal?: AbortSignal): Promise<void> {
    if (this.refuseForever > 0 && !this.refused.has(signed.id)) {
      this.refuseForever--;
      this.refused.add(signed.id);
    }
    if (this.refused.has(signed.id)) throw new ArweaveRejected(signed.id, 400);
    if (this.refuseNext > 0) {
      this.refuseNext--;
      // what post() throws when a gateway answers 400 to a tx it does not have (expired anchor)
      throw new ArweaveRejected(signed.id, 400);
    }
    if (this.failNext > 0) {
      this.failNext--;
      throw new ProofError('UNAVAILABLE', 'simulated gateway outage');
    }
    await super.post(signed, data, signal);
    this.posts.push(signed.id);
    if (this.crashAfterPost > 0) {
      this.crashAfterPost--;
      throw new Error('simulated crash between post and recording it');
    }
  }
}

let dir: string;
let store: Store;
let db: Db;
let outbox: OutboxStore;
let ipfs: IpfsNode;
let devnet: Devnet;
let client: FlakyClient;
let worker: ArchiveWorker;
let app: FastifyInstance;
let base: string;
const cfg = archiveConfig({
  coalesceMs: 300,
  pollMs: 30,
  retry: { initialMs: 100, maxMs: 400, multiplier: 2, jitter: 0.2 },
  ipfs: { keepHistory: false },
  arweave: { confirmations: 1, confirmPollMs: 100, repostAfterMs: 1000 },
});

async function append(s: Signer, n = 1): Promise<void> {
  for (let i = 0; i < n; i++) {
    const [out] = await store.appendLinks([{ avatar: parsePublicKey(s.id), link: s.next() }]);
    expect(out!.ok).toBe(true);
  }
}
/**
 * n links in one append call: one group commit, so every job of the burst is committed before
 * the worker can see any of them (five separately fsync'd appends may straddle the coalescing
 * window on a slow machine and split the burst for reasons that have nothing to do with coalescing).
 */
async function appendBurst(s: Signer, n: number): Promise<void> {
  const avatar = parsePublicKey(s.id);
  const outs = await store.appendLinks(Array.from({ length: n }, () => ({ avatar, link: s.next() })));
  expect(outs.map((o) => o.ok)).toEqual(Array(n).fill(true));
}
const avatarId = (s: Signer) => store.avatarRow(s.id)!.id;
const jobs = (s: Signer) => db.prepare('SELECT * FROM archive_jobs WHERE avatar_id = ? ORDER BY id').all(avatarId(s)) as { state: string; link_count: number; attempts: number; version_id: number | null }[];
const drained = (s: Signer) => jobs(s).every((j) => j.state === 'done');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pk-outbox-'));
  ({ db, store } = openAll(join(dir, 'db.sqlite'), { groupCommitMs: 1 }));
  outbox = new OutboxStore(db, store.read);
  store.onAppend((ev) => outbox.enqueue(ev));
  ipfs = await IpfsNode.open({ dir: join(dir, 'ipfs'), listen: [] });
  devnet = await startDevnet({ dir: join(dir, 'arlocal'), persist: false, port: 0, mineIntervalMs: 0 });
  client = new FlakyClient({ url: devnet.url, jwk: devnet.jwk, timeoutMs: 10_000 });
  worker = new ArchiveWorker(outbox, { ipfs, kubo: null, arweave: client, arweaveOwner: devnet.address }, cfg, pino({ level: 'silent' }));
  worker.start();
  app = Fastify();
  app.setErrorHandler(errorHandler);
  archiveRoutes(app, store.read, outbox);
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await app?.close();
  await worker?.stop();
  await devnet?.stop();
  await ipfs?.stop();
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('archive outbox', () => {
  it('writes the job in the append transaction; a rejected link writes none', async () => {
    const s = new Signer('tx-atomic');
    await append(s);
    expect(jobs(s)).toMatchObject([{ state: 'pending', link_count: 1 }]);
    // a fork (same prev as the accepted link) is rejected: no job
    const other = new Signer('tx-atomic');
    const fork = other.next();
    const [out] = await store.appendLinks([{ avatar: parsePublicKey(s.id), link: { ...fork, uuid: '11111111-1111-4111-8111-111111111111' } }]);
    expect(out!.ok).toBe(false);
    expect(jobs(s)).toHaveLength(1);
  });

  it('coalesces a burst into one version: IPFS pinned, Arweave tx with the protocol tags, data = document', async () => {
    const s = new Signer('burst');
    await appendBurst(s, 5);
    expect(jobs(s)).toHaveLength(5); // five jobs queued, one per link ...
    await waitFor('burst drained', () => drained(s));
    const versions = outbox.versionsOf(avatarId(s));
    expect(versions.map((v) => v.link_count)).toEqual([5]); // ... archived as one version
    const v = versions[0]!;
    expect(jobs(s).every((j) => j.version_id === v.id)).toBe(true);
    const doc = chainDocumentBytes(s.uncompressed, s.chain());
    expect(v.cid).toBe((await documentCid(doc)).toString());
    expect(v.cid).toMatch(/^bagaaiera/);
    expect(v.ipfs_status).toBe('pinned');
    expect(await ipfs.isPinned(CID.parse(v.cid))).toBe(true);
    expect(v.arweave_status).toBe('posted');
    await devnet.mine();
    const txs = await proofkeepTxs(devnet.url, s.id);
    expect(txs.map((t) => t.id)).toEqual([v.tx_id]);
    const t = txs[0]!;
    expect(tag(t, 'Content-Type')).toBe('application/json');
    expect(tag(t, 'Chain-Version')).toBe('1');
    expect(tag(t, 'Links')).toBe('5');
    expect(tag(t, 'Head-UUID')).toBe(s.chain()[4]!.uuid);
    expect(tag(t, 'IPFS-CID')).toBe(v.cid);
    expect(tag(t, 'Previous-Tx')).toBeUndefined();
    expect((await txData(devnet.url, t.id)).equals(Buffer.from(doc))).toBe(true);
  });

  it('archives the next version with Previous-Tx, pins it before unpinning the old one, and confirms', async () => {
    const s = new Signer('next');
    await append(s, 2);
    await waitFor('v2', () => drained(s));
    await append(s);
    await waitFor('v3', () => drained(s));
    const [v2, v3] = outbox.versionsOf(avatarId(s));
    expect(v3!.link_count).toBe(3);
    expect(v3!.previous_tx).toBe(v2!.tx_id);
    expect(v3!.ipfs_status).toBe('pinned');
    expect(v2!.ipfs_status).toBe('unpinned'); // keepHistory: false
    expect(await ipfs.isPinned(CID.parse(v2!.cid))).toBe(false);
    await devnet.mine();
    const txs = await proofkeepTxs(devnet.url, s.id);
    expect(tag(txs.find((t) => t.id === v3!.tx_id)!, 'Previous-Tx')).toBe(v2!.tx_id);
    await devnet.mine();
    await waitFor('confirmed', () => outbox.versionsOf(avatarId(s)).every((v) => v.arweave_status === 'confirmed'));
    // the API providers and the archive route
    expect(outbox.lastTxId(avatarId(s))).toBe(v3!.tx_id);
    expect(outbox.txIdForLink(avatarId(s), 0)).toBe(v2!.tx_id);
    expect(outbox.txIdForLink(avatarId(s), 2)).toBe(v3!.tx_id);
    const res = await fetch(`${base}/v1/chain/${s.id.slice(2).toUpperCase()}/archive`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { avatar: string; versions: { links: number; arweave_tx: string; arweave_status: string; ipfs_status: string; cid: string }[] };
    expect(body.avatar).toBe(s.id);
    expect(body.versions.map((v) => [v.links, v.arweave_tx, v.arweave_status, v.ipfs_status])).toEqual([
      [2, v2!.tx_id, 'confirmed', 'unpinned'],
      [3, v3!.tx_id, 'confirmed', 'pinned'],
    ]);
    expect((await fetch(`${base}/v1/chain/0x1234/archive`)).status).toBe(400);
    expect((await fetch(`${base}/v1/chain/${new Signer('nobody').id}/archive`)).status).toBe(404);
  });

  it('backs off and retries a failing upload without dropping the job', async () => {
    const s = new Signer('retry');
    client.failNext = 2;
    await append(s);
    await waitFor('retried', () => drained(s));
    expect(jobs(s)[0]!.attempts).toBe(2);
    await devnet.mine();
    expect(await proofkeepTxs(devnet.url, s.id)).toHaveLength(1);
  });

  it('re-running after a crash between post and record finds the posted tx: never a second one', async () => {
    const s = new Signer('crash');
    client.crashAfterPost = 1;
    const before = client.posts.length;
    await append(s);
    await waitFor('recovered', () => drained(s));
    const v = outbox.versionsOf(avatarId(s))[0]!;
    expect(v.arweave_status).toBe('posted');
    expect(jobs(s)[0]!.attempts).toBe(1);
    expect(client.posts.slice(before)).toEqual([v.tx_id]);
    await devnet.mine();
    expect((await proofkeepTxs(devnet.url, s.id)).map((t) => t.id)).toEqual([v.tx_id]);
    expect(worker.health()).toMatchObject({ queue_depth: 0, oldest_pending_age_ms: 0 });
  });

  it('re-posts the same signed tx when it vanishes from the gateway past the deadline', async () => {
    const s = new Signer('vanish');
    await append(s);
    await waitFor('posted', () => drained(s));
    const v = outbox.versionsOf(avatarId(s))[0]!;
    // arlocal can drop a tx, as a real gateway drops one that never gets mined
    expect((await fetch(`${devnet.url}/tx/${v.tx_id}`, { method: 'DELETE' })).status).toBe(200);
    expect(await client.status(v.tx_id!)).toEqual({ state: 'not_found' });
    await waitFor('re-posted', () => outbox.versionById(v.id)!.reposts === 1, 10_000);
    expect((await client.status(v.tx_id!)).state).not.toBe('not_found');
    expect(outbox.versionById(v.id)!.tx_id).toBe(v.tx_id);
    await devnet.mine();
    await devnet.mine();
    await waitFor('confirmed after re-post', () => outbox.versionById(v.id)!.arweave_status === 'confirmed');
    expect((await proofkeepTxs(devnet.url, s.id)).map((t) => t.id)).toEqual([v.tx_id]);
  });

  it('signs a new tx for a vanished version only when the gateway refuses the old one and none is found by tags', async () => {
    const s = new Signer('resign');
    await append(s);
    await waitFor('posted', () => drained(s));
    const v = outbox.versionsOf(avatarId(s))[0]!;
    expect((await fetch(`${devnet.url}/tx/${v.tx_id}`, { method: 'DELETE' })).status).toBe(200);
    client.refuseNext = 1;
    await waitFor('re-signed and posted', () => {
      const now = outbox.versionById(v.id)!;
      return now.tx_id !== v.tx_id && now.arweave_status === 'posted';
    }, 10_000);
    const after = outbox.versionById(v.id)!;
    expect(after.reposts).toBe(1);
    expect(after.arweave_status).toBe('posted');
    await devnet.mine();
    const txs = await proofkeepTxs(devnet.url, s.id);
    expect(txs.map((t) => t.id)).toEqual([after.tx_id]);
    expect(tag(txs[0]!, 'IPFS-CID')).toBe(v.cid);
  });

  it('a signed tx the gateway refuses for good before its first post is replaced by a new one, never posted twice', async () => {
    const s = new Signer('expired-anchor');
    client.refuseForever = 1;
    await append(s);
    await waitFor('posted under a new tx', () => drained(s) && outbox.versionsOf(avatarId(s))[0]?.arweave_status === 'posted', 10_000);
    const v = outbox.versionsOf(avatarId(s))[0]!;
    const [refusedTx] = [...client.refused];
    expect(refusedTx).toBeDefined();
    expect(v.tx_id).not.toBe(refusedTx);
    expect(client.posts.filter((id) => id === v.tx_id)).toHaveLength(1);
    await devnet.mine();
    const txs = await proofkeepTxs(devnet.url, s.id);
    expect(txs.map((t) => t.id)).toEqual([v.tx_id]);
    expect(tag(txs[0]!, 'IPFS-CID')).toBe(v.cid);
  });
});

describe('backoff policy', () => {
  it('grows exponentially, is capped and jittered within bounds', () => {
    // the archive's config section mapped to the one retry policy; `attempts` failed runs before
    const p = archiveRetryPolicy({ initialMs: 100, maxMs: 1000, multiplier: 2, jitter: 0.5 });
    expect(p.attempts).toBe(Infinity);
    const backoffMs = (attempts: number, random: () => number) => retryDelayMs(p, attempts + 1, { random });
    expect(backoffMs(0, () => 0.5)).toBe(100);
    expect(backoffMs(3, () => 0.5)).toBe(800);
    expect(backoffMs(10, () => 0.5)).toBe(1000);
    expect(backoffMs(1, () => 0)).toBe(100);
    expect(backoffMs(1, () => 1)).toBe(300);
  });
});
