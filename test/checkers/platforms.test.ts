/**
 * Every platform checker against a fake of its API on 127.0.0.1: valid, deleted, edited, wrong
 * author, replayed payload, 500/timeout/429/reset (transient, never invalid) and recovery.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { nobleBackend, type Link } from '../../src/core/index.js';
import { CheckRunner } from '../../src/checkers/runner.js';
import type { CheckResult } from '../../src/checkers/types.js';
import { FakePlatforms, type Fault } from '../../scripts/lib/fake-platforms.js';
import { AVATAR, OTHER_SK, postFor, signedLink, testConfig, testResolver } from './helpers.js';

interface Case {
  name: string;
  platform: string;
  identity: string;
  location: string | null;
  fakeKey: 'twitter' | 'github' | 'keybase' | 'dns' | 'discord' | 'minds' | 'activitypub';
  publish(f: FakePlatforms, link: Link, text: string, author: string): void;
  /** the code a post by another account gives */
  wrongAuthorCode: string;
}

const ACCOUNT_ID = '1001';
const apServer = (f: FakePlatforms, host: string, software: string) => {
  if (!f.ap.has(host)) f.ap.set(host, { software, posts: new Map() });
  return f.ap.get(host)!;
};

const CASES: Case[] = [
  {
    name: 'twitter', platform: 'twitter', identity: 'nextid_test', location: '1720000000000000001', fakeKey: 'twitter', wrongAuthorCode: 'AUTHOR_MISMATCH',
    publish: (f, l, text, author) => f.tweets.set(l.proof_location!, { text, authorId: author === l.identity ? ACCOUNT_ID : '666', username: author }),
  },
  {
    name: 'github', platform: 'github', identity: 'octocat', location: 'aa5a315d61ae9438b18d', fakeKey: 'github', wrongAuthorCode: 'AUTHOR_MISMATCH',
    publish: (f, l, text, author) => f.gists.set(l.proof_location!, { owner: { login: author, id: author === l.identity ? Number(ACCOUNT_ID) : 666 }, files: { [`${AVATAR.id}.json`]: text } }),
  },
  {
    name: 'keybase', platform: 'keybase', identity: 'alice_kb', location: null, fakeKey: 'keybase', wrongAuthorCode: 'AUTHOR_MISMATCH',
    publish: (f, l, text, author) => f.keybase.set(`${l.identity}/${AVATAR.id}.json`, text.replace(`"keybase_username": "${l.identity}"`, `"keybase_username": "${author}"`)),
  },
  {
    // DNS has no author field: whoever writes the zone publishes; another key's record is the "wrong author".
    name: 'dns', platform: 'dns', identity: 'proof.example.org', location: null, fakeKey: 'dns', wrongAuthorCode: 'SIGNATURE_MISMATCH',
    publish: (f, l, text, author) => {
      const t = author === l.identity ? text : postFor(signedLink({ platform: 'dns', identity: l.identity, uuid: l.uuid, created_at: l.created_at, prev: l.prev, sk: OTHER_SK }));
      f.dns.set(l.identity, { txt: ['"v=spf1 -all"', `"${t.slice(0, 100)}" "${t.slice(100)}"`] });
    },
  },
  {
    name: 'discord', platform: 'discord', identity: 'alice', location: 'https://discord.com/channels/960708146706395176/960708146706395179/961458176719487076', fakeKey: 'discord', wrongAuthorCode: 'AUTHOR_MISMATCH',
    publish: (f, _l, text, author) => f.discord.set('960708146706395179/961458176719487076', { content: text, author: { id: author === 'alice' ? ACCOUNT_ID : '666', username: author } }),
  },
  {
    name: 'minds', platform: 'minds', identity: 'alice', location: '1550000000000000001', fakeKey: 'minds', wrongAuthorCode: 'AUTHOR_MISMATCH',
    publish: (f, l, text, author) => f.minds.set(l.proof_location!, { message: text, owner: { guid: author === l.identity ? ACCOUNT_ID : '666', username: author } }),
  },
  {
    name: 'activitypub (mastodon)', platform: 'activitypub', identity: 'alice@mastodon.test', location: '109000000000000001', fakeKey: 'activitypub', wrongAuthorCode: 'AUTHOR_MISMATCH',
    publish: (f, l, text, author) => apServer(f, 'mastodon.test', 'mastodon').posts.set(l.proof_location!, { text, account: { id: author === 'alice@mastodon.test' ? ACCOUNT_ID : '666', username: author.split('@')[0]! } }),
  },
  {
    name: 'activitypub (misskey)', platform: 'activitypub', identity: 'bob@misskey.test', location: '9k2xq7h3ab', fakeKey: 'activitypub', wrongAuthorCode: 'AUTHOR_MISMATCH',
    publish: (f, l, text, author) => apServer(f, 'misskey.test', 'misskey').posts.set(l.proof_location!, { text, account: { id: author === 'bob@misskey.test' ? ACCOUNT_ID : '666', username: author.split('@')[0]! } }),
  },
  {
    name: 'activitypub (pleroma)', platform: 'activitypub', identity: 'carol@pleroma.test', location: 'AbC123xyz', fakeKey: 'activitypub', wrongAuthorCode: 'AUTHOR_MISMATCH',
    publish: (f, l, text, author) => apServer(f, 'pleroma.test', 'pleroma').posts.set(l.proof_location!, { text, account: { id: author === 'carol@pleroma.test' ? ACCOUNT_ID : '666', username: author.split('@')[0]! } }),
  },
];

