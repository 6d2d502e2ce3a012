/**
 * `proofkeep migrate-store`: a SQLite index written by a real daemon (proof chains, bindings,
 * KV writes, subkeys, the log, archived versions) is copied by the real CLI into a fresh database
 * on a real PostgreSQL server; a daemon on that database then serves the same bytes, its log
 * still verifies, and new links get new ids. Refusals (a non-empty target, a running daemon on
 * the source, a bad or unreachable URL) change nothing; a tampered copy is caught.
 *
 * @sqlite-only: the engines are chosen here explicitly (a SQLite source, this file's own
 * PostgreSQL server), so running it again in the postgres project would test nothing new.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { p256 } from '@noble/curves/nist.js';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentCid, documentCidSync } from '../../src/archive/cid.js';
import { verifyCopy } from '../../src/cli/migrate-verify.js';
import { bytesToHex } from '../../src/core/index.js';
import { SCHEMA } from '../../src/schema.js';
import { sourceTables } from '../../src/store/copy.js';
import { openDatabase } from '../../src/store/open.js';
import { PgDb } from '../../src/store/postgres.js';
import { TestAvatar } from '../helpers/avatar.js';
import { runCli } from '../helpers/cli.js';
import { json, post, queryIndex, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { kvWrite } from '../helpers/kv.js';
import { freePort, freshDatabase, startPgServer, type PgServer } from '../helpers/postgres.js';
import { chainDoc, cidOf, health, populate, until } from '../mirror/helpers.js';

let pg: PgServer;
let dir = '';
let sqliteFile = '';
let avatars: string[] = [];
let kvAvatars: TestAvatar[] = [];
const before = new Map<string, { doc: string; chain: string; kv?: string; subkeys?: string }>();
let vkey = '';
let logSize = 0;

const daemonOpts = { 'crypto.workers': 1, 'tlog.checkpointIntervalMs': 50 };
// The archive's outbox and versions without Helia or Arweave: archive_versions rows with their CIDs.
const archiveOn = { 'archive.enabled': true, 'archive.ipfs.enabled': false, 'archive.arweave.enabled': false, 'archive.ipfs.gateway': false };

function count(url: string, table: string): number {
  const db = new PgDb({ url, statementTimeoutMs: 30_000, connectTimeoutMs: 10_000 });
  try {
    return Number(db.prepare(`SELECT count(*) FROM ${table}`).pluck().get());
  } finally {
    db.close();
  }
}

async function subkey(url: string, a: TestAvatar, label: string) {
  const xy = bytesToHex(p256.getPublicKey(new TestAvatar(`p256:${label}`).secret, false).subarray(1));
  const fields = { algorithm: 'es256', public_key: xy, rp_id: 'app.example' };
  const p = await post(`${url}/v1/subkey/payload`, { avatar: a.id, ...fields });
  return post(`${url}/v1/subkey`, { avatar: a.id, ...fields, name: label, signature: a.sign(p.body.sign_payload) });
}

async function snapshot(url: string, key: string, kv?: TestAvatar): Promise<{ doc: string; chain: string; kv?: string; subkeys?: string }> {
  const out: { doc: string; chain: string; kv?: string; subkeys?: string } = {
    doc: (await chainDoc(url, key)).text,
    chain: JSON.stringify((await json(`${url}/v1/proofchain?avatar=${key}`)).body),
  };
  if (kv) {
    out.kv = JSON.stringify((await json(`${url}/v1/kv?avatar=${kv.id}`)).body);
    out.subkeys = JSON.stringify((await json(`${url}/v1/subkey?avatar=${kv.id}`)).body);
  }
  return out;
}

beforeAll(async () => {
  pg = await startPgServer();
  const src = await startDaemon({ 'store.engine': 'sqlite', ...daemonOpts, ...archiveOn }, { keepDir: true });
  expect(src.engine).toBe('sqlite');
  dir = src.dir;
  sqliteFile = join(dir, 'proofkeep.sqlite');
  try {
    avatars = (await populate(src.url, 'migstore', 3, 6)).avatars;
    kvAvatars = [new TestAvatar('migstore-kv-0'), new TestAvatar('migstore-kv-1')];
    for (const [i, a] of kvAvatars.entries()) {
      expect((await a.bind(src.url, 'twitter', `mig_${i}`, { proof_location: String(1000 + i) })).status).toBe(201);
      expect((await a.bind(src.url, 'github', `mig-${i}`, { proof_location: 'https://gist.github.com/x/1' })).status).toBe(201);
      expect((await kvWrite(src.url, a, 'nextid', a.id, { n: i, list: [1, 2, 'é'] })).status).toBe(201);
      expect((await kvWrite(src.url, a, 'twitter', `mig_${i}`, { bio: `bio ${i}` })).status).toBe(201);
      expect((await subkey(src.url, a, `laptop-${i}`)).status).toBe(200);
      avatars.push(a.id);
    }
    for (const a of avatars) before.set(a, await snapshot(src.url, a, kvAvatars.find((k) => k.id === a)));
    const h = await health(src.url);
    vkey = h.tlog.verifier_key;
    logSize = h.tlog.size;
    await until('checkpointed', () => health(src.url), (x) => x.tlog.checkpoint?.size === logSize);
    // Every chain archived at its full length, so tampering with any link shows in a stored CID.
    await until('archived', async () => queryIndex<{ n: number }>(src,
      'SELECT count(*) AS n FROM avatars a WHERE EXISTS (SELECT 1 FROM archive_versions v WHERE v.avatar_id = a.id AND v.link_count = a.link_count)')[0]!.n, (n) => n === avatars.length);
  } finally {
    await src.stop();
  }
}, 240_000);

afterAll(() => {
  pg?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('proofkeep migrate-store', () => {
  let url = '';

  it('copies the SQLite index into an empty database, verifies it and a daemon there serves the same chains', async () => {
    url = freshDatabase(pg.url, 'mig');
    const r = await runCli(['migrate-store', '--data-dir', dir, '--to', url]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ok: copied and verified; committed/);
    expect(r.stdout).toMatch(new RegExp(`verified: \\d+ tables, \\d+ rows, ${avatars.length} Avatars \\(${avatars.length} chain documents re-hashed\\), 2 KV Avatars \\(2 KV documents\\), [1-9]\\d* archived CIDs`));
    expect(r.stdout).not.toMatch(/MISMATCH/);
    // The password never shows; the target is named.
    expect(r.stdout).toContain(`target ${url}`);

    const sqlite = new Database(sqliteFile, { readonly: true });
    const rows = (t: string) => Number(sqlite.prepare(`SELECT count(*) AS n FROM ${t}`).pluck().get());
    for (const t of ['links', 'bindings', 'kv_writes', 'subkeys', 'log_entries', 'log_checkpoints', 'archive_versions', 'binding_checks']) {
      expect(count(url, t), t).toBe(rows(t));
    }
    expect(rows('subkeys')).toBe(2);
    expect(rows('kv_writes')).toBe(4);
    sqlite.close();

    // The same data dir: the log's key and the archive's state go with the index.
    const d = await startDaemon({ 'store.engine': 'postgres', 'store.postgres.url': url, ...daemonOpts }, { dir });
    try {
      expect(d.engine).toBe('postgres');
      for (const a of avatars) {
        const now = await snapshot(d.url, a, kvAvatars.find((k) => k.id === a));
        expect(now, a).toEqual(before.get(a));
        const stored = queryIndex<{ cid: string }>(d, 'SELECT v.cid FROM archive_versions v JOIN avatars a ON a.id = v.avatar_id WHERE a.avatar = ? ORDER BY v.link_count DESC LIMIT 1', a)[0]!;
        expect(await cidOf(now.doc), a).toBe(stored.cid);
      }
      const h = await health(d.url);
      expect(h.tlog.verifier_key).toBe(vkey);
      expect(h.tlog.size).toBe(logSize);
      expect(h.tlog.checkpoint?.size).toBe(logSize);
      const audited = await runCli(['audit', '--log', d.url, '--log-key', vkey, ...avatars.flatMap((a) => ['--avatar', a])]);
      expect(audited.stderr).toBe('');
      expect(audited.code).toBe(0);

      // New rows after the copy get ids past the copied ones (the sequences were reset).
      const fresh = new TestAvatar('migstore-after');
      expect((await fresh.bind(d.url, 'twitter', 'after_migration', { proof_location: '42' })).status).toBe(201);
      const old = kvAvatars[0]!;
      expect((await old.bind(d.url, 'twitter', 'after_mig2', { proof_location: '43' })).status).toBe(201);
      const kw = await kvWrite(d.url, old, 'nextid', old.id, { n: 'after' }); expect(kw.status, JSON.stringify(kw.body)).toBe(201);
      expect((await subkey(d.url, old, 'phone')).status).toBe(200);
      await until('checkpoint grew', () => health(d.url), (x) => x.tlog.checkpoint?.size >= logSize + 3);
      const again = await runCli(['audit', '--log', d.url, '--log-key', vkey, '--avatar', fresh.id, '--avatar', old.id]);
      expect(again.code).toBe(0);
      const chain = JSON.parse((await chainDoc(d.url, old.id)).text);
      expect(chain.links).toHaveLength(3);
    } finally {
      await d.stop();
    }
  }, 180_000);

  it('refuses a database that already holds rows and changes nothing in it', async () => {
    expect(url).not.toBe('');
    const links = count(url, 'links');
    const r = await runCli(['migrate-store', '--from', sqliteFile, '--to', url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^proofkeep migrate-store: the PostgreSQL database is not empty \(.*links: \d+ rows.*\): .*\n$/);
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(count(url, 'links')).toBe(links);
  }, 60_000);

  it('--verify-only passes on the migrated database and finds a row changed since', async () => {
    const target = freshDatabase(pg.url, 'migv');
    expect((await runCli(['migrate-store', '--from', sqliteFile, '--to', target])).code).toBe(0);
    expect((await runCli(['migrate-store', '--from', sqliteFile, '--to', target, '--verify-only'])).code).toBe(0);
    const db = new PgDb({ url: target, statementTimeoutMs: 30_000, connectTimeoutMs: 10_000 });
    db.prepare("UPDATE bindings SET identity = identity || 'x' WHERE id = (SELECT min(id) FROM bindings)").run();
    db.close();
    const r = await runCli(['migrate-store', '--from', sqliteFile, '--to', target, '--verify-only']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/MISMATCH table bindings: the same number of rows \(\d+\) but not the same rows/);
  }, 120_000);

  it('refuses an index a daemon has open, and creates nothing in the target', async () => {
    const running = await startDaemon({ 'store.engine': 'sqlite', ...daemonOpts });
    try {
      const target = freshDatabase(pg.url, 'migbusy');
      const r = await runCli(['migrate-store', '--data-dir', running.dir, '--to', target]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^proofkeep migrate-store: .*proofkeep\.sqlite is open in another process \(a daemon running on it\?\): stop it first/);
      expect(r.stderr.split('\n')).toHaveLength(2);
      expect(count(target, "pg_tables WHERE schemaname = 'public'")).toBe(0);
    } finally {
      await running.stop();
    }
  }, 60_000);

  it('a bad URL is a usage error and an unreachable server a one-line failure', async () => {
    for (const bad of ['http://127.0.0.1/x', 'postgres://127.0.0.1:5432', 'nonsense']) {
      const r = await runCli(['migrate-store', '--from', sqliteFile, '--to', bad]);
      expect(r.code, bad).toBe(2);
      expect(r.stderr, bad).toMatch(/^proofkeep migrate-store: --to (must be a postgres:\/\/ URL|names no database)/);
    }
    const port = await freePort();
    const r = await runCli(['migrate-store', '--from', sqliteFile, '--to', `postgres://proofkeep:s3cret@127.0.0.1:${port}/nowhere`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^proofkeep migrate-store: the database \(postgres:\/\/proofkeep:\*\*\*@127\.0\.0\.1:\d+\/nowhere\) is unreachable/);
    expect(r.stderr).not.toContain('s3cret');
    expect(r.stderr.split('\n')).toHaveLength(2);
    const missing = await runCli(['migrate-store', '--from', join(dir, 'nope.sqlite'), '--to', `postgres://proofkeep@127.0.0.1:${port}/x`]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no SQLite index at .*nope\.sqlite/);
    const help = await runCli(['migrate-store', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: proofkeep migrate-store/);
    expect((await runCli(['--help'])).stdout).toContain('migrate-store --to URL');
  }, 60_000);
});

describe('verifyCopy', () => {
  it('finds a tampered link in the target: its table and the Avatar whose chain document changed', async () => {
    const target = freshDatabase(pg.url, 'migt');
    expect((await runCli(['migrate-store', '--from', sqliteFile, '--to', target])).code).toBe(0);
    const src = new Database(sqliteFile, { readonly: true });
    const dst = openDatabase({ engine: 'postgres', url: target, migrations: SCHEMA });
    try {
      const tables = sourceTables(src);
      const clean = verifyCopy(src, dst, tables);
      expect(clean.mismatches).toEqual([]);
      expect(clean.documents).toBe(avatars.length);
      expect(clean.archivedCids).toBeGreaterThanOrEqual(avatars.length);
      const victim = dst.prepare<[], { id: number; avatar: string }>('SELECT l.id, a.avatar FROM links l JOIN avatars a ON a.id = l.avatar_id ORDER BY l.id DESC LIMIT 1').get()!;
      dst.prepare("UPDATE links SET proof_location = coalesce(proof_location, '') || 'x' WHERE id = ?").run(victim.id);
      const bad = verifyCopy(src, dst, tables);
      expect(bad.mismatches).toContain(`table links: the same number of rows (${clean.tables.find((t) => t.name === 'links')!.source}) but not the same rows`);
      expect(bad.mismatches.some((m) => m.startsWith(`Avatar ${victim.avatar}: chain document `))).toBe(true);
      // An archived version of that chain now names a CID the tampered chain does not give.
      expect(bad.mismatches.some((m) => m.startsWith('archive_versions: version '))).toBe(true);
      dst.prepare('DELETE FROM subkeys WHERE id = (SELECT max(id) FROM subkeys)').run();
      expect(verifyCopy(src, dst, tables).mismatches).toContain('table subkeys: 2 rows in the SQLite index, 1 in PostgreSQL');
    } finally {
      dst.close();
      src.close();
    }
  }, 120_000);

  it('documentCidSync gives the archive\'s CID', async () => {
    const bytes = new TextEncoder().encode('{"version":"1"}');
    expect(documentCidSync(bytes).toString()).toBe((await documentCid(bytes)).toString());
  });
});
