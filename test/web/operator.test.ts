/**
 * What a reader and an operator see when things go wrong: a binding downgraded by a re-check
 * (its reason in plain words), and a mirror that quarantined links its upstream sent, on the
 * live health view. Real daemons, twitter faked on 127.0.0.1, Chromium headless.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestAvatar, uuidFrom } from '../helpers/avatar.js';
import { json, post, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { FakePlatforms, TWITTER_TOKEN } from '../../scripts/lib/fake-platforms.js';
import { buildExplorer, hasChromium, launchBrowser, type TestBrowser } from './browser.js';
import { startTamperProxy } from './tamper.js';

const ADMIN = 'explorer-admin-token';
let web: Awaited<ReturnType<typeof buildExplorer>>;
let fake: FakePlatforms;
let origin: TestDaemon;
let mirror: TestDaemon;
let liar: Awaited<ReturnType<typeof startTamperProxy>>;
/** in front of the origin: shows carol's downgraded binding as valid (its log says otherwise) */
let whitewash: Awaited<ReturnType<typeof startTamperProxy>>;
let b: TestBrowser;
const carol = new TestAvatar('explorer-operator-carol');
const dave = new TestAvatar('explorer-operator-dave');

async function until<T>(what: string, f: () => Promise<T | undefined | null | false>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v as T;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  web = await buildExplorer();
  fake = await FakePlatforms.start();
  origin = await startDaemon({
    'explorer.assetsDir': web.dir,
    'checkers.enabled': true,
    'checkers.verifyOnSubmit': true,
    'checkers.platforms.twitter.baseUrl': `${fake.base}/twitter`,
    'checkers.platforms.twitter.bearerToken': TWITTER_TOKEN,
    'checkers.platforms.github.baseUrl': `${fake.base}/github`,
    'checkers.platforms.dns.dohUrl': `${fake.base}/dns/dns-query`,
    'checkers.platforms.minds.baseUrl': `${fake.base}/minds`,
    'checkers.platforms.keybase.urlTemplate': `${fake.base}/keybase/{identity}/NextID/{avatar}.json`,
    'checkers.platforms.activitypub.enabled': false,
    'server.adminToken': ADMIN,
    'tlog.checkpointIntervalMs': 100,
  });
  whitewash = await startTamperProxy(origin.url, (path, body) => {
    if (path !== '/v1/proof') return undefined;
    const r = JSON.parse(body) as { ids: Array<{ proofs: Array<Record<string, unknown>> }> };
    for (const a of r.ids) for (const p of a.proofs) if (p['identity'] === 'carol_tw') Object.assign(p, { status: 'valid', is_valid: true, invalid_code: '', invalid_reason: '' });
    return JSON.stringify(r);
  });
  // The mirror follows the origin through a proxy that alters dave's second link in the feed.
  liar = await startTamperProxy(origin.url, (path, body) => {
    if (path !== '/v1/proofchain/changes') return undefined;
    const page = JSON.parse(body) as { links: Array<{ uuid: string; identity: string }> };
    for (const l of page.links) if (l.uuid === uuidFrom('op-dave-1')) l.identity = 'forged';
    return JSON.stringify(page);
  });
  mirror = await startDaemon({ 'explorer.assetsDir': web.dir, 'mirror.upstream': liar.url, 'mirror.pollIntervalMs': 50 });
  if (hasChromium) b = await launchBrowser();
});

afterAll(async () => {
  await b?.close();
  await mirror?.stop();
  await liar?.close();
  await whitewash?.close();
  await origin?.stop();
  await fake?.close();
  web?.remove();
});

