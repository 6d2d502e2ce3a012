/**
 * Two daemon processes on one PostgreSQL database: concurrent KV writes on one Avatar's head,
 * half sent to each process — exactly one lands per head, every other write is 409 FORK (not a
 * 500 from a constraint the race ran into), and both processes serve the same linear chain.
 * Likewise one subkey authorization submitted to both at once: one row, every answer a success
 * or DUPLICATE_SUBKEY. And the KV and subkey feeds (id > cursor) become visible in id order
 * whichever connection writes, or a mirror's cursor would skip a write that commits late.
 * Real child processes: two daemons in one process could not interleave their synchronous
 * append transactions, so they would never race.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { p256 } from '@noble/curves/nist.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildKvSignPayload, bytesToHex, kvAvatarField, nobleBackend, parseKvWrite, parsePublicKey, verifyKvChain, verifyKvWrite, type KvWrite,
} from '../../src/core/index.js';
import { KvStore } from '../../src/kv/kv-store.js';
import { PgDb } from '../../src/store/postgres.js';
import { SubkeyStore, type NewSubkey } from '../../src/subkeys/store.js';
import { TestAvatar, uuidFrom } from '../helpers/avatar.js';
import { exited, startServe } from '../helpers/cli.js';
import { json, post } from '../helpers/daemon.js';
import { kvPayload, kvWrite, kvWriteBody } from '../helpers/kv.js';
import { freshDatabase, startPgServer, testEngine, type PgServer } from '../helpers/postgres.js';
import { codeOf } from '../helpers/errors.js';

type Served = Awaited<ReturnType<typeof startServe>>;
let own: PgServer | undefined;
let dbUrl = '';
const dirs: string[] = [];
const daemons: Served[] = [];

beforeAll(async () => {
  const engine = testEngine();
  // In the sqlite project this file brings its own server: the race only exists on PostgreSQL.
  if (engine.engine !== 'postgres') own = await startPgServer();
  dbUrl = freshDatabase(engine.engine === 'postgres' ? engine.baseUrl : own!.url);
  const env = {
    PROOFKEEP_STORE_ENGINE: 'postgres', PROOFKEEP_DATABASE_URL: dbUrl, PROOFKEEP_SERVER_WRITE_RATE_LIMIT: '0',
    PROOFKEEP_ARCHIVE_ENABLED: 'false', PROOFKEEP_LOG_LEVEL: 'warn',
  };
  // One after the other: the first migrates the database, the second finds it migrated.
  for (let i = 0; i < 2; i++) {
    const dir = mkdtempSync(join(tmpdir(), `proofkeep-kv-xproc-${i}-`));
    dirs.push(dir);
    // One log, one key: the second daemon signs with the first one's (docs/postgres.md).
    const key = i === 0 ? {} : { PROOFKEEP_TLOG_KEY_FILE: join(dirs[0]!, 'log.key') };
    daemons.push(await startServe(['--port', '0', '--host', '127.0.0.1', '--data-dir', dir], { ...env, ...key }));
  }
}, 180_000);

afterAll(async () => {
  for (const d of daemons) {
    d.child.kill('SIGTERM');
    await exited(d.child);
  }
  own?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('concurrent KV writes on one head from two daemon processes', () => {
  it('exactly one lands per head, the others are 409 FORK, and both serve one linear chain', { timeout: 180_000 }, async () => {
    const [a, b] = [daemons[0]!.url, daemons[1]!.url];
    const avatar = new TestAvatar('kv-xproc');
    const rounds = 12;
    const perRound = 6;
    // The first round races on the genesis write (no kv_avatars row yet), the rest on a head.
    for (let round = 0; round < rounds; round++) {
      const patches = Array.from({ length: perRound }, (_, i) => ({ round, i }));
      const payloads = await Promise.all(patches.map((p, i) => kvPayload(i % 2 ? b : a, avatar, 'nextid', avatar.id, p)));
      for (const p of payloads) expect(p.status).toBe(200);
      // Every payload was signed against the same head, whichever process handed it out.
      expect(new Set(payloads.map((p) => JSON.parse(p.body.sign_payload).previous)).size).toBe(1);
      const results = await Promise.all(
        payloads.map((p, i) => post(`${i % 2 ? a : b}/v1/kv`, kvWriteBody(avatar, p.body, 'nextid', avatar.id, patches[i]))),
      );
      const won = results.filter((r) => r.status === 201);
      expect(won, JSON.stringify(results.map((r) => [r.status, r.body?.code]))).toHaveLength(1);
      for (const r of results.filter((x) => x.status !== 201)) expect(r).toMatchObject({ status: 409, body: { code: 'FORK' } });
    }
    const [docA, docB] = await Promise.all([a, b].map(async (u) => (await fetch(`${u}/v1/kv/chain/${avatar.id}`)).text()));
    expect(docB).toBe(docA);
    const writes = (JSON.parse(docA!) as { writes: unknown[] }).writes.map(parseKvWrite);
    expect(writes).toHaveLength(rounds);
    expect(verifyKvChain(parsePublicKey(avatar.id), writes, { backend: nobleBackend }).problems).toEqual([]);
    // And each process keeps writing on the head the other one moved.
    expect((await kvWrite(a, avatar, 'nextid', avatar.id, { after: 'a' })).status).toBe(201);
    expect((await kvWrite(b, avatar, 'nextid', avatar.id, { after: 'b' })).status).toBe(201);
  });
});

describe('one subkey authorization submitted to two daemon processes at once', () => {
  it('stores one row; every answer is 200 or 409 DUPLICATE_SUBKEY', { timeout: 120_000 }, async () => {
    const urls = [daemons[0]!.url, daemons[1]!.url];
    for (let round = 0; round < 8; round++) {
      const a = new TestAvatar(`subkey-xproc-${round}`);
      const xy = bytesToHex(p256.getPublicKey(new TestAvatar(`p256:xproc-${round}`).secret, false).subarray(1));
      const body = { avatar: a.id, algorithm: 'es256', public_key: xy, rp_id: 'xproc.example' };
      const p = await post(`${urls[0]}/v1/subkey/payload`, body);
      expect(p.status).toBe(200);
      const signature = a.sign(p.body.sign_payload);
      const rs = await Promise.all(Array.from({ length: 8 }, (_, i) => post(`${urls[i % 2]}/v1/subkey`, { ...body, name: i % 4 < 2 ? 'x' : 'y', signature })));
      expect(rs.some((r) => r.status === 200)).toBe(true);
      for (const r of rs.filter((x) => x.status !== 200)) expect(r).toMatchObject({ status: 409, body: { code: 'DUPLICATE_SUBKEY' } });
      for (const u of urls) expect((await json(`${u}/v1/subkey?avatar=${a.id}`)).body.subkeys).toHaveLength(1);
    }
  });
});

/** A connection of another process (the daemons above migrated the database). */
const connect = (statementTimeoutMs = 10_000) => new PgDb({ url: dbUrl, statementTimeoutMs, connectTimeoutMs: 5000 });


