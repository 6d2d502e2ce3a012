/**
 * Mirroring KV writes: a mirror of a real origin holds the same KV chain documents byte for byte
 * and refuses KV writes; a mirror of a hostile upstream's KV feed quarantines what fails the
 * same judge (signature, chain rule, patch rules) with the same codes as links.
 */
import { URL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToBase64, utf8 } from '../../src/core/index.js';
import { KvChainBuilder } from '../../scripts/gen-kv-vectors.js';
import { serve, type TestServer } from '../audit/helpers.js';
import { TestAvatar } from '../helpers/avatar.js';
import { json, post, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { kvPayload, kvWrite, kvWriteBody } from '../helpers/kv.js';
import { health, until } from './helpers.js';

describe('mirror of a proofkeep origin: KV', () => {
  let origin: TestDaemon;
  let mirror: TestDaemon;
  const avatars = [0, 1, 2].map((i) => new TestAvatar(`kv-mirror-${i}`));
  beforeAll(async () => {
    origin = await startDaemon({ 'crypto.workers': 1 });
    mirror = await startDaemon({ 'crypto.workers': 1, 'mirror.upstream': origin.url, 'mirror.pageSize': 2, 'mirror.pollIntervalMs': 50 });
  }, 60_000);
  afterAll(async () => {
    await mirror?.stop();
    await origin?.stop();
  });

  it('converges to byte-identical KV chain documents and views, and keeps following', async () => {
    const [a, b, c] = avatars as [TestAvatar, TestAvatar, TestAvatar];
    expect((await a.bind(origin.url, 'twitter', 'kvm_a')).status).toBe(201);
    for (let i = 0; i < 3; i++) {
      for (const x of [a, b, c]) expect((await kvWrite(origin.url, x, 'nextid', x.id, { i, who: x.id.slice(0, 8) })).status).toBe(201);
    }
    expect((await kvWrite(origin.url, a, 'twitter', 'kvm_a', { nick: 'é <b>' })).status).toBe(201);
    const total = 10;
    await until('mirror KV caught up', () => health(mirror.url), (h) => h.mirror?.kv?.cursor === total && h.mirror.kv.caught_up === true && h.mirror.kv.behind === 0);
    for (const x of avatars) {
      const [o, m] = await Promise.all([fetch(`${origin.url}/v1/kv/chain/${x.id}`), fetch(`${mirror.url}/v1/kv/chain/${x.id}`)]);
      expect(m.status).toBe(200);
      expect(await m.text()).toBe(await o.text());
      expect((await json(`${mirror.url}/v1/kv?avatar=${x.id}`)).body).toEqual((await json(`${origin.url}/v1/kv?avatar=${x.id}`)).body);
    }
    expect((await health(mirror.url)).mirror.faults).toBe(0);

    // a later write arrives too
    expect((await kvWrite(origin.url, b, 'nextid', b.id, { later: true })).status).toBe(201);
    await until('later write mirrored', async () => (await json(`${mirror.url}/v1/kv?avatar=${b.id}`)).body, (v) => v.proofs?.[0]?.content?.later === true);
  });

  it('refuses KV writes with 403 READ_ONLY', async () => {
    const x = avatars[2]!;
    const p = await kvPayload(mirror.url, x, 'nextid', x.id, { no: 1 });
    expect(p.status).toBe(200);
    const w = await post(`${mirror.url}/v1/kv`, kvWriteBody(x, p.body, 'nextid', x.id, { no: 1 }));
    expect(w).toMatchObject({ status: 403, body: { code: 'READ_ONLY' } });
  });
});

describe('mirror of a hostile KV feed', () => {
  const A = new KvChainBuilder('hostile-a', sha256(utf8('kv-hostile-a')));
  const B = new KvChainBuilder('hostile-b', sha256(utf8('kv-hostile-b')));
  const a0 = A.add({ patch: { n: 0 } });
  const a1 = A.add({ patch: { n: 1 } });
  const a2forged = { ...A.add({ patch: { n: 2 } }), patch: { n: 'evil' } };
  const a3 = A.add({ patch: { n: 3 } });
  const b0 = B.add({ patch: { legacy: true }, legacy: true });
  const b1 = B.add({ patch: { n: 1 } });
  const b1fork = B.make({ patch: { fork: 1 }, previous: b0.signature });
  const b2 = B.add({ patch: { n: 2 } });
  const entries: Array<[Record<string, unknown>, string | null]> = [
    [{ avatar: A.avatar.id, ...a0 }, null],
    [{ avatar: A.avatar.id, ...a1 }, null],
    [{ avatar: A.avatar.id, ...a2forged }, 'PAYLOAD_MISMATCH'],
    [{ avatar: A.avatar.id, ...a3 }, 'BROKEN_ANCESTOR'],
    [{ avatar: B.avatar.id, ...b0 }, null],
    [{ avatar: B.avatar.id, ...b1 }, null],
    [{ avatar: B.avatar.id, ...b1fork }, 'FORK'],
    [{ avatar: B.avatar.id, ...b2, signature: bytesToBase64(new Uint8Array(65)) }, 'SIGNATURE_MISMATCH'],
    [{ avatar: 'not-a-key', ...a0 }, 'BAD_PUBLIC_KEY'],
    [{ avatar: B.avatar.id, ...b1, uuid: '00000000-0000-4000-8000-000000000000', patch: { x: 0.5 } }, 'BAD_PATCH'],
  ];
  const FEED = entries.map(([e], i) => ({ id: i + 1, ...e }));
  const EXPECTED = Object.fromEntries(entries.flatMap(([, code], i) => (code ? [[i + 1, code]] : [])));
  let upstream: TestServer;
  let mirror: TestDaemon;
  beforeAll(async () => {
    upstream = await serve((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      const last = Number(u.searchParams.get('last_id') ?? '0');
      const count = Number(u.searchParams.get('count') ?? '20');
      if (u.pathname === '/v1/proofchain/changes') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"links":[]}');
      if (u.pathname !== '/v1/kv/changes') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ writes: FEED.filter((e) => e.id > last).slice(0, count) }));
    });
    mirror = await startDaemon({ 'crypto.workers': 1, 'mirror.upstream': upstream.url, 'mirror.pageSize': 3, 'mirror.pollIntervalMs': 30 });
  }, 60_000);
  afterAll(async () => {
    await mirror?.stop();
    await upstream?.close();
  });

  it('quarantines each bad write with its code and raw JSON; the good ones land', async () => {
    await until('KV feed consumed', () => health(mirror.url), (h) => h.mirror?.kv?.cursor === FEED.length);
    const f = await json(`${mirror.url}/v1/mirror/faults`);
    const kvFaults = f.body.faults.filter((x: { upstream: string }) => x.upstream.endsWith('#kv'));
    expect(Object.fromEntries(kvFaults.map((x: { upstream_id: number; code: string }) => [x.upstream_id, x.code]))).toEqual(EXPECTED);
    for (const x of kvFaults) expect(x.raw).toEqual(FEED[x.upstream_id - 1]);
    const docA = JSON.parse(await (await fetch(`${mirror.url}/v1/kv/chain/${A.avatar.id}`)).text());
    expect(docA.writes.map((w: { uuid: string }) => w.uuid)).toEqual([a0.uuid, a1.uuid]);
    const docB = JSON.parse(await (await fetch(`${mirror.url}/v1/kv/chain/${B.avatar.id}`)).text());
    expect(docB.writes.map((w: { sign_payload: string }) => w.sign_payload)).toEqual([b0.sign_payload, b1.sign_payload]);
  });
});
