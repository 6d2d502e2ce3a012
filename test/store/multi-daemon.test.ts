/**
 * Several daemons on one PostgreSQL database, as real processes (the CLI's `serve`): concurrent
 * appends on one Avatar across them, one daemon killed mid-ingest (and with it the log's
 * sequencer), and the database going away for a while.
 *
 * @postgres-only: it runs in the postgres project alone (vitest.config.ts). It starts
 * a server of its own (not the project's shared one): the outage test stops it, which would break
 * every other file using the shared server at the time.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nobleBackend, parsePublicKey, verifyChain } from '../../src/core/index.js';
import { openCheckpoint, parseVerifierKey, verifyConsistency } from '../../src/core/tlog/index.js';
import { loadLogKey } from '../../src/log/key.js';
import { LogTree } from '../../src/log/tree.js';
import { PgDb } from '../../src/store/postgres.js';
import { documentCid } from '../../src/archive/ipfs.js';
import { TestAvatar } from '../helpers/avatar.js';
import { exited, startServe } from '../helpers/cli.js';
import { json, post } from '../helpers/daemon.js';
import { freshDatabase, startPgServer, type PgServer } from '../helpers/postgres.js';

const ORIGIN = 'multi.test/log';
type Serve = Awaited<ReturnType<typeof startServe>>;

let pg: PgServer;
const dirs: string[] = [];
const children: Serve[] = [];
let keyFile: string;

beforeAll(async () => {
  pg = await startPgServer();
  const dir = mkdtempSync(join(tmpdir(), 'proofkeep-multi-key-'));
  dirs.push(dir);
  // Every daemon of one log signs with the one key: a checkpoint is the log's, whoever signs it.
  keyFile = join(dir, 'log.key');
  loadLogKey({ file: keyFile, origin: ORIGIN, generate: true });
});
afterAll(async () => {
  for (const c of children) {
    c.child.kill('SIGKILL');
    await exited(c.child);
  }
  pg?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Two daemons on one fresh database (started one after the other: the first migrates it). */
async function twoDaemons(envA: NodeJS.ProcessEnv = {}, envB: NodeJS.ProcessEnv = {}): Promise<{ url: string; a: Serve; b: Serve }> {
  const url = freshDatabase(pg.url);
  const env = {
    PROOFKEEP_STORE_ENGINE: 'postgres', PROOFKEEP_DATABASE_URL: url, PROOFKEEP_SERVER_WRITE_RATE_LIMIT: '0',
    PROOFKEEP_STORE_GROUP_COMMIT_MS: '5', PROOFKEEP_LOG_LEVEL: 'warn', PROOFKEEP_ARCHIVE_ENABLED: 'false',
    PROOFKEEP_TLOG_KEY_FILE: keyFile, PROOFKEEP_TLOG_ORIGIN: ORIGIN, PROOFKEEP_TLOG_CHECKPOINT_INTERVAL_MS: '100',
  };
  const start = async (own: NodeJS.ProcessEnv) => {
    const dir = mkdtempSync(join(tmpdir(), 'proofkeep-multi-'));
    dirs.push(dir);
    const s = await startServe(['--port', '0', '--data-dir', dir], { ...env, ...own });
    children.push(s);
    return s;
  };
  const a = await start(envA);
  const b = await start(envB);
  return { url, a, b };
}

/**
 * GET from a daemon. A keep-alive connection the daemon closed as idle while this process was
 * blocked (pg_ctl runs synchronously) can be reset under the first request on it: that one
 * request is sent again on a new connection, as HTTP clients do for idempotent requests. Any
 * other failure, or a daemon that is gone, fails with its exit status and its log.
 */
