/**
 * The IPFS Pinning Service target: the real client against a fake service on 127.0.0.1
 * (./pinsvc-fake.ts), and the real archive worker over real SQLite with a real Helia node,
 * Arweave off. Every log line of every worker is kept, to show the token is never in one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { pino, type Logger } from 'pino';
import { parsePublicKey } from '../../src/core/index.js';
import { errorHandler } from '../../src/api/errors.js';
import { archiveConfig, type ArchiveConfig } from '../../src/archive/config.js';
import { documentCid, IpfsNode } from '../../src/archive/ipfs.js';
import { OutboxStore } from '../../src/archive/outbox-store.js';
import { PinningServiceClient, pinningServiceToken } from '../../src/archive/pinning-service.js';
import { archiveRoutes } from '../../src/archive/routes.js';
import { ArchiveWorker } from '../../src/archive/worker.js';
import { loadConfig, redactConfig } from '../../src/config/load.js';
import type { Db, Store } from '../../src/store/index.js';
import { openAll } from '../helpers/db.js';
import { FakePinningService } from './pinsvc-fake.js';
import { Signer, waitFor } from './helpers.js';

const TOKEN = 'psa-secret-7f3c9a1e5b';
const WRONG = 'psa-wrong-0d8e2b4c6a';
const logLines: string[] = [];
const logStream = new Writable({
  write(chunk: Buffer, _enc, cb) {
    logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    cb();
  },
});
const log: Logger = pino({ level: 'debug' }, logStream);

let root: string;
let fake: FakePinningService;
let ipfs: IpfsNode;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'pk-pinsvc-'));
  fake = await new FakePinningService(TOKEN).start();
  ipfs = await IpfsNode.open({ dir: join(root, 'ipfs'), listen: ['/ip4/127.0.0.1/tcp/0'] });
});
afterAll(async () => {
  await ipfs?.stop();
  await fake?.stop();
  rmSync(root, { recursive: true, force: true });
});

function reset(): void {
  fake.mode = 'ok';
  fake.failNext = 0;
  fake.pollsPerStep = 2;
  fake.pins.clear();
  fake.requests.length = 0;
}

const client = (token = TOKEN, url = fake.url) => new PinningServiceClient({ url, token, timeoutMs: 2000 });

interface Rig {
  db: Db;
  store: Store;
  outbox: OutboxStore;
  worker: ArchiveWorker;
  file: string;
  stop(): Promise<void>;
}

function rig(opts: { token?: string; keepHistory?: boolean; file?: string } = {}): Rig {
  const file = opts.file ?? join(mkdtempSync(join(root, 'db-')), 'db.sqlite');
  const { db, store } = openAll(file, { groupCommitMs: 1 });
  const outbox = new OutboxStore(db, store.read);
  store.onAppend((ev) => outbox.enqueue(ev));
  const cfg: ArchiveConfig = archiveConfig({
    coalesceMs: 0,
    pollMs: 20,
    retry: { initialMs: 40, maxMs: 150, multiplier: 2, jitter: 0 },
    ipfs: { keepHistory: opts.keepHistory ?? true },
    arweave: { enabled: false },
    pinningService: { url: fake.url, pollMs: 20, timeoutMs: 2000 },
  });
  const targets = { ipfs, kubo: null, arweave: null, arweaveOwner: null, pinningService: client(opts.token ?? TOKEN) };
  const worker = new ArchiveWorker(outbox, targets, cfg, log);
  worker.start();
  return {
    db, store, outbox, worker, file,
    async stop() {
      await worker.stop();
      store.close();
    },
  };
}

async function append(r: Rig, s: Signer): Promise<number> {
  const [out] = await r.store.appendLinks([{ avatar: parsePublicKey(s.id), link: s.next() }]);
  expect(out!.ok).toBe(true);
  return r.store.avatarRow(s.id)!.id;
}

/** The version's row in the archive's table, once `pred` holds for it. */
const remoteRow = (r: Rig, avatarId: number, links: number) => {
  const v = r.outbox.version(avatarId, links);
  return v ? r.outbox.remotePins.get(v.id) : undefined;
};

