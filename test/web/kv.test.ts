/**
 * The KV section of an Avatar's page in Chromium: the KV chain verified in the browser, content
 * rebuilt from the verified writes, hostile values shown as text, and a server that reports other
 * content than its writes make (or alters a write) caught.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestAvatar, uuidFrom } from '../helpers/avatar.js';
import { post, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { kvWrite } from '../helpers/kv.js';
import { buildExplorer, hasChromium, launchBrowser, type TestBrowser } from './browser.js';
import { startTamperProxy } from './tamper.js';

const HOSTILE = { bio: '<script>window.__pwned=1</script>', site: 'javascript:window.__pwned=1', '<img src=x onerror=window.__pwned=1>': 1 };
const alice = new TestAvatar('explorer-kv-alice');
let web: Awaited<ReturnType<typeof buildExplorer>>;
let d: TestDaemon;
let b: TestBrowser;
let liar: Awaited<ReturnType<typeof startTamperProxy>>;
const mode = { content: false, write: false };

beforeAll(async () => {
  web = await buildExplorer();
  d = await startDaemon({ 'explorer.assetsDir': web.dir });
  const l = alice.link({ prev: null, platform: 'github', identity: 'alice-kv', uuid: uuidFrom('kv-a-0'), created_at: 1_700_000_000 });
  expect((await post(`${d.url}/v1/links`, { links: [{ avatar: alice.id, ...l }] })).body.accepted).toBe(1);
  expect((await kvWrite(d.url, alice, 'nextid', alice.id, HOSTILE)).status).toBe(201);
  expect((await kvWrite(d.url, alice, 'nextid', alice.id, { site: null, tip: { eth: '0xabc' } })).status).toBe(201);
  liar = await startTamperProxy(d.url, (path, body) => {
    if (path === '/v1/kv' && mode.content) {
      const v = JSON.parse(body);
      v.proofs[0].content.tip.eth = '0xmallory';
      return JSON.stringify(v);
    }
    if (path === `/v1/kv/chain/${alice.id}` && mode.write) {
      const doc = JSON.parse(body);
      doc.writes[1].patch.tip.eth = '0xmallory';
      return JSON.stringify(doc);
    }
    return undefined;
  });
  if (hasChromium) b = await launchBrowser();
});

afterAll(async () => {
  await b?.close();
  await liar?.close();
  await d?.stop();
  web?.remove();
});

describe.skipIf(!hasChromium)('KV data in Chromium', () => {
  it('verified in the browser; content rebuilt from the writes; hostile values are text', async () => {
    const page = await b.newPage();
    await page.goto(`${d.url}/avatar/${alice.id}`);
    const banner = page.locator('[data-kv]');
    await banner.waitFor();
    expect(await banner.getAttribute('data-kv')).toBe('ok');
    expect(await banner.textContent()).toMatch(/All 2 KV writes verified/);
    const shown = JSON.parse((await page.locator(`article.kvns[data-namespace="nextid/${alice.id}"] pre`).first().textContent())!);
    expect(shown).toEqual({ bio: HOSTILE.bio, '<img src=x onerror=window.__pwned=1>': 1, tip: { eth: '0xabc' } });
    expect(await page.locator('#view img, #view script, a[href^="javascript:" i]').count()).toBe(0);
    expect(await page.evaluate('typeof window.__pwned')).toBe('undefined');
    await page.close();
  });

  it('a server reporting other content than its verified writes make is caught', async () => {
    mode.content = true;
    try {
      const page = await b.newPage();
      await page.goto(`${liar.url}/avatar/${alice.id}`);
      const banner = page.locator('[data-kv]');
      await banner.waitFor();
      expect(await banner.getAttribute('data-kv')).toBe('failed');
      expect(await page.locator('article.kvns .problem').first().textContent()).toMatch(/reports other content/);
      await page.close();
    } finally {
      mode.content = false;
    }
  });

  it('an altered write fails verification and its content is not shown as the Avatar\'s', async () => {
    mode.write = true;
    try {
      const page = await b.newPage();
      await page.goto(`${liar.url}/avatar/${alice.id}`);
      const banner = page.locator('[data-kv]');
      await banner.waitFor();
      expect(await banner.getAttribute('data-kv')).toBe('failed');
      expect(await banner.textContent()).toMatch(/1 of 2 KV writes verified/);
      expect(await page.locator('section[aria-labelledby="h-kv"] li[data-code]').count()).toBeGreaterThan(0);
      expect(b.blocked).toEqual([]);
      expect(b.errors).toEqual([]);
      await page.close();
    } finally {
      mode.write = false;
    }
  });
});