let fake: FakePlatforms;
let runner: CheckRunner;
const resolver = testResolver();

beforeAll(async () => {
  fake = await FakePlatforms.start();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  runner = new CheckRunner({ config: testConfig(fake), backend: nobleBackend, resolver });
});
afterEach(async () => {
  await runner.close();
  for (const m of [fake.tweets, fake.gists, fake.keybase, fake.dns, fake.discord, fake.minds, fake.ap]) m.clear();
  for (const k of Object.keys(fake.fault)) delete fake.fault[k as keyof typeof fake.fault];
});

const run = (link: Link, altId: string | null = null): Promise<CheckResult> =>
  runner.run({ avatar: AVATAR, link, altId }, { signal: new AbortController().signal });

describe.each(CASES)('$name', (c) => {
  const make = (over: Partial<Parameters<typeof signedLink>[0]> = {}) => signedLink({ platform: c.platform, identity: c.identity, proof_location: c.location, ...over });

  it('valid post → valid, with evidence and the account id', async () => {
    const link = make();
    c.publish(fake, link, postFor(link), c.identity);
    const r = await run(link);
    expect(r).toMatchObject({ kind: 'valid' });
    if (r.kind !== 'valid') return;
    expect(r.evidence?.text ?? '').toContain(link.signature.slice(0, 40));
    if (!['keybase', 'dns'].includes(c.platform)) expect(r.altId).toBe(ACCOUNT_ID);
  });

  it('a verified target whose post carries its very signature needs no recovery; any other signature is still recovered', async () => {
    let recoveries = 0;
    const counting = { ...nobleBackend, recover: (...args: Parameters<typeof nobleBackend.recover>) => (recoveries++, nobleBackend.recover(...args)) };
    const own = new CheckRunner({ config: testConfig(fake), backend: counting, resolver });
    try {
      const link = make();
      c.publish(fake, link, postFor(link), c.identity);
      expect(await own.run({ avatar: AVATAR, link, altId: null, verified: true }, { signal: new AbortController().signal })).toMatchObject({ kind: 'valid' });
      expect(recoveries).toBe(0);
      // Not marked verified: recovered as before.
      expect(await own.run({ avatar: AVATAR, link, altId: null }, { signal: new AbortController().signal })).toMatchObject({ kind: 'valid' });
      expect(recoveries).toBeGreaterThan(0);
      // Marked verified, but the post carries another signature: recovered, and it fails.
      const forged = make({ sk: OTHER_SK, uuid: link.uuid }).signature;
      c.publish(fake, link, postFor(link).replace(link.signature, forged), c.identity);
      const before = recoveries;
      expect(await own.run({ avatar: AVATAR, link, altId: null, verified: true }, { signal: new AbortController().signal })).toMatchObject({ kind: 'invalid', code: 'SIGNATURE_MISMATCH' });
      expect(recoveries).toBeGreaterThan(before);
    } finally {
      await own.close();
    }
  });

  it('deleted post → invalid POST_NOT_FOUND', async () => {
    const r = await run(make());
    expect(r).toMatchObject({ kind: 'invalid', code: 'POST_NOT_FOUND' });
  });

  it('edited post (signature changed) → invalid SIGNATURE_MISMATCH; signature removed → SIGNATURE_MISSING', async () => {
    const link = make();
    const forged = make({ sk: OTHER_SK, uuid: link.uuid }).signature;
    c.publish(fake, link, postFor(link).replace(link.signature, forged), c.identity);
    expect(await run(link)).toMatchObject({ kind: 'invalid', code: 'SIGNATURE_MISMATCH' });
    const stripped = c.platform === 'dns' || c.platform === 'github' || c.platform === 'keybase'
      ? postFor(link).replace(c.platform === 'dns' ? /ps:true;v:1;sig:[^;]*;/ : /"signature": "[^"]*"/, c.platform === 'dns' ? 'ps:true;v:1;' : '"signature": ""')
      : postFor(link).split('\n').filter((l) => !/^(Sig|Signature):/.test(l)).join('\n');
    c.publish(fake, link, stripped, c.identity);
    expect(await run(link)).toMatchObject({ kind: 'invalid', code: 'SIGNATURE_MISSING' });
  });

  it('post by another account → invalid', async () => {
    const link = make();
    const other = c.platform === 'activitypub' ? `mallory@${c.identity.split('@')[1]}` : 'mallory';
    c.publish(fake, link, postFor(link), other);
    const r = await run(link);
    expect(r).toMatchObject({ kind: 'invalid', code: c.wrongAuthorCode });
  });

  it("replayed post of an earlier link (valid signature, other payload) → invalid PAYLOAD_MISMATCH", async () => {
    const old = make({ created_at: 1690000000 });
    const current = make({ prev: 'wEJAiUW7KQ32ARC9s6ZKFzIQgmOjevl5BhJ6tUmkQQ9QXgg/O1ABQtfbviNr+7AU8Lu7sFAaK5KARXZcQc/ihwE=' });
    c.publish(fake, current, postFor(old), c.identity);
    const r = await run(current);
    expect(r).toMatchObject({ kind: 'invalid', code: 'PAYLOAD_MISMATCH' });
  });

  it.each<[Fault, string]>([
    ['http500', 'UPSTREAM_ERROR'],
    ['timeout', 'TIMEOUT'],
    ['http429', 'RATE_LIMITED'],
    ['reset', 'NETWORK_ERROR'],
  ])('%s is transient (%s), never invalid; the post is checked again afterwards', async (fault, code) => {
    const link = make();
    c.publish(fake, link, postFor(link), c.identity);
    fake.fault[c.fakeKey] = fault;
    const r = await run(link);
    expect(r).toMatchObject({ kind: 'transient', code });
    if (fault === 'http429') expect(r.kind === 'transient' && r.retryAfterMs).toBeGreaterThanOrEqual(1000);
    delete fake.fault[c.fakeKey];
    if (fault === 'http429' && c.platform !== 'activitypub') {
      // the platform queue is paused until Retry-After; the next check waits for it, then passes
      const t0 = Date.now();
      expect(await run(link)).toMatchObject({ kind: 'valid' });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(500);
    } else if (fault !== 'http429') {
      expect(await run(link)).toMatchObject({ kind: 'valid' });
    }
  });

  it('recovers: deleted → invalid, re-published → valid', async () => {
    const link = make();
    expect(await run(link)).toMatchObject({ kind: 'invalid' });
    c.publish(fake, link, postFor(link), c.identity);
    expect(await run(link)).toMatchObject({ kind: 'valid' });
  });
});

