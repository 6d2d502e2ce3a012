/**
 * A stale binding as a reader sees it: a valid binding whose platform then fails every re-check
 * (HTTP 500, a transient failure, never a verdict) turns stale after `staleAfterFailures` in a row,
 * and the page says what that means. The state is produced for real: a daemon with its checkers
 * pointed at the fake twitter on 127.0.0.1, re-checked through the admin route (no clock, no
 * sleeps). Chromium headless.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestAvatar } from '../helpers/avatar.js';
import { json, post, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { FakePlatforms, TWITTER_TOKEN } from '../../scripts/lib/fake-platforms.js';
import { buildExplorer, hasChromium, launchBrowser, type TestBrowser } from './browser.js';

const ADMIN = 'explorer-stale-admin-token';
let web: Awaited<ReturnType<typeof buildExplorer>>;
let fake: FakePlatforms;
let origin: TestDaemon;
let b: TestBrowser;
const frank = new TestAvatar('explorer-stale-frank');

async function until<T>(what: string, f: () => Promise<T | undefined | null | false>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v as T;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const recheck = async () => {
  const res = await fetch(`${origin.url}/v1/admin/recheck`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` }, body: JSON.stringify({ platform: 'twitter', identity: 'frank_tw', public_key: frank.id }) });
  expect(res.status).toBe(200);
  return (await res.json()) as { result: { kind: string; code?: string }; binding: { status: string; last_checked_at: number | string; consecutive_failures: number } };
};

beforeAll(async () => {
  web = await buildExplorer();
  fake = await FakePlatforms.start();
  origin = await startDaemon({
    'explorer.assetsDir': web.dir,
    'checkers.enabled': true,
    'checkers.verifyOnSubmit': true,
    // two transient failures in a row make a valid binding stale (the default is 8)
    'checkers.staleAfterFailures': 2,
    'checkers.platforms.twitter.baseUrl': `${fake.base}/twitter`,
    'checkers.platforms.twitter.bearerToken': TWITTER_TOKEN,
    'checkers.platforms.twitter.limit.intervalMs': 50,
    'checkers.platforms.github.enabled': false,
    'checkers.platforms.dns.enabled': false,
    'checkers.platforms.minds.enabled': false,
    'checkers.platforms.keybase.enabled': false,
    'checkers.platforms.discord.enabled': false,
    'checkers.platforms.activitypub.enabled': false,
    'server.adminToken': ADMIN,
    'tlog.checkpointIntervalMs': 100,
  });
  if (hasChromium) b = await launchBrowser();
});

afterAll(async () => {
  await b?.close();
  await origin?.stop();
  await fake?.close();
  web?.remove();
});

describe.skipIf(!hasChromium)('a stale binding in Chromium', () => {
  it('a valid binding whose platform keeps failing is shown as stale, with what that means', async () => {
    const p = await post(`${origin.url}/v1/proof/payload`, { action: 'create', platform: 'twitter', identity: 'frank_tw', public_key: frank.id });
    const sig = frank.sign(p.body.sign_payload);
    fake.tweets.set('5151', { text: (p.body.post_content.default as string).replace('%SIG_BASE64%', sig), authorId: '51', username: 'frank_tw' });
    const r = await post(`${origin.url}/v1/proof`, { action: 'create', platform: 'twitter', identity: 'frank_tw', public_key: frank.id, proof_location: '5151', uuid: p.body.uuid, created_at: p.body.created_at, extra: { signature: sig } });
    expect(r.status).toBe(201);
    // twitter goes down: each re-check is a transient failure, the first one leaves it valid
    fake.fault.twitter = 'http500';
    const first = await recheck();
    expect(first.result).toMatchObject({ kind: 'transient' });
    expect(first.binding.status).toBe('valid');
    const second = await recheck();
    expect(second.result).toMatchObject({ kind: 'transient' });
    expect(second.binding).toMatchObject({ status: 'stale', consecutive_failures: 2 });
    // the last success is still the check on submit
    expect(Number(second.binding.last_checked_at)).toBe(Number(first.binding.last_checked_at));
    expect(Number(second.binding.last_checked_at)).toBeGreaterThan(0);

    const page = await b.newPage();
    await page.goto(`${origin.url}/avatar/${frank.id}`);
    const card = page.locator('article.binding[data-platform="twitter"]');
    await card.waitFor();
    expect(await card.getAttribute('data-status')).toBe('stale');
    expect(await card.getAttribute('class')).toMatch(/\bwarn\b/);
    expect(await card.locator('.badge').first().textContent()).toBe('Stale');
    const meaning = (await card.locator('.meaning').textContent())!;
    expect(meaning).toMatch(/^It was valid, but it could not be re-checked for a long time \(last success .+\); the platform may be unreachable\. Treat it with care\.$/);
    // "last success" is the time of the last valid check, the one shown under "last checked"
    const dd = (label: string) => card.locator('dl.kv dt', { hasText: new RegExp(`^${label}$`) }).locator('xpath=following-sibling::dd[1]');
    const lastChecked = dd('last checked').locator('time');
    expect(await lastChecked.getAttribute('datetime')).toBe(new Date(Number(second.binding.last_checked_at) * 1000).toISOString());
    const localTime = /\((.+)\)$/.exec((await lastChecked.textContent())!)![1]!;
    expect(meaning).toContain(`(last success ${localTime})`);
    // why: the failures the scheduler counted, in a row
    expect(await dd('last check error').textContent()).toMatch(/: .+ \(2 in a row\)$/);
    // a stale binding is not a failed one: no reason line, and the chain itself verified
    expect(await card.locator('.reason').count()).toBe(0);
    expect(await page.locator('[data-verdict]').getAttribute('data-verdict')).toBe('ok');

    // the signed log still says valid (transient failures are never logged as a verdict), and the
    // page counts "stale" as agreeing with it
    await until('the valid check to be in a signed checkpoint', async () => {
      const t = (await json(`${origin.url}/healthz`)).body.tlog;
      return t.checkpoint?.size === t.size;
    });
    await page.reload();
    const claim = page.locator('[data-claims] tr[data-platform="twitter"]');
    await claim.waitFor();
    expect(await claim.getAttribute('data-claim-state')).toBe('good');
    expect(await claim.textContent()).toMatch(/the signed log agrees: valid/);

    // without JavaScript the server-rendered page says the same
    const html = await (await fetch(`${origin.url}/avatar/${frank.id}`)).text();
    expect(html).toMatch(/<article class="binding warn" data-status="stale">/);
    expect(html).toMatch(/<span class="badge warn">Stale<\/span> <span class="meaning">It was valid, but it could not be re-checked for a long time \(last success [^)]+ UTC\); the platform may be unreachable\. Treat it with care\.<\/span>/);

    expect(b.errors).toEqual([]);
    expect(b.blocked).toEqual([]);
    await page.close();
  });
});
