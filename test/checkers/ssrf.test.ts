/** SSRF guard: address classes, every resolved address checked, pinned connections, same-origin nodeinfo. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nobleBackend } from '../../src/core/index.js';
import { PlatformHttp } from '../../src/checkers/http.js';
import { CheckRunner } from '../../src/checkers/runner.js';
import { classifyAddress } from '../../src/checkers/ssrf.js';
import { GuardRefused, PermanentFailure } from '../../src/checkers/types.js';
import { FakePlatforms } from '../../scripts/lib/fake-platforms.js';
import { AVATAR, postFor, signedLink, testConfig, testResolver } from './helpers.js';

describe('classifyAddress', () => {
  it.each([
    ['8.8.8.8', 'public'], ['172.32.0.1', 'public'], ['2606:4700::1111', 'public'], ['93.184.216.34', 'public'],
    ['127.0.0.1', 'loopback'], ['127.255.0.9', 'loopback'], ['::1', 'loopback'], ['::ffff:127.0.0.1', 'loopback'],
    ['10.0.0.1', 'private'], ['172.16.5.4', 'private'], ['172.31.255.255', 'private'], ['192.168.1.1', 'private'],
    ['169.254.169.254', 'private'], ['100.64.0.1', 'private'], ['0.0.0.0', 'private'], ['224.0.0.1', 'private'],
    ['255.255.255.255', 'private'], ['::', 'private'], ['::ffff:10.0.0.1', 'private'], ['::ffff:a9fe:a9fe', 'private'],
    ['fe80::1', 'private'], ['fc00::1', 'private'], ['fd12:3456::1', 'private'], ['2001:db8::1', 'private'],
    ['64:ff9b::a00:1', 'private'], ['2002:a00:1::', 'private'], ['ff02::1', 'private'], ['not-an-ip', 'private'],
  ])('%s → %s', (ip, kind) => {
    expect(classifyAddress(ip)).toBe(kind);
  });
});

describe('activitypub hosts', () => {
  let fake: FakePlatforms;
  beforeAll(async () => {
    fake = await FakePlatforms.start();
  });
  afterAll(async () => {
    await fake.close();
  });

  const check = async (identity: string, resolverMap: Record<string, string[]>, allowLoopback: boolean, loc = '1') => {
    const resolver = testResolver(resolverMap);
    const runner = new CheckRunner({ config: testConfig(fake, (c) => (c.platforms.activitypub.allowLoopback = allowLoopback)), backend: nobleBackend, resolver });
    try {
      const link = signedLink({ platform: 'activitypub', identity, proof_location: loc });
      return { result: await runner.run({ avatar: AVATAR, link, altId: null }, { signal: new AbortController().signal }), resolver, link };
    } finally {
      await runner.close();
    }
  };

  it('a host resolving to loopback is refused unless the config allows loopback (tests only)', async () => {
    const before = fake.requests.length;
    const { result } = await check('alice@mastodon.test', {}, false);
    expect(result).toMatchObject({ kind: 'invalid', code: 'HOST_FORBIDDEN' });
    expect(fake.requests.length).toBe(before);
  });

  it('every resolved address is checked: one private address among public ones refuses the host', async () => {
    const { result } = await check('alice@mixed.example', { 'mixed.example': ['93.184.216.34', '10.0.0.5'] }, true);
    expect(result).toMatchObject({ kind: 'invalid', code: 'HOST_FORBIDDEN' });
  });

  it('IP-literal hosts are judged too (cloud metadata, private, loopback)', async () => {
    for (const host of ['169.254.169.254', '10.1.2.3', '127.0.0.1']) {
      const { result, resolver } = await check(`alice@${host}`, {}, false);
      expect(result).toMatchObject({ kind: 'invalid', code: 'HOST_FORBIDDEN' });
      expect(resolver.calls).toEqual([]);
    }
  });

  it('a failing lookup is transient (DNS_ERROR), not a verdict', async () => {
    const { result } = await check('alice@nxdomain.example', {}, true);
    expect(result).toMatchObject({ kind: 'transient', code: 'DNS_ERROR' });
  });

  it('DNS rebinding: the connection is pinned to the address that was checked; DNS is asked once', async () => {
    // rebind.example answers 127.0.0.1 (allowed here) first and a private address afterwards.
    let n = 0;
    const resolver = Object.assign(async (host: string) => {
      n++;
      if (host !== 'rebind.example') throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
      return [{ address: n === 1 ? '127.0.0.1' : '10.9.9.9', family: 4 as const }];
    }, { calls: [] as string[] });
    fake.ap.set('rebind.example', { software: 'mastodon', posts: new Map() });
    const link = signedLink({ platform: 'activitypub', identity: 'eve@rebind.example', proof_location: '5' });
    fake.ap.get('rebind.example')!.posts.set('5', { text: postFor(link), account: { id: '1', username: 'eve' } });
    const runner = new CheckRunner({ config: testConfig(fake), backend: nobleBackend, resolver });
    try {
      const r = await runner.run({ avatar: AVATAR, link, altId: null }, { signal: new AbortController().signal });
      // three requests (nodeinfo, nodeinfo 2.0, status) all reached the checked address; the
      // system resolver cannot resolve rebind.example, so only the pinned lookup can have been used
      expect(r).toMatchObject({ kind: 'valid' });
      expect(n).toBe(1);
    } finally {
      await runner.close();
    }
  });

  it('nodeinfo pointing at another origin is refused, and that origin is never contacted', async () => {
    fake.ap.set('redirector.test', { software: 'mastodon', posts: new Map(), nodeinfoHref: `http://127.0.0.1:${fake.port}/twitter/2/tweets/1` });
    const before = fake.count('twitter');
    const { result } = await check('alice@redirector.test', {}, true);
    expect(result).toMatchObject({ kind: 'invalid', code: 'HOST_FORBIDDEN' });
    expect(fake.count('twitter')).toBe(before);
  });
});

describe('configured origins only', () => {
  it('a platform client refuses any URL outside its configured origins', async () => {
    const http = new PlatformHttp({
      platform: 'twitter', limit: { intervalCap: 10, intervalMs: 1000, concurrency: 1 }, timeoutMs: 200, maxBodyBytes: 1000, maxRetryAfterMs: 1000,
      allowed: (u) => u.origin === 'https://api.twitter.com',
    });
    await expect(http.request('http://169.254.169.254/latest/meta-data', { signal: new AbortController().signal })).rejects.toThrow(/refused/);
    await expect(http.request('https://api.twitter.com.evil.example/2/tweets/1', { signal: new AbortController().signal })).rejects.toThrow(/refused/);
    // a typed, permanent refusal (the binding is invalid), not a plain Error read as "try later"
    const err = await http.request('https://evil.example/x', { signal: new AbortController().signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GuardRefused);
    expect(err).toBeInstanceOf(PermanentFailure);
    expect(err).toMatchObject({ code: 'HOST_FORBIDDEN' });
    expect(http.sent).toBe(0);
    await http.close();
  });
});

describe('keybase origins', () => {
  it('the template allows its own origin with a username in place of {identity}, nothing else', async () => {
    const { keybaseAllowed } = await import('../../src/checkers/platforms/keybase.js');
    const allowed = keybaseAllowed('https://{identity}.keybase.pub/NextID/{avatar}.json');
    expect(allowed(new URL('https://alice_1.keybase.pub/NextID/0x02.json'))).toBe(true);
    expect(allowed(new URL('https://evil.example/NextID/0x02.json'))).toBe(false);
    expect(allowed(new URL('https://a.b.keybase.pub/x'))).toBe(false);
    expect(allowed(new URL('http://alice.keybase.pub/x'))).toBe(false);
    expect(allowed(new URL('https://alice.keybase.pub.evil.example/x'))).toBe(false);
  });
});