describe('platform specifics', () => {
  it('twitter: a username re-registered by another account (alt_id differs) → AUTHOR_MISMATCH', async () => {
    const link = signedLink({ platform: 'twitter', identity: 'nextid_test', proof_location: '1720000000000000002' });
    fake.tweets.set('1720000000000000002', { text: postFor(link), authorId: '999', username: 'NextID_Test' });
    expect(await run(link, null)).toMatchObject({ kind: 'valid', altId: '999' });
    expect(await run(link, '1001')).toMatchObject({ kind: 'invalid', code: 'AUTHOR_MISMATCH' });
  });

  it('twitter: an edited tweet is judged by its latest version', async () => {
    const link = signedLink({ platform: 'twitter', identity: 'nextid_test', proof_location: '100' });
    fake.tweets.set('100', { text: postFor(link), authorId: '1', username: 'nextid_test', editHistory: ['100', '101'] });
    fake.tweets.set('101', { text: 'nothing to see', authorId: '1', username: 'nextid_test', editHistory: ['100', '101'] });
    expect(await run(link)).toMatchObject({ kind: 'invalid', code: 'SIGNATURE_MISSING' });
  });

  it('twitter: a wrong bearer token is transient (our config), not a verdict on the post', async () => {
    await runner.close();
    runner = new CheckRunner({ config: testConfig(fake, (c) => (c.platforms.twitter.bearerToken = 'wrong')), backend: nobleBackend, resolver });
    const link = signedLink({ platform: 'twitter', identity: 'nextid_test', proof_location: '100' });
    expect(await run(link)).toMatchObject({ kind: 'transient', code: 'AUTH_ERROR' });
  });

  it('twitter/discord without a token: not checkable (DISABLED), never invalid', async () => {
    await runner.close();
    runner = new CheckRunner({ config: testConfig(fake, (c) => (c.platforms.discord.botToken = '')), backend: nobleBackend, resolver });
    expect(runner.canCheck('discord')).toBe(false);
    const link = signedLink({ platform: 'discord', identity: 'alice', proof_location: CASES[4]!.location });
    const before = fake.count('discord');
    expect(await run(link)).toMatchObject({ kind: 'transient', code: 'DISABLED' });
    expect(fake.count('discord')).toBe(before);
  });

  it('proof_location shapes are validated before any request', async () => {
    const bad: Array<[string, string, string]> = [
      ['twitter', 'nextid_test', '12/../../admin'],
      ['github', 'octocat', 'https://evil.example/x'],
      ['discord', 'alice', 'https://evil.example/channels/1/2/3'],
      ['discord', 'alice', 'https://discord.com.evil.example/channels/1/2/3'],
      ['minds', 'alice', 'abc'],
      ['activitypub', 'alice@mastodon.test', '../../admin'],
    ];
    const before = fake.requests.length;
    for (const [platform, identity, loc] of bad) {
      expect(await run(signedLink({ platform, identity, proof_location: loc }))).toMatchObject({ kind: 'invalid', code: 'BAD_PROOF_LOCATION' });
    }
    expect(fake.requests.length).toBe(before);
  });

  it('github: a truncated or anonymous gist is invalid; the file must be named after the avatar', async () => {
    const link = signedLink({ platform: 'github', identity: 'octocat', proof_location: 'abc123' });
    fake.gists.set('abc123', { owner: { login: 'octocat', id: 1 }, files: { '0xdeadbeef.json': postFor(link) } });
    expect(await run(link)).toMatchObject({ kind: 'invalid', code: 'SIGNATURE_MISSING' });
    fake.gists.set('abc123', { owner: null, files: { [`${AVATAR.id}.json`]: postFor(link) } });
    expect(await run(link)).toMatchObject({ kind: 'invalid', code: 'AUTHOR_MISMATCH' });
  });

  it('github: 403 with x-ratelimit-remaining: 0 is a rate limit (transient), a 403 without it is not a verdict either', async () => {
    const link = signedLink({ platform: 'github', identity: 'octocat', proof_location: 'abc123' });
    fake.fault.github = 'http429';
    expect(await run(link)).toMatchObject({ kind: 'transient', code: 'RATE_LIMITED' });
  });

  it('mastodon: a status that is a copy of a remote account with the same username → AUTHOR_MISMATCH', async () => {
    const link = signedLink({ platform: 'activitypub', identity: 'alice@mastodon.test', proof_location: '42' });
    apServer(fake, 'mastodon.test', 'mastodon').posts.set('42', { text: postFor(link), account: { id: '7', username: 'alice', acct: 'alice@evil.test' } });
    expect(await run(link)).toMatchObject({ kind: 'invalid', code: 'AUTHOR_MISMATCH' });
  });

  it('misskey: a note of a remote user → AUTHOR_MISMATCH', async () => {
    const link = signedLink({ platform: 'activitypub', identity: 'bob@misskey.test', proof_location: 'n1' });
    apServer(fake, 'misskey.test', 'misskey').posts.set('n1', { text: postFor(link), account: { id: '7', username: 'bob', host: 'evil.test' } });
    expect(await run(link)).toMatchObject({ kind: 'invalid', code: 'AUTHOR_MISMATCH' });
  });

  it('activitypub: unknown server software → UNSUPPORTED_SERVER', async () => {
    const link = signedLink({ platform: 'activitypub', identity: 'dan@gotosocial.test', proof_location: '1' });
    apServer(fake, 'gotosocial.test', 'gotosocial');
    expect(await run(link)).toMatchObject({ kind: 'invalid', code: 'UNSUPPORTED_SERVER' });
  });

  it('ethereum: no fetch, the wallet signature is re-verified', async () => {
    const link: Link = {
      prev: 'wEJAiUW7KQ32ARC9s6ZKFzIQgmOjevl5BhJ6tUmkQQ9QXgg/O1ABQtfbviNr+7AU8Lu7sFAaK5KARXZcQc/ihwE=', action: 'create', platform: 'ethereum',
      identity: '0x115d0e8886e48b7eed48ecc40dfe8d327c4604c3', proof_location: null, created_at: 1700000100, uuid: '8a6f7c34-8b1a-4c0e-9d38-2f1e5b7a9c02',
      signature: 'Oo1GKKnh6toUiuXts3EOyLsWu2Vy0xQVw7qCx/Y+JYx4w9+CMtKzmIW6GdiPSkoa0p0l3hYCkznbEQ4BeoALcgA=', signature_payload: '',
      extra: { wallet_signature: 'BHGJPiw1MuCjVm3TmRvXUGLtw26wNoJZz8txAK5o62U/BPpsPzYXGm353qdXq+Sp1s9PGZMehJt8+fvoo9NtDgA=' },
    };
    const before = fake.requests.length;
    expect(await run(link)).toMatchObject({ kind: 'valid', altId: link.identity });
    expect(await run({ ...link, extra: { wallet_signature: link.signature } })).toMatchObject({ kind: 'invalid', code: 'SIGNATURE_MISMATCH' });
    expect(fake.requests.length).toBe(before);
  });
});

