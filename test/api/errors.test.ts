/**
 * Every bad input gets a 4xx with its stable code and changes nothing in the database.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSignature, twinSignature } from '../../src/core/index.js';
import { TestAvatar } from '../helpers/avatar.js';
import { json, post, queryIndex, startDaemon, type TestDaemon } from '../helpers/daemon.js';

let d: TestDaemon;
const a = new TestAvatar('errors-main');
const w = new TestAvatar('errors-wallet');

/** The index as another process would see it (a read-only connection to the file). */
function snapshot(): string {
  const h = createHash('sha256');
  for (const t of ['avatars', 'links', 'bindings']) h.update(JSON.stringify(queryIndex(d, `SELECT * FROM ${t} ORDER BY id`)));
  return h.digest('hex');
}

/** A fresh valid POST /v1/proof body for `a` on twitter, from the server's own payload. */
async function validBody(identity = 'errtest', platform = 'twitter', signer = a) {
  const p = await post(`${d.url}/v1/proof/payload`, { action: 'create', platform, identity, public_key: a.id });
  expect(p.status).toBe(200);
  return {
    payload: p.body.sign_payload as string,
    body: {
      action: 'create', platform, identity, public_key: a.id, proof_location: '123', uuid: p.body.uuid as string,
      created_at: p.body.created_at as string, extra: { signature: signer.sign(p.body.sign_payload) } as Record<string, string>,
    },
  };
}

async function expectRejected(send: () => Promise<{ status: number; body: any }>, status: number, code: string) {
  const before = snapshot();
  const r = await send();
  expect({ status: r.status, code: r.body?.code }).toEqual({ status, code });
  expect(typeof r.body.message).toBe('string');
  expect(snapshot()).toBe(before);
}

beforeAll(async () => {
  d = await startDaemon({ 'server.bodyLimit': 4096 });
  // A chain with one link, so prev/fork cases have a head.
  expect((await a.bind(d.url, 'twitter', 'errhead')).status).toBe(201);
});
afterAll(async () => d?.stop());