async function readFrom(d: Serve, path: string): Promise<Awaited<ReturnType<typeof json>>> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await json(`${d.url}${path}`);
    } catch (err) {
      const code = (err as { cause?: { code?: string } }).cause?.code;
      const alive = d.child.exitCode === null && d.child.signalCode === null;
      if (attempt === 0 && alive && (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET')) continue;
      throw new Error(`GET ${path} failed (${code ?? String(err)}); daemon exit ${d.child.exitCode} signal ${d.child.signalCode}; its log:\n${d.logs().slice(-4000)}`, { cause: err });
    }
  }
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const tlog = async (url: string) => (await json(`${url}/healthz`)).body.tlog as { sequencer: boolean; size: number; checkpoint: { size: number } | null };

/** Every stored checkpoint verifies under the log's key, and each extends the one before it. */
function checkpointsConsistent(url: string): number {
  const db = new PgDb({ url, statementTimeoutMs: 10_000, connectTimeoutMs: 5_000 });
  try {
    const tree = new LogTree(db);
    const rows = db.prepare<[], { size: number; root: Buffer; note: string }>('SELECT size, root, note FROM log_checkpoints ORDER BY size').all();
    const verifier = parseVerifierKey(loadLogKey({ file: keyFile, origin: ORIGIN, generate: false }).key.verifierKey);
    for (const [i, r] of rows.entries()) {
      const c = openCheckpoint(r.note, ORIGIN, [verifier]).checkpoint;
      expect(c.size).toBe(r.size);
      expect(Buffer.from(c.root)).toEqual(r.root);
      expect(Buffer.from(tree.root(r.size))).toEqual(r.root);
      const prev = rows[i - 1];
      if (prev) expect(verifyConsistency(prev.size, r.size, new Uint8Array(prev.root), new Uint8Array(r.root), tree.consistency(prev.size, r.size))).toBe(true);
    }
    return rows.length;
  } finally {
    db.close();
  }
}

describe('several daemons on one PostgreSQL database', () => {
  it('a race of submits on one head spread over two daemons lands exactly one; the chain and the log stay linear', { timeout: 180_000 }, async () => {
    const { url, a: d1, b: d2 } = await twoDaemons();
    const urls = [d1.url, d2.url];
    const av = new TestAvatar('multi-race');
    expect((await av.bind(d1.url, 'twitter', 'racehead')).status).toBe(201);
    for (let round = 0; round < 3; round++) {
      const N = 16;
      const bodies = await Promise.all(
        Array.from({ length: N }, async (_, i) => {
          const p = await post(`${urls[i % 2]}/v1/proof/payload`, { action: 'create', platform: 'twitter', identity: `r${round}x${i}`, public_key: av.id });
          expect(p.status).toBe(200);
          return { action: 'create', platform: 'twitter', identity: `r${round}x${i}`, public_key: av.id, uuid: p.body.uuid, created_at: p.body.created_at, extra: { signature: av.sign(p.body.sign_payload) } };
        }),
      );
      const results = await Promise.all(bodies.map((b, i) => post(`${urls[i % 2]}/v1/proof`, b)));
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
      expect(results.filter((r) => r.status !== 201).every((r) => r.status === 409 && r.body.code === 'FORK')).toBe(true);
    }
    // Both daemons serve the same linear chain of 4 links.
    for (const u of urls) {
      const doc = JSON.parse(await (await fetch(`${u}/v1/chain/${av.id}`)).text());
      expect(doc.links).toHaveLength(4);
      const v = verifyChain(parsePublicKey(av.id), doc.links, { backend: nobleBackend });
      expect(v.problems).toEqual([]);
    }
    // The log has each link once, at consecutive indexes, and exactly one sequencer signs.
    const db = new PgDb({ url, statementTimeoutMs: 10_000, connectTimeoutMs: 5_000 });
    try {
      const idx = db.prepare<[], { idx: number }>("SELECT idx FROM log_entries ORDER BY idx").all().map((r) => r.idx);
      expect(idx).toEqual(idx.map((_, i) => i));
      expect(db.prepare<[], { n: number }>("SELECT count(*) AS n FROM log_entries WHERE kind = 'link'").get()!.n).toBe(4);
    } finally {
      db.close();
    }
    const roles = await Promise.all(urls.map(tlog));
    expect(roles.filter((t) => t.sequencer)).toHaveLength(1);
    for (const c of [d1, d2]) {
      c.child.kill('SIGTERM');
      await exited(c.child);
    }
    expect(checkpointsConsistent(url)).toBeGreaterThan(0);
  });

  it('killing the sequencer mid-ingest loses nothing acknowledged; the other keeps serving and takes over signing', { timeout: 240_000 }, async () => {
    const { url, a, b } = await twoDaemons();
    const { seq, other } = await until('one sequencer', async () => {
      const [ta, tb] = await Promise.all([tlog(a.url), tlog(b.url)]);
      if (ta.sequencer === tb.sequencer) return undefined;
      return ta.sequencer ? { seq: a, other: b } : { seq: b, other: a };
    });
    const clients = Array.from({ length: 12 }, (_, i) => new TestAvatar(`multi-kill-${i}`));
    const chains = clients.map((c) => c.chain(25));
    const acked = clients.map(() => 0);
    let killed = false;
    // Even clients write to the sequencer (until it dies), odd ones to the other daemon.
    const run = clients.map(async (av, c) => {
      const target = c % 2 === 0 ? seq : other;
      for (const link of chains[c]!) {
        if (killed && target === seq) return;
        try {
          const r = await post(`${target.url}/v1/links`, { links: [{ ...link, avatar: av.id }] });
          if (r.status === 200 && r.body.accepted === 1) acked[c]!++;
          else if (target === other) throw new Error(`the surviving daemon answered ${r.status} ${JSON.stringify(r.body)}`);
        } catch (err) {
          if (target === other) throw err;
          return; // the connection died with the process
        }
      }
    });
    await until('some links acknowledged by the sequencer', async () => acked.filter((_, c) => c % 2 === 0).reduce((x, y) => x + y, 0) >= 30);
    seq.child.kill('SIGKILL');
    killed = true;
    await exited(seq.child);
    await Promise.all(run);

    // Appends of both daemons took turns on the log: no two ever chose the same index (which the
    // store would have retried, so only the server's log tells).
    expect(readFileSync(join(pg.dir, 'log'), 'utf8')).not.toMatch(/duplicate key value violates unique constraint "log_(entries|hashes)_pkey"/);
    // The other daemon served every one of its clients' links to the end.
    clients.forEach((_, c) => c % 2 === 1 && expect(acked[c]).toBe(25));
    for (const [c, av] of clients.entries()) {
      const doc = await json(`${other.url}/v1/chain/${av.id}`);
      const links = doc.status === 200 ? doc.body.links : [];
      expect(links.length).toBeGreaterThanOrEqual(acked[c]!);
      expect(links.length).toBeLessThanOrEqual(acked[c]! + 1);
      expect(links.map((l: { uuid: string }) => l.uuid)).toEqual(chains[c]!.slice(0, links.length).map((l) => l.uuid));
      if (links.length) expect(verifyChain(parsePublicKey(av.id), links, { backend: nobleBackend }).problems).toEqual([]);
    }

    // The survivor becomes the sequencer and signs a checkpoint of the whole log.
    const size = (await tlog(other.url)).size;
    await until('the survivor signs the whole log', async () => {
      const t = await tlog(other.url);
      return t.sequencer && (t.checkpoint?.size ?? 0) >= size;
    });
    const note = await (await fetch(`${other.url}/checkpoint`)).text();
    expect(note.split('\n')[1]).toBe(String(size));
    other.child.kill('SIGTERM');
    await exited(other.child);
    expect(checkpointsConsistent(url)).toBeGreaterThan(1);
  });

  it('while the database is away, writes and reads answer 503 UNAVAILABLE, nothing is half-written, and all resumes after', { timeout: 240_000 }, async () => {
    const { a, b } = await twoDaemons();
    const av = new TestAvatar('multi-outage');
    const chain = av.chain(6);
    for (const [i, link] of chain.slice(0, 3).entries()) {
      const r = await post(`${[a, b][i % 2]!.url}/v1/links`, { links: [{ ...link, avatar: av.id }] });
      expect(r.body.accepted).toBe(1);
    }
    pg.pause();
    let resumed = false;
    try {
      for (const d of [a, b]) {
        const w = await fetch(`${d.url}/v1/links`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ links: [{ ...chain[3], avatar: av.id }] }) });
        expect(w.status).toBe(503);
        expect(((await w.json()) as { code: string }).code).toBe('UNAVAILABLE');
        expect(Number(w.headers.get('retry-after'))).toBeGreaterThan(0);
        const r = await json(`${d.url}/v1/chain/${av.id}`);
        expect(r.status).toBe(503);
        expect(r.body.code).toBe('UNAVAILABLE');
        const h = await json(`${d.url}/healthz`);
        expect(h.status).toBe(200);
        expect(h.body.store).toMatchObject({ engine: 'postgres', reachable: false });
        const m = await fetch(`${d.url}/metrics`);
        expect(m.status).toBe(200);
        expect(await m.text()).toMatch(/^proofkeep_store_reachable 0$/m);
      }
      pg.start();
      resumed = true;
    } finally {
      if (!resumed) pg.start();
    }
    // Back: the health says so, the link refused during the outage is not there, and it lands now.
    for (const d of [a, b]) {
      await until('the database reachable again', async () => (await json(`${d.url}/healthz`)).body.store?.reachable === true);
      const doc = await readFrom(d, `/v1/chain/${av.id}`);
      expect(doc.status).toBe(200);
      expect(doc.body.links.map((l: { uuid: string }) => l.uuid)).toEqual(chain.slice(0, 3).map((l) => l.uuid));
    }
    for (const [i, link] of chain.slice(3).entries()) {
      const r = await post(`${[b, a][i % 2]!.url}/v1/links`, { links: [{ ...link, avatar: av.id }] });
      expect(r.body.accepted).toBe(1);
    }
    const doc = await json(`${a.url}/v1/chain/${av.id}`);
    expect(doc.body.links.map((l: { uuid: string }) => l.uuid)).toEqual(chain.map((l) => l.uuid));
    expect(verifyChain(parsePublicKey(av.id), doc.body.links, { backend: nobleBackend }).problems).toEqual([]);
  });
});