describe.skipIf(!hasChromium)('operator and reader views in Chromium', () => {
  it('a binding downgraded by a re-check shows its reason in plain words, with the evidence', async () => {
    const p = await post(`${origin.url}/v1/proof/payload`, { action: 'create', platform: 'twitter', identity: 'carol_tw', public_key: carol.id });
    const sig = carol.sign(p.body.sign_payload);
    fake.tweets.set('4242', { text: (p.body.post_content.default as string).replace('%SIG_BASE64%', sig), authorId: '42', username: 'carol_tw' });
    const r = await post(`${origin.url}/v1/proof`, { action: 'create', platform: 'twitter', identity: 'carol_tw', public_key: carol.id, proof_location: '4242', uuid: p.body.uuid, created_at: p.body.created_at, extra: { signature: sig } });
    expect(r.status).toBe(201);
    const page = await b.newPage();
    await page.goto(`${origin.url}/avatar/${carol.id}`);
    await page.locator('article.binding[data-status="valid"]').waitFor();
    expect(await page.locator('article.binding .meaning').textContent()).toMatch(/proof tweet was found and is signed by this Avatar/);
    // last and next check are times, local and relative (the scheduler set the next one)
    const dd = (label: string) => page.locator('article.binding dl.kv dt', { hasText: new RegExp(`^${label}$`) }).locator('xpath=following-sibling::dd[1]');
    expect(await dd('last checked').locator('time').getAttribute('datetime')).toMatch(/^\d{4}-/);
    expect(Date.parse((await dd('next check').locator('time').getAttribute('datetime'))!)).toBeGreaterThan(Date.now() - 60_000);
    // the tweet is deleted; an operator re-checks now
    fake.tweets.delete('4242');
    const res = await fetch(`${origin.url}/v1/admin/recheck`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` }, body: JSON.stringify({ platform: 'twitter', identity: 'carol_tw', public_key: carol.id }) });
    expect(((await res.json()) as { binding: { status: string } }).binding.status).toBe('invalid');
    await page.reload();
    const card = page.locator('article.binding[data-status="invalid"]');
    await card.waitFor();
    expect(await card.locator('.badge').first().textContent()).toBe('Invalid');
    expect(await card.locator('.meaning').textContent()).toMatch(/The tweet that proved this binding was deleted or can no longer be found \(noticed .+\)\./);
    expect(await card.locator('.reason').textContent()).toMatch(/POST_NOT_FOUND/);
    await card.locator('details.evidence summary').click();
    expect(await card.locator('details.evidence').textContent()).toMatch(/Nothing was found there/);
    // the chain itself is still intact: a downgrade is about the post, not the signatures
    expect(await page.locator('[data-verdict]').getAttribute('data-verdict')).toBe('ok');
    // the state shown is the one the server signed into its log, proven in the page
    await until('the downgrade to be in a signed checkpoint', async () => {
      const t = (await json(`${origin.url}/healthz`)).body.tlog;
      return t.checkpoint?.size === t.size;
    });
    await page.reload();
    const claim = page.locator('[data-claims] tr[data-platform="twitter"]');
    await claim.waitFor();
    expect(await claim.getAttribute('data-claim-state')).toBe('good');
    expect(await claim.textContent()).toMatch(/the signed log agrees: invalid \(POST_NOT_FOUND\) \(checked .+; log entry \d+, proven in the checkpoint of size \d+\)/);
    // a server that shows the downgraded binding as valid is contradicted by its own log
    await page.goto(`${whitewash.url}/avatar/${carol.id}`);
    await page.locator('article.binding[data-status="valid"]').waitFor();
    const lie = page.locator('[data-claims="failed"]');
    await lie.waitFor();
    expect(await lie.locator('[role="alert"]').textContent()).toMatch(/1 binding state shown on this page disagrees/);
    expect(await lie.locator('tr[data-platform="twitter"]').getAttribute('data-claim-state')).toBe('bad');
    expect(await lie.locator('tr[data-platform="twitter"]').textContent()).toMatch(/the server shows valid, but its signed log says invalid \(POST_NOT_FOUND\)/);
    // the operator sees the checkers per platform, with the outcome the re-check just counted
    await page.goto(`${origin.url}/status`);
    const checkers = page.locator('section.card[data-component="checkers"]');
    await checkers.locator('tr[data-platform="twitter"]').waitFor();
    expect(await checkers.locator('tr[data-platform="twitter"] td').allTextContents()).toEqual(['twitter', 'ready', '0']);
    expect(await checkers.textContent()).toMatch(/Since start: \d+ checks, \d+ valid, \d+ invalid/);
    await page.close();
  });

  it('a mirror that quarantined a forged link shows it, with the reason, on the live health view', async () => {
    const links = [dave.link({ prev: null, platform: 'github', identity: 'dave-gh', uuid: uuidFrom('op-dave-0'), created_at: 1_700_000_000 })];
    links.push(dave.link({ prev: links[0]!.signature, platform: 'github', identity: 'dave-2', uuid: uuidFrom('op-dave-1'), created_at: 1_700_000_060 }));
    expect((await post(`${origin.url}/v1/links`, { links: links.map((l) => ({ avatar: dave.id, ...l })) })).body.accepted).toBe(2);
    await until('the mirror to quarantine the forged link', async () => (await json(`${mirror.url}/healthz`)).body.mirror?.faults >= 1);
    const page = await b.newPage();
    await page.goto(`${mirror.url}/status`);
    const card = page.locator('section.card[data-component="mirror"]');
    await card.waitFor();
    expect(await card.getAttribute('class')).toMatch(/warn/);
    const row = card.locator('tr[data-code]').first();
    await row.waitFor();
    expect(await row.getAttribute('data-code')).toBe('PAYLOAD_MISMATCH');
    // lag and how far behind, in words (the mirror is caught up with its liar by now)
    const field = (label: string) => card.locator('dl.kv').first().locator('dt', { hasText: new RegExp(`^${label}$`) }).locator('xpath=following-sibling::dd[1]');
    await until('caught up', async () => (await field('caught up').textContent()) === 'yes');
    expect(await field('lag').textContent()).toBe('none');
    expect(await field('behind').textContent()).toBe('0');
    expect(await card.locator('p').first().textContent()).toMatch(/: caught up; [1-9]\d* quarantined links?\./);
    // shortened on screen, whole in the title
    expect(await row.locator(`span[title="${uuidFrom('op-dave-1')}"]`).count()).toBe(1);
    // live: a new link at the origin reaches the mirror and the open page without a reload
    const before = await card.locator('dd').first().textContent();
    const eve = new TestAvatar('explorer-operator-eve');
    expect((await post(`${origin.url}/v1/links`, { links: [{ avatar: eve.id, ...eve.link({ prev: null, platform: 'github', identity: 'eve-gh', uuid: uuidFrom('op-eve-0'), created_at: 1_700_000_000 }) }] })).body.accepted).toBe(1);
    await until('the page to show the new cursor', async () => (await card.locator('dd').first().textContent()) !== before);
    // the mirror serves the explorer too, and a reader there sees the forged link was kept out
    await page.goto(`${mirror.url}/avatar/${dave.id}`);
    await page.locator('[data-verdict="ok"]').waitFor();
    expect(await page.locator('ol.chain > li').count()).toBe(1);
    expect(b.errors).toEqual([]);
    expect(b.blocked).toEqual([]);
    await page.close();
  });

  it('a mirror daemon standing by while another on its database follows is shown as such, not as behind', async () => {
    // What /healthz says on such a daemon (PostgreSQL, two daemons): following false, not caught up.
    const standby = await startTamperProxy(mirror.url, (path, body) => {
      if (path !== '/healthz') return undefined;
      const h = JSON.parse(body) as { mirror: Record<string, unknown> };
      Object.assign(h.mirror, { following: false, caught_up: false, faults: 0, last_error: null, behind: 3 });
      return JSON.stringify(h);
    });
    try {
      const page = await b.newPage();
      await page.goto(`${standby.url}/status`);
      const card = page.locator('section.card[data-component="mirror"]');
      await card.waitFor();
      expect(await card.locator('p').first().textContent()).toMatch(/: standing by \(another daemon on this database follows the upstream/);
      expect(await card.getAttribute('class')).not.toMatch(/warn|bad/);
      await page.close();
    } finally {
      await standby.close();
    }
  });
});