describe('bad input on POST /v1/proof', () => {
  const raw = (body: string, type = 'application/json') => () => json(`${d.url}/v1/proof`, { method: 'POST', headers: { 'content-type': type }, body });

  it('malformed JSON → 400 BAD_REQUEST', () => expectRejected(raw('{"action":'), 400, 'BAD_REQUEST'));
  it('empty body → 400 BAD_REQUEST', () => expectRejected(raw(''), 400, 'BAD_REQUEST'));
  it('non-JSON content type → 400 BAD_REQUEST', () => expectRejected(raw('action=create', 'text/plain'), 400, 'BAD_REQUEST'));
  it('JSON that is not an object → 400 BAD_REQUEST', () => expectRejected(raw('[1,2]'), 400, 'BAD_REQUEST'));
  it('oversize body → 413 PAYLOAD_TOO_LARGE', () => expectRejected(raw(JSON.stringify({ x: 'a'.repeat(10_000) })), 413, 'PAYLOAD_TOO_LARGE'));
  it('__proto__ pollution attempt → 400', () => expectRejected(raw('{"__proto__":{"x":1},"action":"create"}'), 400, 'BAD_REQUEST'));

  it('missing fields → 400 BAD_REQUEST', async () => {
    const { body } = await validBody();
    // (no `extra` is SIGNATURE_REQUIRED here: see below)
    for (const k of ['action', 'platform', 'identity', 'public_key', 'uuid', 'created_at'] as const) {
      const b: Record<string, unknown> = { ...body };
      delete b[k];
      await expectRejected(() => post(`${d.url}/v1/proof`, b), 400, 'BAD_REQUEST');
    }
  });

  it('wrong types → 400 BAD_REQUEST', async () => {
    const { body } = await validBody();
    for (const [k, v] of [['action', 1], ['identity', ['x']], ['public_key', {}], ['uuid', null], ['created_at', true], ['extra', 'sig'], ['proof_location', 5]] as const) {
      await expectRejected(() => post(`${d.url}/v1/proof`, { ...body, [k]: v }), 400, 'BAD_REQUEST');
    }
    await expectRejected(() => post(`${d.url}/v1/proof`, { ...body, extra: { signature: 7 } }), 400, 'BAD_REQUEST');
  });

  it('missing signature (and no checker to take it from the post) → 400 SIGNATURE_REQUIRED', async () => {
    const { body } = await validBody();
    await expectRejected(() => post(`${d.url}/v1/proof`, { ...body, extra: {} }), 400, 'SIGNATURE_REQUIRED');
    const { extra: _drop, ...noExtra } = body as Record<string, unknown>;
    await expectRejected(() => post(`${d.url}/v1/proof`, noExtra), 400, 'SIGNATURE_REQUIRED');
  });

  it('unknown platform → 400 UNKNOWN_PLATFORM; unknown action → 400 UNKNOWN_ACTION', async () => {
    const { body } = await validBody();
    await expectRejected(() => post(`${d.url}/v1/proof`, { ...body, platform: 'myspace' }), 400, 'UNKNOWN_PLATFORM');
    await expectRejected(() => post(`${d.url}/v1/proof`, { ...body, action: 'update' }), 400, 'UNKNOWN_ACTION');
    await expectRejected(() => post(`${d.url}/v1/proof/payload`, { ...body, platform: 'myspace' }), 400, 'UNKNOWN_PLATFORM');
  });

  it('bad public keys → 400 BAD_PUBLIC_KEY', async () => {
    const { body } = await validBody();
    const offCurve = `0x02${'ff'.repeat(32)}`;
    for (const k of ['', 'zz', '0x1234', offCurve, `0x05${a.id.slice(4)}`, a.id + '00']) {
      await expectRejected(() => post(`${d.url}/v1/proof`, { ...body, public_key: k }), 400, 'BAD_PUBLIC_KEY');
    }
  });

  it('undecodable signatures → 400 BAD_SIGNATURE_ENCODING', async () => {
    const { body } = await validBody();
    const good = Buffer.from(body.extra['signature']!, 'base64');
    const v5 = Buffer.from(good);
    v5[64] = 5;
    for (const s of ['not base64!', good.subarray(0, 64).toString('base64'), v5.toString('base64'), '0x1234', `${body.extra['signature']!.slice(0, -1)}`]) {
      await expectRejected(() => post(`${d.url}/v1/proof`, { ...body, extra: { signature: s } }), 400, 'BAD_SIGNATURE_ENCODING');
    }
  });

  it('signature by another key or over other bytes → 400 SIGNATURE_MISMATCH', async () => {
    const other = new TestAvatar('errors-other');
    const { body } = await validBody('errtest', 'twitter', other);
    await expectRejected(() => post(`${d.url}/v1/proof`, body), 400, 'SIGNATURE_MISMATCH');
    const good = await validBody();
    await expectRejected(() => post(`${d.url}/v1/proof`, { ...good.body, identity: 'someoneelse' }), 400, 'SIGNATURE_MISMATCH');
    await expectRejected(() => post(`${d.url}/v1/proof`, { ...good.body, created_at: String(Number(good.body.created_at) - 1) }), 400, 'SIGNATURE_MISMATCH');
  });

  it('the malleated high-s twin of a valid signature → 400 BAD_SIGNATURE_ENCODING', async () => {
    const { body } = await validBody('twinsig');
    const twin = twinSignature(decodeSignature(body.extra['signature']!));
    expect(decodeSignature(twin).highS).toBe(true);
    await expectRejected(() => post(`${d.url}/v1/proof`, { ...body, extra: { signature: twin } }), 400, 'BAD_SIGNATURE_ENCODING');
    expect((await post(`${d.url}/v1/proof`, body)).status).toBe(201);
  });

  it('hex signature with v=27/28 is accepted and stored canonically', async () => {
    const { body } = await validBody('hexsig');
    const sig = Buffer.from(body.extra['signature']!, 'base64');
    sig[64] = sig[64]! + 27;
    const r = await post(`${d.url}/v1/proof`, { ...body, extra: { signature: `0x${sig.toString('hex')}` } });
    expect(r.status).toBe(201);
    const c = await json(`${d.url}/v1/proofchain?avatar=${a.id}`);
    expect(c.body.proof_chain.at(-1).signature).toBe(body.extra['signature']);
  });

  it('a payload signed against an older head → 409 FORK; a replay → 409 DUPLICATE_UUID', async () => {
    const stale = await validBody('forkme');
    const fresh = await validBody('forkme2');
    expect((await post(`${d.url}/v1/proof`, fresh.body)).status).toBe(201);
    await expectRejected(() => post(`${d.url}/v1/proof`, stale.body), 409, 'FORK');
    await expectRejected(() => post(`${d.url}/v1/proof`, fresh.body), 409, 'DUPLICATE_UUID');
  });

  it('absurd created_at → 400 BAD_CREATED_AT', async () => {
    const { body } = await validBody();
    const now = Math.floor(Date.now() / 1000);
    for (const c of [String(now + 86400), String(now - 10 * 86400), '-5', '1e9', 'yesterday', '99999999999999999999']) {
      await expectRejected(() => post(`${d.url}/v1/proof`, { ...body, created_at: c }), 400, c.length > 20 ? 'BAD_REQUEST' : 'BAD_CREATED_AT');
    }
  });

  it('oversize or malformed identities → 400 BAD_IDENTITY', async () => {
    const { body } = await validBody();
    for (const id of ['x'.repeat(300), 'a'.repeat(16), 'bad name', 'tab\there', '']) {
      await expectRejected(() => post(`${d.url}/v1/proof`, { ...body, identity: id }), 400, id === '' ? 'BAD_IDENTITY' : 'BAD_IDENTITY');
    }
    await expectRejected(() => post(`${d.url}/v1/proof/payload`, { action: 'create', platform: 'dns', identity: 'not a domain', public_key: a.id }), 400, 'BAD_IDENTITY');
  });

  it('bad uuid → 400 BAD_UUID', async () => {
    const { body } = await validBody();
    await expectRejected(() => post(`${d.url}/v1/proof`, { ...body, uuid: 'not-a-uuid' }), 400, 'BAD_UUID');
  });

  it('delete of a binding that does not exist → 404 NOT_FOUND', async () => {
    const p = await post(`${d.url}/v1/proof/payload`, { action: 'delete', platform: 'twitter', identity: 'nobody', public_key: a.id });
    const body = { action: 'delete', platform: 'twitter', identity: 'nobody', public_key: a.id, uuid: p.body.uuid, created_at: p.body.created_at, extra: { signature: a.sign(p.body.sign_payload) } };
    await expectRejected(() => post(`${d.url}/v1/proof`, body), 404, 'NOT_FOUND');
  });

  it('wallet binding without or with a wrong wallet signature → 400 WALLET_SIGNATURE_MISMATCH', async () => {
    const p = await post(`${d.url}/v1/proof/payload`, { action: 'create', platform: 'ethereum', identity: w.address, public_key: a.id });
    const base = { action: 'create', platform: 'ethereum', identity: w.address, public_key: a.id, uuid: p.body.uuid, created_at: p.body.created_at };
    const sig = a.sign(p.body.sign_payload);
    await expectRejected(() => post(`${d.url}/v1/proof`, { ...base, extra: { signature: sig } }), 400, 'WALLET_SIGNATURE_MISMATCH');
    await expectRejected(() => post(`${d.url}/v1/proof`, { ...base, extra: { signature: sig, wallet_signature: new TestAvatar('x').sign(p.body.sign_payload) } }), 400, 'WALLET_SIGNATURE_MISMATCH');
  });
});

