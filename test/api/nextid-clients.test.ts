/**
 * Next.ID's own clients, unchanged: requests exactly as NextDotID/sdk's ProofClient sends them
 * (`fetch(url, {method, body: JSON.stringify(…)})` with no headers, so fetch labels the body
 * text/plain; `GET /v1/proofchain?public_key=`; no `extra` for twitter; a browser's preflight),
 * against a real daemon whose twitter checker talks to a local fake. Nothing leaves 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestAvatar } from '../helpers/avatar.js';
import { json, post, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { FakePlatforms, TWITTER_TOKEN } from '../../scripts/lib/fake-platforms.js';

let fake: FakePlatforms;
let d: TestDaemon;

beforeAll(async () => {
  fake = await FakePlatforms.start();
  d = await startDaemon({
    'checkers.verifyOnSubmit': true,
    'checkers.requestTimeoutMs': 2000,
    'checkers.platforms.twitter.baseUrl': `${fake.base}/twitter`,
    'checkers.platforms.twitter.bearerToken': TWITTER_TOKEN,
    'checkers.platforms.twitter.limit.intervalCap': 100,
    // every other platform points at the fake server or is off: nothing may leave 127.0.0.1
    'checkers.platforms.github.baseUrl': `${fake.base}/github`,
    'checkers.platforms.dns.dohUrl': `${fake.base}/dns/dns-query`,
    'checkers.platforms.keybase.urlTemplate': `${fake.base}/keybase/{identity}/NextID/{avatar}.json`,
    'checkers.platforms.minds.enabled': false,
    'checkers.platforms.activitypub.enabled': false,
  });
});
afterAll(async () => {
  await d?.stop();
  await fake.close();
});

/** What the SDK's ProofClient.request does for a POST: no headers at all. */
const sdkPost = (path: string, body: unknown) => json(`${d.url}/${path}`, { method: 'POST', body: JSON.stringify(body) });
const sdkGet = (path: string, params: Record<string, string>) => json(`${d.url}/${path}?${new URLSearchParams(params)}`, { method: 'GET' });
const links = () => d.daemon.store.stats().links;

/** ProofService.createProof(): payload → the user tweets post_content with the signature → verify(tweet id). */
async function sdkCreateTwitter(a: TestAvatar, identity: string, tweetId: string, authorId: string, publish = true) {
  const p = await sdkPost('v1/proof/payload', { action: 'create', platform: 'twitter', identity, public_key: a.id });
  expect(p.status).toBe(200);
  if (publish) {
    fake.tweets.set(tweetId, { text: (p.body.post_content.default as string).replace('%SIG_BASE64%', a.sign(p.body.sign_payload)), authorId, username: identity });
  }
  // `extra: await options?.onExtra(…)` is undefined for twitter: JSON.stringify drops the key.
  return sdkPost('v1/proof', { action: 'create', uuid: p.body.uuid, created_at: p.body.created_at, platform: 'twitter', identity, public_key: a.id, proof_location: tweetId, extra: undefined });
}

describe('bodies without a content type are JSON (as Next.ID parses them)', () => {
  it('fetch labels a string body text/plain; the payload route answers as for application/json', async () => {
    const a = new TestAvatar('sdk-ct');
    const body = { action: 'create', platform: 'twitter', identity: 'sdk_ct', public_key: a.id };
    const plain = await sdkPost('v1/proof/payload', body);
    expect(plain.status).toBe(200);
    expect(plain.body.sign_payload).toContain('"identity":"sdk_ct"');
    const none = await json(`${d.url}/v1/proof/payload`, { method: 'POST', body: new Blob([JSON.stringify(body)]) }); // no type at all
    expect(none.status).toBe(200);
    expect(none.body.sign_payload).toContain('"identity":"sdk_ct"');
  });
  it('bad JSON in a text/plain body is 400 BAD_REQUEST, a text/plain body over the limit 413', async () => {
    const r = await json(`${d.url}/v1/proof/payload`, { method: 'POST', body: '{"action":' });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('BAD_REQUEST');
    const big = await json(`${d.url}/v1/proof/payload`, { method: 'POST', body: JSON.stringify({ pad: 'x'.repeat(70_000) }) });
    expect(big.status).toBe(413);
    expect(big.body.code).toBe('PAYLOAD_TOO_LARGE');
  });
  it('prototype poisoning is refused there too', async () => {
    const r = await json(`${d.url}/v1/subkey/payload`, { method: 'POST', body: '{"__proto__":{"x":1},"avatar":"0x00"}' });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('BAD_REQUEST');
  });
});

