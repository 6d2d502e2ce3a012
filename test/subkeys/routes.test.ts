/**
 * The subkey routes on a real daemon (HTTP on 127.0.0.1, SQLite in a temp dir, real
 * signatures): payload bytes, durable writes found under any key spelling, replays, races, and
 * every bad input a 4xx with a code that writes nothing.
 */
import { rmSync } from 'node:fs';
import { p256 } from '@noble/curves/nist.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/core/index.js';
import { TestAvatar } from '../helpers/avatar.js';
import { json, post, queryIndex, startDaemon, type TestDaemon } from '../helpers/daemon.js';

let d: TestDaemon;
beforeAll(async () => {
  d = await startDaemon({}, { keepDir: true });
});
afterAll(async () => {
  await d?.stop();
  rmSync(d.dir, { recursive: true, force: true });
});

const es256Key = (label: string) => {
  const sk = new TestAvatar(`p256:${label}`).secret;
  return { xy: bytesToHex(p256.getPublicKey(sk, false).subarray(1)), compressed: bytesToHex(p256.getPublicKey(sk, true)) };
};
const count = () => queryIndex<{ n: number }>(d, 'SELECT COUNT(*) AS n FROM subkeys')[0]!.n;

/** payload → sign → submit, the way a client does it. */
async function authorize(a: TestAvatar, fields: Record<string, string>, name = 'laptop') {
  const p = await post(`${d.url}/v1/subkey/payload`, { avatar: a.id, ...fields });
  expect(p.status).toBe(200);
  return post(`${d.url}/v1/subkey`, { avatar: a.id, ...fields, name, signature: a.sign(p.body.sign_payload) });
}

describe('POST /v1/subkey/payload', () => {
  it("is Go's json.Marshal of avatar (no 0x), algorithm, public_key (as sent), rp_id", async () => {
    const a = new TestAvatar('subkey-payload');
    const k = es256Key('payload');
    const r = await post(`${d.url}/v1/subkey/payload`, { avatar: a.uncompressed, algorithm: 'es256', public_key: `0x${k.xy}`, rp_id: 'app.example' });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ sign_payload: `{"avatar":"${a.id.slice(2)}","algorithm":"es256","public_key":"0x${k.xy}","rp_id":"app.example"}` });
  });
});

