/**
 * The explorer in a real headless Chromium against a real daemon (SQLite in a temp dir, HTTP on
 * 127.0.0.1): search by identity, by key in another spelling and by uuid; an Avatar's page with
 * its chain verified in the browser; plain-language states; the page without JavaScript.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestAvatar, uuidFrom } from '../helpers/avatar.js';
import { json, post, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { until } from '../mirror/helpers.js';
import { buildExplorer, hasChromium, launchBrowser, lowestContrast, type TestBrowser } from './browser.js';

let web: Awaited<ReturnType<typeof buildExplorer>>;
let d: TestDaemon;
let b: TestBrowser;
const alice = new TestAvatar('explorer-alice');
// bound an identity that contains alice's twitter handle, on another platform
const carol = new TestAvatar('explorer-carol');

beforeAll(async () => {
  web = await buildExplorer();
  d = await startDaemon({ 'explorer.assetsDir': web.dir });
  const links = [
    alice.link({ prev: null, platform: 'twitter', identity: 'alice_tw', uuid: uuidFrom('ex-a-0'), created_at: 1_700_000_000, proof_location: '111' }),
  ];
  links.push(alice.link({ prev: links[0]!.signature, platform: 'github', identity: 'alice-gh', uuid: uuidFrom('ex-a-1'), created_at: 1_700_000_100 }));
  links.push(alice.link({ prev: links[1]!.signature, platform: 'github', identity: 'alice-gh', action: 'delete', uuid: uuidFrom('ex-a-2'), created_at: 1_700_000_200 }));
  links.push(alice.link({ prev: links[2]!.signature, platform: 'dns', identity: 'alice.example', uuid: uuidFrom('ex-a-3'), created_at: 1_700_000_300 }));
  const r = await post(`${d.url}/v1/links`, { links: links.map((l) => ({ avatar: alice.id, ...l })) });
  expect(r.body.accepted).toBe(4);
  const c = carol.link({ prev: null, platform: 'dns', identity: 'alice_tw.example', uuid: uuidFrom('ex-c-0'), created_at: 1_700_000_400 });
  expect((await post(`${d.url}/v1/links`, { links: [{ avatar: carol.id, ...c }] })).body.accepted).toBe(1);
  if (hasChromium) b = await launchBrowser();
});

afterAll(async () => {
  await b?.close();
  await d?.stop();
  web?.remove();
});

describe.skipIf(!hasChromium)('explorer in Chromium', () => {
  it('search by identity, open the Avatar: bindings with plain states, chain verified in the browser', async () => {
    const page = await b.newPage();
    await page.goto(`${d.url}/`);
    await page.getByLabel('Identity, Avatar key or uuid').fill('alice_tw');
    await page.getByLabel('Identity, Avatar key or uuid').press('Enter');
    await page.getByRole('heading', { name: 'Search results' }).waitFor();
    await page.getByRole('link', { name: alice.id }).click();
    await page.waitForURL(`${d.url}/avatar/${alice.id}`);
    const banner = page.locator('[data-verdict]');
    await banner.waitFor();
    expect(await banner.getAttribute('data-verdict')).toBe('ok');
    expect(await banner.textContent()).toMatch(/All 4 links/);
    // current bindings: twitter and dns (github was unbound), both unchecked here
    const bindings = page.locator('article.binding');
    expect(await bindings.count()).toBe(2);
    expect(await page.locator('article.binding[data-platform="twitter"] .meaning').textContent()).toMatch(/Nobody has fetched the proof post yet/);
    // the chain in prev order, each link verified
    expect(await page.locator('ol.chain > li').evaluateAll((els) => els.map((e) => e.getAttribute('data-code')))).toEqual(['OK', 'OK', 'OK', 'OK']);
    expect(await page.locator('ol.chain > li').nth(2).textContent()).toMatch(/unbound\s*github\s*alice-gh/);
    // this server has a verifiable log: its section is shown, not marked absent (details: log.test.ts)
    expect(await page.locator('section[aria-labelledby="h-log"] [data-absent]').count()).toBe(0);
    expect(await page.locator('section[aria-labelledby="h-log"] [data-log]').count()).toBe(1);
    expect(b.errors).toEqual([]);
    await page.close();
  });

  it('search by identity on one platform: the platform filter narrows the results', async () => {
    const page = await b.newPage();
    await page.goto(`${d.url}/`);
    await page.getByLabel('Identity, Avatar key or uuid').fill('alice_tw');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('heading', { name: 'Search results' }).waitFor();
    await page.locator('.results > li').first().waitFor();
    expect((await page.locator('.results > li > a').allTextContents()).sort()).toEqual([alice.id, carol.id].sort());
    await page.getByLabel('Platform').selectOption('twitter');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(`${d.url}/lookup?q=alice_tw&platform=twitter`);
    await until('one result', () => page.locator('.results > li > a').count(), (n) => n === 1);
    expect(await page.locator('.results > li > a').allTextContents()).toEqual([alice.id]);
    await page.getByLabel('Platform').selectOption('dns');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(`${d.url}/lookup?q=alice_tw&platform=dns`);
    await until('carol alone', () => page.locator('.results > li > a').allTextContents(), (t) => t.join() === carol.id);
    await page.close();
  });

  it('search by the Avatar key in another spelling (uncompressed, no 0x) and by a link uuid', async () => {
    const page = await b.newPage();
    await page.goto(`${d.url}/`);
    const uncompressed = alice.uncompressed.slice(2);
    await page.getByLabel('Identity, Avatar key or uuid').fill(uncompressed.toUpperCase());
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(`${d.url}/avatar/${alice.id}`);
    await page.locator('[data-verdict="ok"]').waitFor();
    await page.goto(`${d.url}/`);
    await page.getByLabel('Identity, Avatar key or uuid').fill(uuidFrom('ex-a-3').toUpperCase());
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(new RegExp(`/avatar/${alice.id}#link-3$`));
    await page.locator('[data-verdict="ok"]').waitFor();
    await page.close();
  });

  it('works from the keyboard alone, and every text on the Avatar page has WCAG AA contrast', async () => {
    const page = await b.newPage();
    await page.goto(`${d.url}/`);
    await page.keyboard.press('Tab'); // skip link
    await page.keyboard.press('Tab'); // brand
    for (let i = 0; i < 3; i++) await page.keyboard.press('Tab'); // nav links
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.id')).toBe('q');
    await page.keyboard.type('alice.example');
    await page.keyboard.press('Enter');
    const link = page.getByRole('link', { name: alice.id });
    await link.waitFor();
    await link.focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(`${d.url}/avatar/${alice.id}`);
    await page.locator('[data-verdict]').waitFor();
    // focus moved to the new page's heading, for screen readers
    expect(await page.evaluate('document.activeElement.tagName')).toBe('H1');
    // contrast of every element that directly holds text, against its effective background
    const worst = await lowestContrast(page);
    expect(worst[1], 'some text was measured').not.toBe('');
    expect(worst[0], `lowest contrast at ${worst[1]}`).toBeGreaterThanOrEqual(4.5);
    expect(worst[0]).toBeLessThan(21.01);
    await page.close();
  });

  it('no request left 127.0.0.1', () => {
    expect(b.blocked).toEqual([]);
  });
});

describe('the lookup route and the served page', () => {
  it('GET /v1/links/by_uuid finds the link in any Avatar; a bad uuid is 400 BAD_UUID', async () => {
    const r = await json(`${d.url}/v1/links/by_uuid?uuid=${uuidFrom('ex-a-1')}`);
    expect(r.status).toBe(200);
    expect(r.body.links).toEqual([{ avatar: alice.id, seq: 1, action: 'create', platform: 'github', identity: 'alice-gh', created_at: 1_700_000_100, uuid: uuidFrom('ex-a-1') }]);
    expect((await json(`${d.url}/v1/links/by_uuid?uuid=${uuidFrom('nobody')}`)).body.links).toEqual([]);
    for (const bad of ['', 'x', `${uuidFrom('ex-a-1')}0`, "' OR 1=1 --"]) {
      const e = await json(`${d.url}/v1/links/by_uuid?uuid=${encodeURIComponent(bad)}`);
      expect([e.status, e.body.code]).toEqual([400, 'BAD_UUID']);
    }
  });
});
