/**
 * Checkers wired into a real daemon (HTTP on 127.0.0.1, SQLite in a temp dir, twitter faked):
 * check on submit, GET /v1/proof showing the check state truthfully, evidence, admin re-check.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, post, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { TestAvatar } from '../helpers/avatar.js';
import { FakePlatforms, TWITTER_TOKEN } from '../../scripts/lib/fake-platforms.js';

const ADMIN = 'admin-secret-token';
let fake: FakePlatforms;
let d: TestDaemon;

beforeAll(async () => {
  fake = await FakePlatforms.start();
  d = await startDaemon({
    'checkers.enabled': true,
    'checkers.verifyOnSubmit': true,
    'checkers.platforms.twitter.baseUrl': `${fake.base}/twitter`,
    'checkers.platforms.twitter.bearerToken': TWITTER_TOKEN,
    'checkers.platforms.twitter.limit.intervalCap': 100,
    'checkers.requestTimeoutMs': 3000, // only the hanging fault may time out
    // every other platform points nowhere reachable: nothing may leave 127.0.0.1
    'checkers.platforms.github.baseUrl': `${fake.base}/github`,
    'checkers.platforms.dns.dohUrl': `${fake.base}/dns/dns-query`,
    'checkers.platforms.minds.baseUrl': `${fake.base}/minds`,
    'checkers.platforms.keybase.urlTemplate': `${fake.base}/keybase/{identity}/NextID/{avatar}.json`,
    'checkers.platforms.activitypub.enabled': false,
    'server.adminToken': ADMIN,
  });
});
afterAll(async () => {
  await d?.stop();
  await fake.close();
});

/** Payload → signature → tweet (published or not) → POST /v1/proof. */
async function bindTwitter(a: TestAvatar, identity: string, tweetId: string, publish: boolean) {
  const p = await post(`${d.url}/v1/proof/payload`, { action: 'create', platform: 'twitter', identity, public_key: a.id });
  const sig = a.sign(p.body.sign_payload);
  if (publish) fake.tweets.set(tweetId, { text: (p.body.post_content.default as string).replace('%SIG_BASE64%', sig), authorId: '77', username: identity });
  return post(`${d.url}/v1/proof`, { action: 'create', platform: 'twitter', identity, public_key: a.id, proof_location: tweetId, uuid: p.body.uuid, created_at: p.body.created_at, extra: { signature: sig } });
}

const proofOf = async (identity: string) => (await json(`${d.url}/v1/proof?platform=twitter&identity=${identity}&exact=true`)).body.ids[0]?.proofs[0];

describe('check on submit', () => {
  it('a published tweet: 201, and GET /v1/proof shows it valid, checked now, with the author id', async () => {
    const a = new TestAvatar('checkers-api-1');
    const r = await bindTwitter(a, 'alice_ok', '9001', true);
    expect(r.status).toBe(201);
    const proof = await proofOf('alice_ok');
    expect(proof).toMatchObject({ is_valid: true, status: 'valid', invalid_code: '', invalid_reason: '', alt_id: '77' });
    expect(Math.abs(Number(proof.last_checked_at) - Date.now() / 1000)).toBeLessThan(30);
    const ev = await json(`${d.url}/v1/proof/evidence?platform=twitter&identity=alice_ok&public_key=${a.id}`);
    expect(ev.status).toBe(200);
    expect(ev.body).toMatchObject({ status: 'valid', is_valid: true, proof_location: '9001', evidence: { outcome: 'valid', url: `${fake.base}/twitter/2/tweets/9001?expansions=author_id&user.fields=username&tweet.fields=author_id,edit_history_tweet_ids` } });
    expect(ev.body.evidence.text).toContain('Sig: ');
    expect(Number(ev.body.next_check_at)).toBeGreaterThan(Date.now() / 1000 + 3600);
  });

  it('a missing tweet: 400 PROOF_CHECK_FAILED naming POST_NOT_FOUND, nothing stored', async () => {
    const a = new TestAvatar('checkers-api-2');
    const r = await bindTwitter(a, 'bob_missing', '9002', false);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('PROOF_CHECK_FAILED');
    expect(r.body.message).toMatch(/POST_NOT_FOUND/);
    expect((await json(`${d.url}/v1/proof?platform=twitter&identity=bob_missing&exact=true`)).body.ids).toEqual([]);
  });

  it('a platform outage at submit: 503 UNAVAILABLE, not a verdict and not an acceptance', async () => {
    const a = new TestAvatar('checkers-api-3');
    fake.fault.twitter = 'http500';
    const r = await bindTwitter(a, 'carol_down', '9003', true);
    delete fake.fault.twitter;
    expect(r.status).toBe(503);
    expect(r.body.code).toBe('UNAVAILABLE');
    expect((await bindTwitter(a, 'carol_down', '9003', true)).status).toBe(201);
  });
});