describe('solana', () => {
  it('no fetch: the ed25519 wallet signature (base58 address) is re-verified', async () => {
    const { ed25519 } = await import('@noble/curves/ed25519.js');
    const { buildSignPayload, bytesToBase64, personalSign } = await import('../../src/core/index.js');
    const { AVATAR_SK } = await import('./helpers.js');
    const b58 = (bytes: Uint8Array) => {
      const A = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
      let n = BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
      let out = '';
      while (n > 0n) {
        out = A[Number(n % 58n)] + out;
        n /= 58n;
      }
      for (const b of bytes) {
        if (b !== 0) break;
        out = `1${out}`;
      }
      return out;
    };
    const sk = new Uint8Array(32).fill(7);
    const address = b58(ed25519.getPublicKey(sk));
    const payload = buildSignPayload({ action: 'create', created_at: '1700000000', identity: address, persona: AVATAR.id, platform: 'solana', prev: null, uuid: '8a6f7c34-8b1a-4c0e-9d38-2f1e5b7a9c09' });
    const link: Link = {
      prev: null, action: 'create', platform: 'solana', identity: address, proof_location: null, created_at: 1700000000, uuid: '8a6f7c34-8b1a-4c0e-9d38-2f1e5b7a9c09',
      signature: bytesToBase64(personalSign(payload, AVATAR_SK)), signature_payload: payload,
      extra: { wallet_signature: bytesToBase64(ed25519.sign(new TextEncoder().encode(payload), sk)) },
    };
    const before = fake.requests.length;
    expect(await run(link)).toMatchObject({ kind: 'valid', altId: address });
    const otherSig = bytesToBase64(ed25519.sign(new TextEncoder().encode(payload), new Uint8Array(32).fill(8)));
    expect(await run({ ...link, extra: { wallet_signature: otherSig } })).toMatchObject({ kind: 'invalid', code: 'SIGNATURE_MISMATCH' });
    expect(fake.requests.length).toBe(before);
  });
});