/**
 * A Kubo RPC stand-in: `hang` takes every request and never answers (a daemon's archive runs
 * stay in flight, their Avatars leased); otherwise it stores and pins like Kubo and counts pins.
 */
async function kuboStub(hang: boolean): Promise<{ url: string; requests: number; pins: Map<string, number>; close(): Promise<void> }> {
  const held: ServerResponse[] = [];
  const blocks = new Set<string>();
  const stub = {
    url: '',
    requests: 0,
    pins: new Map<string, number>(),
    close: () => new Promise<void>((r) => {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      stub.requests++;
      if (hang) return void held.push(res);
      const u = new URL(req.url!, 'http://x');
      res.setHeader('content-type', 'application/json');
      if (u.pathname === '/api/v0/block/put') {
        const body = Buffer.concat(chunks);
        const boundary = /boundary=(.+)$/.exec(String(req.headers['content-type']))![1]!;
        const start = body.indexOf('\r\n\r\n') + 4;
        const data = body.subarray(start, body.indexOf(Buffer.from(`\r\n--${boundary}`), start));
        const cid = (await documentCid(new Uint8Array(data))).toString();
        blocks.add(cid);
        res.end(JSON.stringify({ Key: cid, Size: data.length }));
      } else if (u.pathname === '/api/v0/pin/add') {
        const cid = u.searchParams.get('arg')!;
        if (!blocks.has(cid)) return void res.writeHead(500).end('{"Message":"block not found","Code":0,"Type":"error"}');
        stub.pins.set(cid, (stub.pins.get(cid) ?? 0) + 1);
        res.end(JSON.stringify({ Pins: [cid] }));
      } else res.writeHead(404).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  stub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return stub;
}

describe('archive jobs among several daemons', () => {
  it('each chain version is archived once; the Avatars a killed daemon was archiving are taken over after their lease', { timeout: 180_000 }, async () => {
    const stuck = await kuboStub(true);
    const ok = await kuboStub(false);
    try {
      // No IPFS node and no Arweave (heavy, and beside the point): Kubo is the one target.
      const archive = (kubo: string) => ({
        PROOFKEEP_ARCHIVE_ENABLED: 'true', PROOFKEEP_ARCHIVE_IPFS_ENABLED: 'false', PROOFKEEP_ARCHIVE_ARWEAVE_ENABLED: 'false',
        PROOFKEEP_ARCHIVE_IPFS_KUBO_URL: kubo, PROOFKEEP_ARCHIVE_LEASE_MS: '1500', PROOFKEEP_ARCHIVE_COALESCE_MS: '0', PROOFKEEP_ARCHIVE_POLL_MS: '50',
      });
      const { url, a, b } = await twoDaemons(archive(stuck.url), archive(ok.url));
      const avatars = Array.from({ length: 12 }, (_, i) => new TestAvatar(`multi-archive-${i}`));
      for (const av of avatars) expect((await post(`${a.url}/v1/links`, { links: [{ ...av.chain(1)[0]!, avatar: av.id }] })).body.accepted).toBe(1);

      const db = new PgDb({ url, statementTimeoutMs: 10_000, connectTimeoutMs: 5_000 });
      try {
        // A is stuck archiving some Avatars (its Kubo never answers): they are leased to it.
        const heldByA = await until('the first daemon holding leases', async () => {
          const rows = db.prepare<[string], { avatar_id: number }>("SELECT avatar_id FROM archive_leases WHERE kind = 'proof' AND holder LIKE ?").all(`%/${a.child.pid}/%`);
          return stuck.requests > 0 && rows.length > 0 ? rows.map((r) => r.avatar_id) : undefined;
        });
        a.child.kill('SIGKILL');
        await exited(a.child);
        // Until their leases expire nobody else runs them; then the survivor archives every one.
        const pendingOf = () => db.prepare<[], { n: number }>("SELECT count(*) AS n FROM archive_jobs WHERE state = 'pending'").get()!.n;
        await until('every archive job done', async () => pendingOf() === 0, 60_000);
        const versions = db.prepare<[], { avatar_id: number; cid: string; kubo_status: string }>('SELECT avatar_id, cid, kubo_status FROM archive_versions').all();
        expect(versions).toHaveLength(12);
        expect(versions.every((v) => v.kubo_status === 'pinned')).toBe(true);
        for (const id of heldByA) expect(versions.some((v) => v.avatar_id === id)).toBe(true);
        // Each version pinned once, by the survivor (the killed daemon never got an answer).
        expect([...ok.pins.values()].every((n) => n === 1)).toBe(true);
        expect(new Set(ok.pins.keys())).toEqual(new Set(versions.map((v) => v.cid)));
        expect((await json(`${b.url}/healthz`)).body.archive).toMatchObject({ queue_depth: 0 });
      } finally {
        db.close();
      }
      b.child.kill('SIGTERM');
      await exited(b.child);
    } finally {
      await stuck.close();
      await ok.close();
    }
  });
});