describe('CORS like upstream', () => {
  it('answers a preflight and puts Access-Control-Allow-Origin: * on answers and errors', async () => {
    const pre = await fetch(`${d.url}/v1/proof`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,accept-type' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    expect(pre.headers.get('access-control-allow-methods')).toContain('POST');
    expect(pre.headers.get('access-control-allow-headers')).toBe('content-type,accept-type');
    expect(pre.headers.get('access-control-allow-credentials')).toBeNull();
    const ok = await json(`${d.url}/healthz`, { headers: { origin: 'https://app.example' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('*');
    const err = await json(`${d.url}/v1/proof/exists?platform=twitter`, { headers: { origin: 'https://app.example' } });
    expect(err.status).toBe(400);
    expect(err.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('the SDK binds twitter without extra: the signature comes from the tweet', () => {
  it('createProof → 201; /v1/proofchain?public_key= lists the link with the tweet signature and its alt_id', async () => {
    const a = new TestAvatar('sdk-bind');
    const r = await sdkCreateTwitter(a, 'sdk_alice', '7001', '501');
    expect(r.status).toBe(201);
    const chain = await sdkGet('v1/proofchain', { public_key: a.id, page: '1' });
    expect(chain.status).toBe(200);
    expect(chain.body.proof_chain).toHaveLength(1);
    const item = chain.body.proof_chain[0];
    expect(item).toMatchObject({ action: 'create', platform: 'twitter', identity: 'sdk_alice', proof_location: '7001', alt_id: '501' });
    expect(a.sign(item.signature_payload)).toBe(item.signature);
    // the old name and the new one give the same answer
    expect((await sdkGet('v1/proofchain', { avatar: a.uncompressed, page: '1' })).body).toEqual(chain.body);
    const bound = await sdkGet('v1/proof', { identity: 'sdk_alice', platform: 'twitter', page: '1', exact: 'true' });
    expect(bound.body.ids[0].proofs[0]).toMatchObject({ identity: 'sdk_alice', is_valid: true });
  });

  it("an earlier link's alt_id survives a delete and a re-bind by another account", async () => {
    const a = new TestAvatar('sdk-alt');
    expect((await sdkCreateTwitter(a, 'sdk_bob', '7002', '601')).status).toBe(201);
    const del = await sdkPost('v1/proof/payload', { action: 'delete', platform: 'twitter', identity: 'sdk_bob', public_key: a.id });
    const dr = await sdkPost('v1/proof', { action: 'delete', uuid: del.body.uuid, created_at: del.body.created_at, platform: 'twitter', identity: 'sdk_bob', public_key: a.id, extra: { signature: a.sign(del.body.sign_payload) } });
    expect(dr.status).toBe(201);
    expect((await sdkCreateTwitter(a, 'sdk_bob', '7003', '602')).status).toBe(201);
    const chain = (await sdkGet('v1/proofchain', { public_key: a.id })).body.proof_chain;
    expect(chain.map((i: { action: string; alt_id: string }) => [i.action, i.alt_id])).toEqual([['create', '601'], ['delete', ''], ['create', '602']]);
    const feed = (await json(`${d.url}/v1/proofchain/changes?last_id=0&count=100`)).body.links.filter((l: { avatar: string; kind?: string }) => l.avatar === a.id && (l.kind ?? 'link') === 'link');
    expect(feed.map((i: { alt_id: string }) => i.alt_id)).toEqual(['601', '', '602']);
  });

  it('a tweet that does not exist is PROOF_CHECK_FAILED (POST_NOT_FOUND), nothing stored', async () => {
    const n = links();
    const r = await sdkCreateTwitter(new TestAvatar('sdk-carol'), 'sdk_carol', '7009', '1', false);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('PROOF_CHECK_FAILED');
    expect(r.body.message).toMatch(/POST_NOT_FOUND/);
    expect(links()).toBe(n);
  });

  it('a tweet signed by someone else is PROOF_CHECK_FAILED, nothing stored', async () => {
    const a = new TestAvatar('sdk-forged');
    const mallory = new TestAvatar('sdk-mallory');
    const p = await sdkPost('v1/proof/payload', { action: 'create', platform: 'twitter', identity: 'sdk_dave', public_key: a.id });
    fake.tweets.set('7010', { text: (p.body.post_content.default as string).replace('%SIG_BASE64%', mallory.sign(p.body.sign_payload)), authorId: '9', username: 'sdk_dave' });
    const n = links();
    const r = await sdkPost('v1/proof', { action: 'create', uuid: p.body.uuid, created_at: p.body.created_at, platform: 'twitter', identity: 'sdk_dave', public_key: a.id, proof_location: '7010' });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('PROOF_CHECK_FAILED');
    expect(r.body.message).toMatch(/SIGNATURE_MISMATCH/);
    expect(links()).toBe(n);
  });

  it('no extra where no checker can fetch the post, for a delete, or for a wallet: 400 SIGNATURE_REQUIRED', async () => {
    const a = new TestAvatar('sdk-nocheck');
    const n = links();
    for (const [platform, identity, action] of [['minds', 'sdk_erin', 'create'], ['twitter', 'sdk_erin', 'delete'], ['ethereum', a.address, 'create']] as const) {
      const p = await sdkPost('v1/proof/payload', { action, platform, identity, public_key: a.id });
      expect(p.status, platform).toBe(200);
      const r = await sdkPost('v1/proof', { action, uuid: p.body.uuid, created_at: p.body.created_at, platform, identity, public_key: a.id, proof_location: '1' });
      expect(r.status, `${platform} ${action}`).toBe(400);
      expect(r.body.code, `${platform} ${action}`).toBe('SIGNATURE_REQUIRED');
    }
    expect(links()).toBe(n);
    expect(fake.count('minds')).toBe(0);
  });
});

describe('server.cors = false', () => {
  it('sends no CORS headers and no preflight answer', async () => {
    const off = await startDaemon({ 'server.cors': false });
    try {
      const pre = await json(`${off.url}/v1/proof`, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } });
      expect(pre.status).toBe(404);
      expect(pre.headers.get('access-control-allow-origin')).toBeNull();
      expect((await json(`${off.url}/healthz`)).headers.get('access-control-allow-origin')).toBeNull();
      // and without extra there is nothing to fetch the post with (checkers.verifyOnSubmit off)
      const a = new TestAvatar('sdk-off');
      const p = await post(`${off.url}/v1/proof/payload`, { action: 'create', platform: 'twitter', identity: 'sdk_off', public_key: a.id });
      const r = await post(`${off.url}/v1/proof`, { action: 'create', uuid: p.body.uuid, created_at: p.body.created_at, platform: 'twitter', identity: 'sdk_off', public_key: a.id, proof_location: '1' });
      expect(r.body.code).toBe('SIGNATURE_REQUIRED');
    } finally {
      await off.stop();
    }
  });
});
