/**
 * Several daemons on one PostgreSQL database, as real processes (the CLI's `serve`): concurrent
 * appends on one Avatar across them, one daemon killed mid-ingest (and with it the log's
 * sequencer), and the database going away for a while.
 *
 * @postgres-only: it runs in the postgres project alone (vitest.config.ts). It starts
 * a server of its own (not the project's shared one): the outage test stops it, which would break
 * every other file using the shared server at the time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nobleBackend, parsePublicKey, verifyChain } from '../../src/core/index.js';
import { openCheckpoint, parseVerifierKey, verifyConsistency } from '../../src/core/tlog/index.js';
import { loadLogKey } from '../../src/log/key.js';
import { LogTree } from '../../src/log/tree.js';
import { PgDb } from '../../src/store/postgres.js';
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
async function twoDaemons(): Promise<{ url: string; a: Serve; b: Serve }> {
  const url = freshDatabase(pg.url);
  const env = {
    PROOFKEEP_STORE_ENGINE: 'postgres', PROOFKEEP_DATABASE_URL: url, PROOFKEEP_SERVER_WRITE_RATE_LIMIT: '0',
    PROOFKEEP_STORE_GROUP_COMMIT_MS: '5', PROOFKEEP_LOG_LEVEL: 'warn', PROOFKEEP_ARCHIVE_ENABLED: 'false',
    PROOFKEEP_TLOG_KEY_FILE: keyFile, PROOFKEEP_TLOG_ORIGIN: ORIGIN, PROOFKEEP_TLOG_CHECKPOINT_INTERVAL_MS: '100',
  };
  const start = async () => {
    const dir = mkdtempSync(join(tmpdir(), 'proofkeep-multi-'));
    dirs.push(dir);
    const s = await startServe(['--port', '0', '--data-dir', dir], env);
    children.push(s);
    return s;
  };
  const a = await start();
  const b = await start();
  return { url, a, b };
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
      const doc = await json(`${d.url}/v1/chain/${av.id}`);
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