describe('POST /v1/subkey and GET /v1/subkey', () => {
  it('stores a signed es256 subkey durably; every spelling of the avatar or the key finds it', async () => {
    const a = new TestAvatar('subkey-store');
    const k = es256Key('store');
    const before = Math.floor(Date.now() / 1000);
    const r = await authorize(a, { algorithm: 'es256', public_key: k.xy.toUpperCase(), rp_id: 'app.example' });
    expect(r.status).toBe(200);
    expect(r.body.sign_payload).toContain(k.xy.toUpperCase());
    const want = { avatar: a.id, algorithm: 'es256', public_key: `0x${k.xy}`, name: 'laptop', rp_id: 'app.example' };
    for (const q of [`avatar=${a.id}`, `avatar=${a.uncompressed.toUpperCase().replace('0X', '')}`, `algorithm=es256&public_key=${k.xy}`, `algorithm=es256&public_key=0x${k.compressed}`, `algorithm=es256&public_key=04${k.xy}`]) {
      const g = await json(`${d.url}/v1/subkey?${q}`);
      expect(g.status, q).toBe(200);
      expect(g.body.subkeys, q).toHaveLength(1);
      expect(g.body.subkeys[0], q).toMatchObject(want);
      expect(g.body.subkeys[0].created_at).toBeGreaterThanOrEqual(before);
    }
    expect((await json(`${d.url}/v1/subkey?algorithm=secp256k1&public_key=${a.id}`)).body).toEqual({ subkeys: [] });
  });

  it('stores a secp256k1 subkey (canonical: compressed, 0x)', async () => {
    const a = new TestAvatar('subkey-k1');
    const sub = new TestAvatar('subkey-k1-sub');
    expect((await authorize(a, { algorithm: 'secp256k1', public_key: sub.uncompressed, rp_id: 'k1.example' })).status).toBe(200);
    const g = await json(`${d.url}/v1/subkey?algorithm=secp256k1&public_key=${sub.id.slice(2)}`);
    expect(g.body.subkeys).toMatchObject([{ avatar: a.id, public_key: sub.id, rp_id: 'k1.example' }]);
  });

  it('a replay is idempotent, a replay under another name is 409 DUPLICATE_SUBKEY; neither adds or renames a row', async () => {
    const a = new TestAvatar('subkey-replay');
    const k = es256Key('replay');
    const fields = { algorithm: 'es256', public_key: k.xy, rp_id: 'r.example' };
    expect((await authorize(a, fields)).status).toBe(200);
    const n = count();
    expect((await authorize(a, fields)).status).toBe(200);
    const other = await authorize(a, fields, 'evil');
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('DUPLICATE_SUBKEY');
    expect(count()).toBe(n);
    expect((await json(`${d.url}/v1/subkey?avatar=${a.id}`)).body.subkeys.map((s: { name: string }) => s.name)).toEqual(['laptop']);
    // another relying party is another authorization
    expect((await authorize(a, { ...fields, rp_id: 'other.example' })).status).toBe(200);
    expect(count()).toBe(n + 1);
  });

  it('concurrent submissions of one authorization leave one row', async () => {
    const a = new TestAvatar('subkey-race');
    const k = es256Key('race');
    const body = { avatar: a.id, algorithm: 'es256', public_key: k.xy, rp_id: 'race.example' };
    const p = await post(`${d.url}/v1/subkey/payload`, body);
    const sig = a.sign(p.body.sign_payload);
    const n = count();
    const rs = await Promise.all(Array.from({ length: 12 }, (_, i) => post(`${d.url}/v1/subkey`, { ...body, name: i % 2 ? 'x' : 'y', signature: sig })));
    expect(rs.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(1);
    expect(rs.every((r) => r.status === 200 || (r.status === 409 && r.body.code === 'DUPLICATE_SUBKEY'))).toBe(true);
    expect(count()).toBe(n + 1);
  });

  describe('bad input: a 4xx with a code, nothing written', () => {
    const a = new TestAvatar('subkey-bad');
    const b = new TestAvatar('subkey-bad-other');
    const k = es256Key('bad');
    const good = { avatar: a.id, algorithm: 'es256', public_key: k.xy, rp_id: 'bad.example', name: 'n' };
    const payload = `{"avatar":"${a.id.slice(2)}","algorithm":"es256","public_key":"${k.xy}","rp_id":"bad.example"}`;
    const cases: Array<[string, () => Record<string, unknown> | string, number, string]> = [
      ['signed by another key', () => ({ ...good, signature: b.sign(payload) }), 400, 'SIGNATURE_MISMATCH'],
      ['signature over another rp_id', () => ({ ...good, rp_id: 'x.example', signature: a.sign(payload) }), 400, 'SIGNATURE_MISMATCH'],
      ['no signature', () => ({ ...good }), 400, 'BAD_SIGNATURE_ENCODING'],
      ['signature junk', () => ({ ...good, signature: 'abc' }), 400, 'BAD_SIGNATURE_ENCODING'],
      ['unknown algorithm', () => ({ ...good, algorithm: 'rsa', signature: a.sign(payload) }), 400, 'UNKNOWN_ALGORITHM'],
      ['es256 point off the curve', () => ({ ...good, public_key: k.xy.slice(0, 127) + (k.xy[127] === '0' ? '1' : '0'), signature: a.sign(payload) }), 400, 'BAD_PUBLIC_KEY'],
      ['es256 key of 63 bytes', () => ({ ...good, public_key: k.xy.slice(2), signature: a.sign(payload) }), 400, 'BAD_PUBLIC_KEY'],
      ['bad avatar', () => ({ ...good, avatar: '0x02' + '00'.repeat(32), signature: a.sign(payload) }), 400, 'BAD_PUBLIC_KEY'],
      ['no rp_id', () => ({ ...good, rp_id: '', signature: a.sign(payload) }), 400, 'BAD_REQUEST'],
      ['name with a control character', () => ({ ...good, name: 'a\u0007', signature: a.sign(payload) }), 400, 'BAD_REQUEST'],
      ['name not a string', () => ({ ...good, name: 5, signature: a.sign(payload) }), 400, 'BAD_REQUEST'],
      ['body an array', () => '[1]', 400, 'BAD_REQUEST'],
      ['body not JSON', () => '{"avatar":', 400, 'BAD_REQUEST'],
      ['rp_id too long', () => ({ ...good, rp_id: 'a'.repeat(600), signature: a.sign(payload) }), 400, 'BAD_REQUEST'],
    ];
    it.each(cases)('%s → %d %s', async (_n, body, status, code) => {
      const n = count();
      const r = await post(`${d.url}/v1/subkey`, body());
      expect(r.status).toBe(status);
      expect(r.body.code).toBe(code);
      expect(typeof r.body.message).toBe('string');
      expect(count()).toBe(n);
    });
    it('GET without avatar or public_key, with a bad key or an unknown algorithm', async () => {
      for (const [q, code] of [['', 'BAD_REQUEST'], ['avatar=0x1234', 'BAD_PUBLIC_KEY'], [`algorithm=rsa&public_key=${k.xy}`, 'UNKNOWN_ALGORITHM'], [`public_key=${k.xy}`, 'UNKNOWN_ALGORITHM'], ['algorithm=es256&public_key=zz', 'BAD_PUBLIC_KEY']]) {
        const r = await json(`${d.url}/v1/subkey?${q}`);
        expect(r.status, q).toBe(400);
        expect(r.body.code, q).toBe(code);
      }
    });
  });

  it('GET /v1/subkey/changes lists records in acceptance order with payload and signature; bad cursors are 400', async () => {
    const all = (await json(`${d.url}/v1/subkey/changes?last_id=0&count=100`)).body.subkeys;
    expect(all.length).toBe(count());
    expect(all.map((s: { id: number }) => s.id)).toEqual([...all.map((s: { id: number }) => s.id)].sort((x, y) => x - y));
    const first = all[0];
    expect(new TestAvatar('subkey-store').sign(first.sign_payload)).toBe(first.signature);
    const next = (await json(`${d.url}/v1/subkey/changes?last_id=${first.id}&count=1`)).body.subkeys;
    expect(next).toEqual([all[1]]);
    for (const q of ['last_id=-1', 'last_id=x', 'count=0', 'count=101']) {
      const r = await json(`${d.url}/v1/subkey/changes?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.code, q).toBe('BAD_REQUEST');
    }
  });

  it('survives a restart (a 200 means committed)', async () => {
    const a = new TestAvatar('subkey-durable');
    const k = es256Key('durable');
    expect((await authorize(a, { algorithm: 'es256', public_key: k.xy, rp_id: 'd.example' })).status).toBe(200);
    const dir = d.dir;
    await d.stop();
    d = await startDaemon({}, { dir });
    expect((await json(`${d.url}/v1/subkey?avatar=${a.id}`)).body.subkeys).toMatchObject([{ public_key: `0x${k.xy}`, rp_id: 'd.example' }]);
  });
});