describe('admin re-check and downgrade shown truthfully', () => {
  it('needs the admin token', async () => {
    const r = await post(`${d.url}/v1/admin/recheck`, { platform: 'twitter' });
    expect(r.status).toBe(401);
    const bad = await json(`${d.url}/v1/admin/recheck`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer nope' }, body: JSON.stringify({ platform: 'twitter' }) });
    expect(bad.status).toBe(401);
  });

  const admin = (body: unknown) =>
    json(`${d.url}/v1/admin/recheck`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` }, body: JSON.stringify(body) });

  it('a deleted tweet re-checked on demand → invalid with code and reason; re-published → valid', async () => {
    const a = new TestAvatar('checkers-api-4');
    expect((await bindTwitter(a, 'dave_del', '9004', true)).status).toBe(201);
    const saved = fake.tweets.get('9004')!;
    fake.tweets.delete('9004');
    const r = await admin({ platform: 'twitter', identity: 'dave_del', public_key: a.id });
    expect(r.status).toBe(200);
    expect(r.body.result).toMatchObject({ kind: 'invalid', code: 'POST_NOT_FOUND' });
    const proof = await proofOf('dave_del');
    expect(proof).toMatchObject({ is_valid: false, status: 'invalid', invalid_code: 'POST_NOT_FOUND' });
    expect(proof.invalid_reason).toMatch(/not found/);
    const exists = await json(`${d.url}/v1/proof/exists?platform=twitter&identity=dave_del&public_key=${a.id}`);
    expect(exists.body).toMatchObject({ is_valid: false });

    // an outage while invalid changes nothing; a later success restores valid
    fake.fault.twitter = 'timeout';
    expect((await admin({ platform: 'twitter', identity: 'dave_del', public_key: a.id })).body.result).toMatchObject({ kind: 'transient', code: 'TIMEOUT' });
    delete fake.fault.twitter;
    expect(await proofOf('dave_del')).toMatchObject({ is_valid: false, status: 'invalid' });
    fake.tweets.set('9004', saved);
    expect((await admin({ platform: 'twitter', identity: 'dave_del', public_key: a.id })).body.binding).toMatchObject({ status: 'valid', is_valid: true });
    expect(await proofOf('dave_del')).toMatchObject({ is_valid: true, status: 'valid', invalid_code: '', invalid_reason: '' });
  });

  it('a whole platform can be queued; the running scheduler then checks it', async () => {
    const a = new TestAvatar('checkers-api-5');
    expect((await bindTwitter(a, 'erin_q', '9005', true)).status).toBe(201);
    fake.tweets.delete('9005');
    const r = await admin({ platform: 'twitter' });
    expect(r.status).toBe(202);
    expect(r.body.queued).toBeGreaterThanOrEqual(1);
    const t0 = Date.now();
    while ((await proofOf('erin_q')).is_valid && Date.now() - t0 < 5000) await new Promise((res) => setTimeout(res, 50));
    expect(await proofOf('erin_q')).toMatchObject({ is_valid: false, invalid_code: 'POST_NOT_FOUND' });
  });

  it('unknown binding → 404; bad input → 400', async () => {
    const a = new TestAvatar('checkers-api-6');
    expect((await json(`${d.url}/v1/proof/evidence?platform=twitter&identity=nobody&public_key=${a.id}`)).status).toBe(404);
    expect((await json(`${d.url}/v1/proof/evidence?platform=twitter&identity=nobody`)).status).toBe(400);
    expect((await admin({ platform: 'myspace' })).body.code).toBe('UNKNOWN_PLATFORM');
  });
});