describe('bad input on read routes', () => {
  it('GET routes reject bad parameters with 400 and unknown things with 404', async () => {
    const cases: Array<[string, number, string]> = [
      ['/v1/proof', 400, 'BAD_REQUEST'],
      ['/v1/proof?identity=x&page=0', 400, 'BAD_REQUEST'],
      ['/v1/proof?identity=x&page=abc', 400, 'BAD_REQUEST'],
      ['/v1/proof?identity=x&order=sideways', 400, 'BAD_REQUEST'],
      ['/v1/proof?identity=x&sort=random', 400, 'BAD_REQUEST'],
      ['/v1/proof/exists?platform=twitter&identity=x', 400, 'BAD_REQUEST'],
      ['/v1/proof/exists?platform=twitter&identity=x&public_key=bad', 400, 'BAD_PUBLIC_KEY'],
      ['/v1/proofchain', 400, 'BAD_REQUEST'],
      ['/v1/proofchain?avatar=0xnope', 400, 'BAD_PUBLIC_KEY'],
      ['/v1/proofchain/changes?count=1000', 400, 'BAD_REQUEST'],
      ['/v1/proofchain/changes?last_id=-1', 400, 'BAD_REQUEST'],
      ['/v1/chain/0xnope', 400, 'BAD_PUBLIC_KEY'],
      [`/v1/chain/${new TestAvatar('never-seen').id}`, 404, 'NOT_FOUND'],
      ['/no/such/route', 404, 'NOT_FOUND'],
      ['/v1/chain/%E0%A4%A', 400, 'BAD_REQUEST'], // malformed percent-encoding
      [`/v1/chain/${'a'.repeat(400)}`, 400, 'BAD_REQUEST'], // overlong path parameter
    ];
    for (const [path, status, code] of cases) {
      const r = await json(`${d.url}${path}`);
      expect({ path, status: r.status, code: r.body.code }).toEqual({ path, status, code });
    }
  });

  it('an unknown avatar has an empty proof chain', async () => {
    const r = await json(`${d.url}/v1/proofchain?avatar=${new TestAvatar('nobody').id}`);
    expect(r.body).toEqual({ pagination: { total: 0, per: 40, current: 1, next: 0 }, proof_chain: [] });
  });
});

describe('routes that do not exist', () => {
  it('answer 404 NOT_FOUND through the one error reply', async () => {
    for (const [method, path] of [['GET', '/v1/nothing-here'], ['POST', '/v1/proof/nope'], ['DELETE', '/healthz']] as const) {
      const res = await fetch(`${d.url}${path}?q=1`, { method });
      expect({ status: res.status, body: await res.json() }).toEqual({ status: 404, body: { code: 'NOT_FOUND', message: `no route ${method} ${path}` } });
    }
  });
});

describe('write rate limit', () => {
  it('answers 429 RATE_LIMITED with Retry-After past the limit', async () => {
    const limited = await startDaemon({ 'server.writeRateLimit': 3 });
    try {
      const codes: number[] = [];
      let last: { status: number; body: any; headers: Headers } | undefined;
      for (let i = 0; i < 5; i++) {
        last = await post(`${limited.url}/v1/proof`, {});
        codes.push(last.status);
      }
      expect(codes).toEqual([400, 400, 400, 429, 429]);
      expect(last!.body.code).toBe('RATE_LIMITED');
      expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
      // Reads are not limited.
      expect((await json(`${limited.url}/healthz`)).status).toBe(200);
    } finally {
      await limited.stop();
    }
  });
});
