/**
 * A mirror follows its upstream's subkeys: an origin daemon and a mirror daemon (real HTTP,
 * SQLite, signatures) hold the same records byte for byte; a hostile upstream's forged or
 * unsigned records are quarantined with their codes and never stored.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { p256 } from '@noble/curves/nist.js';
import { afterAll, describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/core/index.js';
import { TestAvatar } from '../helpers/avatar.js';
import { json, post, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { until } from '../mirror/helpers.js';

const stops: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const s of stops.reverse()) await s();
});

const p256Key = (label: string) => bytesToHex(p256.getPublicKey(new TestAvatar(label).secret, false).subarray(1));

async function authorize(url: string, a: TestAvatar, key: string, rp: string) {
  const fields = { avatar: a.id, algorithm: 'es256', public_key: key, rp_id: rp };
  const p = await post(`${url}/v1/subkey/payload`, fields);
  const r = await post(`${url}/v1/subkey`, { ...fields, name: rp, signature: a.sign(p.body.sign_payload) });
  expect(r.status).toBe(200);
}

describe('mirroring subkeys', () => {
  it('a mirror of a proofkeep origin holds the same records, byte for byte, and refuses writes', async () => {
    const origin = await startDaemon({ 'crypto.workers': 1 });
    stops.push(() => origin.stop());
    const a = new TestAvatar('mirror-subkeys-a');
    for (let i = 0; i < 5; i++) await authorize(origin.url, a, p256Key(`mk${i}`), `rp${i}.example`);
    const mirror = await startDaemon({ 'crypto.workers': 1, 'mirror.upstream': origin.url, 'mirror.pageSize': 2, 'mirror.pollIntervalMs': 30 });
    stops.push(() => mirror.stop());
    const want = (await json(`${origin.url}/v1/subkey?avatar=${a.id}`)).body;
    expect(want.subkeys).toHaveLength(5);
    const got = await until('mirror has the subkeys', () => json(`${mirror.url}/v1/subkey?avatar=${a.id}`), (r) => r.body.subkeys?.length === 5);
    const strip = (s: Array<Record<string, unknown>>) => s.map(({ created_at: _c, ...rest }) => rest);
    expect(strip(got.body.subkeys)).toEqual(strip(want.subkeys));
    // created_at is the origin's acceptance time, carried over
    expect(got.body.subkeys.map((s: { created_at: number }) => s.created_at)).toEqual(want.subkeys.map((s: { created_at: number }) => s.created_at));
    // a later record follows too
    await authorize(origin.url, a, p256Key('mk-late'), 'late.example');
    await until('mirror has the late subkey', () => json(`${mirror.url}/v1/subkey?avatar=${a.id}`), (r) => r.body.subkeys?.length === 6);
    const w = await post(`${mirror.url}/v1/subkey`, { avatar: a.id, algorithm: 'es256', public_key: p256Key('x'), rp_id: 'x', signature: 'x' });
    expect(w.status).toBe(403);
    expect(w.body.code).toBe('READ_ONLY');
  }, 120_000);

  it("a hostile upstream's forged, tampered and unsigned records are quarantined with their codes", async () => {
    const a = new TestAvatar('mirror-subkeys-hostile');
    const mallory = new TestAvatar('mirror-subkeys-mallory');
    const key = p256Key('hk');
    const payload = `{"avatar":"${a.id.slice(2)}","algorithm":"es256","public_key":"0x${key}","rp_id":"h.example"}`;
    const good = { avatar: a.id, algorithm: 'es256', public_key: `0x${key}`, name: 'ok', rp_id: 'h.example', created_at: 1700000000, sign_payload: payload, signature: a.sign(payload) };
    const other = p256Key('hk2');
    const feed = [
      { id: 1, ...good },
      { id: 2, ...good, rp_id: 'f.example', sign_payload: payload.replace('h.example', 'f.example'), signature: mallory.sign(payload.replace('h.example', 'f.example')) },
      { id: 3, ...good, public_key: `0x${other}` }, // the signed payload names another key
      { id: 4, ...good, rp_id: 'u.example', signature: '' }, // Next.ID-style: no signature kept
      { id: 5, ...good, public_key: `0x${key.slice(0, 127)}${key[127] === '0' ? '1' : '0'}` }, // off the curve
    ];
    const server: Server = createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      if (u.pathname === '/v1/proofchain/changes') return void res.writeHead(200).end('{"links":[]}');
      if (u.pathname !== '/v1/subkey/changes') return void res.writeHead(404).end('{}');
      const last = Number(u.searchParams.get('last_id'));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ subkeys: feed.filter((e) => e.id > last) }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    stops.push(() => new Promise<void>((r) => server.close(() => r())));
    const mirror = await startDaemon({ 'crypto.workers': 1, 'mirror.upstream': `http://127.0.0.1:${(server.address() as AddressInfo).port}`, 'mirror.pollIntervalMs': 30 });
    stops.push(() => mirror.stop());
    const f = await until('faults recorded', () => json(`${mirror.url}/v1/mirror/faults`), (r) => r.body.faults?.length === 4);
    const byId = Object.fromEntries(f.body.faults.map((x: { upstream_id: number; code: string }) => [x.upstream_id, x.code]));
    expect(byId).toEqual({ 2: 'SIGNATURE_MISMATCH', 3: 'PAYLOAD_MISMATCH', 4: 'UNVERIFIABLE', 5: 'BAD_PUBLIC_KEY' });
    expect(f.body.faults[0].upstream).toMatch(/#subkeys$/);
    expect(f.body.faults.find((x: { upstream_id: number }) => x.upstream_id === 2).raw).toEqual(feed[1]);
    const stored = (await json(`${mirror.url}/v1/subkey?avatar=${a.id}`)).body.subkeys;
    expect(stored).toMatchObject([{ rp_id: 'h.example', name: 'ok', created_at: 1700000000 }]);
    expect(stored).toHaveLength(1);
  }, 120_000);
});