/** The statuses the worker logged for one request, consecutive repeats folded. */
function loggedStates(requestId: string): string[] {
  const out: string[] = [];
  for (const l of logLines) {
    const j = JSON.parse(l) as { msg: string; request?: string; status?: string };
    if (j.msg === 'pinning service request' && j.request === requestId && out.at(-1) !== j.status) out.push(j.status!);
  }
  return out;
}

describe('pinning service client', () => {
  it('adds, polls, finds and removes a pin with the bearer token', async () => {
    reset();
    const cid = await documentCid(new TextEncoder().encode('{"client":1}'));
    const c = client();
    const st = await c.add(cid, { name: 'n', origins: ['/ip4/127.0.0.1/tcp/1/p2p/x'], meta: { app: 'proofkeep' } });
    expect(st).toMatchObject({ status: 'queued', cid: cid.toString() });
    expect(fake.pins.get(st.requestid)).toMatchObject({ name: 'n', origins: ['/ip4/127.0.0.1/tcp/1/p2p/x'], meta: { app: 'proofkeep' } });
    expect(fake.requests.every((r) => r.auth === `Bearer ${TOKEN}`)).toBe(true);
    expect((await c.find(cid, ['queued', 'pinning']))[0]?.requestid).toBe(st.requestid);
    const states = [];
    for (let i = 0; i < 4; i++) states.push((await c.get(st.requestid, cid))!.status);
    expect(states).toEqual(['queued', 'pinning', 'pinning', 'pinned']);
    await c.remove(st.requestid);
    expect(await c.get(st.requestid, cid)).toBeNull();
    await c.remove(st.requestid); // gone already: fine
  });

  it('refuses a bad token with a clear error that does not repeat the token', async () => {
    reset();
    const cid = await documentCid(new TextEncoder().encode('{"client":2}'));
    const err = (await client(WRONG).add(cid).then(() => null, (e: unknown) => e)) as Error & { code: string };
    expect(err).toMatchObject({ code: 'UNAVAILABLE' });
    expect(err.message).toMatch(/POST \/pins answered 401.*refused the token/);
    // the fake echoed the token in its error details; the client replaced it
    expect(err.message).toContain('<redacted>');
    expect(err.message).not.toContain(WRONG);
  });

  it('rejects a service that answers about another CID', async () => {
    reset();
    fake.mode = 'lie';
    const cid = await documentCid(new TextEncoder().encode('{"client":3}'));
    await expect(client().add(cid)).rejects.toThrow(/answered about .*, not our/);
  });

  it('does not follow a redirect (the token stays with the configured host)', async () => {
    reset();
    const other = await new FakePinningService(TOKEN).start();
    try {
      fake.mode = 'redirect';
      fake.redirectTo = other.url;
      const cid = await documentCid(new TextEncoder().encode('{"client":4}'));
      await expect(client().add(cid)).rejects.toThrow(/redirect \(307\)/);
      expect(other.requests).toEqual([]);
    } finally {
      await other.stop();
    }
  });

  it('reports an unreachable service as UNAVAILABLE and caps what it reads', async () => {
    const cid = await documentCid(new TextEncoder().encode('{"client":5}'));
    await expect(client(TOKEN, 'http://127.0.0.1:1').add(cid)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    reset();
    const small = new PinningServiceClient({ url: fake.url, token: TOKEN, timeoutMs: 2000, maxBodyBytes: 64 });
    await expect(small.add(cid)).rejects.toThrow(/exceeds the 64-byte limit/);
  });

  it('takes the token from the environment or a 0600 file, and redacts it', () => {
    const cfg = loadConfig({ env: { PROOFKEEP_PINNING_SERVICE_TOKEN: TOKEN, PROOFKEEP_ARCHIVE_PINNING_SERVICE_URL: 'http://127.0.0.1:9' } });
    expect(cfg.archive.pinningService.token).toBe(TOKEN);
    expect(JSON.stringify(redactConfig(cfg))).not.toContain(TOKEN);
    const f = join(root, 'token');
    writeFileSync(f, `${TOKEN}\n`, { mode: 0o644 });
    chmodSync(f, 0o644);
    expect(() => pinningServiceToken({ token: '', tokenFile: f })).toThrow(/readable by other users/);
    chmodSync(f, 0o600);
    expect(pinningServiceToken({ token: '', tokenFile: f })).toBe(TOKEN);
    expect(() => pinningServiceToken({ token: TOKEN, tokenFile: f })).toThrow(/not both/);
  });
});

describe('archive worker with a pinning service', () => {
  it('records the request and its states in order until pinned, and shows them per version', async () => {
    reset();
    const r = rig();
    try {
      const s = new Signer('pinsvc-ok');
      const id = await append(r, s);
      // the job is done once the service accepted the request; the state is then polled
      await waitFor('job done', () => r.outbox.pendingOf(id).jobs === 0);
      const row = await waitFor('pinned', () => (remoteRow(r, id, 1)?.status === 'pinned' ? remoteRow(r, id, 1) : null));
      expect(fake.posts()).toBe(1);
      expect(row.request_id).toBe([...fake.pins.keys()][0]);
      expect(fake.pins.get(row.request_id!)).toMatchObject({ cid: row.cid, status: 'pinned' });
      expect(loggedStates(row.request_id!)).toEqual(['queued', 'pinning', 'pinned']);
      // origins: our Helia node's addresses, so the service can fetch the document
      expect(fake.pins.get(row.request_id!)!.origins).toEqual(ipfs.multiaddrs());
      expect(r.outbox.versionsOf(id)[0]!.ipfs_status).toBe('pinned');

      const app = Fastify();
      app.setErrorHandler(errorHandler);
      archiveRoutes(app, r.store.read, r.outbox, undefined, true);
      const v = (await app.inject(`/v1/chain/${s.id}/archive`)).json().versions[0];
      expect(v).toMatchObject({ pinning_service_status: 'pinned', pinning_service_request_id: row.request_id, pinning_service_attempts: 0 });
      expect(r.worker.health()['pinning_service']).toMatchObject({ pinned: 1, queued: 0, failed: 0 });
    } finally {
      await r.stop();
    }
  });

  it('asks again after the service reports a request failed, with backoff, and reports it', async () => {
    reset();
    fake.failNext = 2;
    const r = rig();
    try {
      const id = await append(r, new Signer('pinsvc-fail'));
      const seenFailed = await waitFor('failed reported', () => {
        const row = remoteRow(r, id, 1);
        return row?.status === 'failed' ? row : null;
      }, 20_000, 5);
      expect(seenFailed.last_error).toMatch(/reported request req-\d+ failed \(could not fetch the DAG/);
      const row = await waitFor('pinned after retries', () => (remoteRow(r, id, 1)?.status === 'pinned' ? remoteRow(r, id, 1) : null));
      expect(row.attempts).toBe(2);
      expect(fake.posts()).toBe(3);
      const answered = [...fake.pins.values()].map((p) => p.answered.at(-1));
      expect(answered).toEqual(['failed', 'failed', 'pinned']);
      expect(logLines.some((l) => l.includes('"level":40') && l.includes('failed') && l.includes('will ask again'))).toBe(true);
    } finally {
      await r.stop();
    }
  });

  it('keeps the job queued through an outage and completes once the service is back', async () => {
    reset();
    fake.mode = 'down';
    const r = rig();
    try {
      const id = await append(r, new Signer('pinsvc-down'));
      await waitFor('retried during the outage', () => r.outbox.pendingOf(id).attempts >= 2);
      const p = r.outbox.pendingOf(id);
      expect(p.jobs).toBe(1);
      expect(p.last_error).toMatch(/(POST|GET) \/pins answered 503/);
      fake.mode = 'ok';
      await waitFor('job done', () => r.outbox.pendingOf(id).jobs === 0);
      await waitFor('pinned', () => remoteRow(r, id, 1)?.status === 'pinned');
    } finally {
      await r.stop();
    }
  });

  it('a bad token leaves the job queued with a clear error', async () => {
    reset();
    const r = rig({ token: WRONG });
    try {
      const id = await append(r, new Signer('pinsvc-badtoken'));
      await waitFor('retried', () => r.outbox.pendingOf(id).attempts >= 1);
      const p = r.outbox.pendingOf(id);
      expect(p.jobs).toBe(1);
      expect(p.last_error).toMatch(/401.*refused the token: check archive\.pinningService\.token/);
      expect(p.last_error).not.toContain(WRONG);
      expect(fake.pins.size).toBe(0);
    } finally {
      await r.stop();
    }
  });

  it('a lying service (another CID) is not recorded as pinning our document', async () => {
    reset();
    fake.mode = 'lie';
    const r = rig();
    try {
      const id = await append(r, new Signer('pinsvc-lie'));
      await waitFor('retried', () => r.outbox.pendingOf(id).attempts >= 1);
      expect(r.outbox.pendingOf(id).last_error).toMatch(/not our bagaaiera/);
      expect(remoteRow(r, id, 1)).toMatchObject({ status: 'requesting', request_id: null });
    } finally {
      await r.stop();
    }
  });

  it('resumes polling the recorded request after a restart, without a second request', async () => {
    reset();
    fake.mode = 'hold';
    const first = rig();
    const s = new Signer('pinsvc-restart');
    let id = 0;
    let requestId = '';
    try {
      id = await append(first, s);
      const row = await waitFor('accepted', () => (remoteRow(first, id, 1)?.request_id ? remoteRow(first, id, 1) : null));
      requestId = row.request_id!;
      await waitFor('polled while queued', () => fake.pins.get(requestId)!.answered.length >= 3);
      expect(remoteRow(first, id, 1)!.status).toBe('queued');
    } finally {
      await first.stop();
    }
    fake.mode = 'ok';
    const second = rig({ file: first.file });
    try {
      const row = await waitFor('pinned after restart', () => (remoteRow(second, id, 1)?.status === 'pinned' ? remoteRow(second, id, 1) : null));
      expect(row.request_id).toBe(requestId);
      expect(fake.posts()).toBe(1);
    } finally {
      await second.stop();
    }
  });

  it('with keepHistory false removes the older request once the newer one is pinned', async () => {
    reset();
    const r = rig({ keepHistory: false });
    try {
      const s = new Signer('pinsvc-history');
      const id = await append(r, s);
      const v1 = await waitFor('v1 pinned', () => (remoteRow(r, id, 1)?.status === 'pinned' ? remoteRow(r, id, 1) : null));
      await append(r, s);
      const v2 = await waitFor('v2 pinned', () => (remoteRow(r, id, 2)?.status === 'pinned' ? remoteRow(r, id, 2) : null));
      expect(remoteRow(r, id, 1)!.status).toBe('unpinned');
      expect(fake.pins.has(v1.request_id!)).toBe(false);
      expect(fake.pins.has(v2.request_id!)).toBe(true);
      expect(fake.requests.some((q) => q.method === 'DELETE' && q.path === `/pins/${v1.request_id}`)).toBe(true);
    } finally {
      await r.stop();
    }
  });

  it('never logged the token', () => {
    expect(logLines.length).toBeGreaterThan(10);
    for (const l of logLines) {
      expect(l).not.toContain(TOKEN);
      expect(l).not.toContain(WRONG);
    }
  });
});