function genesis(a: TestAvatar, label: string): KvWrite {
  const key = parsePublicKey(a.id);
  const w = { previous: null, platform: 'nextid', identity: a.id, uuid: uuidFrom(label), created_at: 1_700_000_000, patch: { label } };
  return verifyKvWrite(key, { ...w, signature: a.sign(buildKvSignPayload({ ...w, avatar: kvAvatarField(key) })) }, { backend: nobleBackend });
}

describe('the feeds across connections', () => {
  it('while a KV write is uncommitted, no write on another connection becomes visible after it', () => {
    // Connection `other` gives up quickly: the first connection, waiting on it, holds the JS thread.
    const [first, other, reader] = [connect(), connect(500), connect()];
    try {
      const [x, y] = [new TestAvatar('kv-feed-x'), new TestAvatar('kv-feed-y')];
      const kv = new KvStore(first);
      const kvOther = new KvStore(other);
      const seen = new KvStore(reader);
      let during = '';
      let visibleAfter: number[] = [];
      kv.onAppend((ev) => {
        // Another Avatar's write, from another connection, while this one holds its feed id.
        during = codeOf(() => kvOther.append(parsePublicKey(y.id), genesis(y, 'feed-y')));
        visibleAfter = seen.changes(ev.writeId - 1, 100).map((r) => r.id);
      });
      const mine = kv.append(parsePublicKey(x.id), genesis(x, 'feed-x'));
      expect(visibleAfter).toEqual([]);
      expect(during).toBe('UNAVAILABLE'); // it waited for this write's commit, and timed out
      const later = kvOther.append(parsePublicKey(y.id), genesis(y, 'feed-y'));
      expect(later.writeId).toBeGreaterThan(mine.writeId);
    } finally {
      for (const c of [first, other, reader]) c.close();
    }
  });

  it('while a subkey insert is uncommitted, no record on another connection becomes visible after it', () => {
    const [first, other, reader] = [connect(), connect(500), connect()];
    try {
      const rec = (avatar: string): NewSubkey => ({
        avatar, algorithm: 'es256', public_key: `0x${'ab'.repeat(64)}`, rp_id: 'feed.example', name: 'n', sign_payload: '{}', signature: 'sig', created_at: 1,
      });
      const subkeys = new SubkeyStore(first);
      const subkeysOther = new SubkeyStore(other);
      const seen = new SubkeyStore(reader);
      let during = '';
      let visibleAfter: number[] = [];
      subkeys.onInsert(({ row }) => {
        during = codeOf(() => subkeysOther.insert(rec(new TestAvatar('subkey-feed-y').id)));
        visibleAfter = seen.after(row.id - 1, 100).map((r) => r.id);
      });
      const mine = subkeys.insert(rec(new TestAvatar('subkey-feed-x').id));
      expect(visibleAfter).toEqual([]);
      expect(during).toBe('UNAVAILABLE');
      expect(subkeysOther.insert(rec(new TestAvatar('subkey-feed-y').id)).row.id).toBeGreaterThan(mine.row.id);
    } finally {
      for (const c of [first, other, reader]) c.close();
    }
  });
});
