/**
 * A server that lies and data that attacks: the page must flag a tampered chain from its own
 * verification, and show hostile identities, post texts and URLs as inert text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestAvatar, uuidFrom } from '../helpers/avatar.js';
import { post, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { buildExplorer, hasChromium, launchBrowser, type TestBrowser } from './browser.js';
import { startTamperProxy } from './tamper.js';

const HOSTILE = ['<script>window.__pwned=1</script>', 'javascript:window.__pwned=1', '<img src=x onerror="window.__pwned=1">'];
const alice = new TestAvatar('explorer-hostile-alice');
const bob = new TestAvatar('explorer-hostile-bob');
const mallory = new TestAvatar('explorer-hostile-mallory');
const carol = new TestAvatar('explorer-hostile-carol');
let aliceDoc = '';
let web: Awaited<ReturnType<typeof buildExplorer>>;
let d: TestDaemon;
let b: TestBrowser;
let liar: Awaited<ReturnType<typeof startTamperProxy>>;

function chainOf(a: TestAvatar, specs: Array<{ platform: string; identity: string; proof_location?: string }>, tag: string) {
  const out: ReturnType<TestAvatar['link']>[] = [];
  specs.forEach((s, i) => out.push(a.link({ prev: out[i - 1]?.signature ?? null, ...s, uuid: uuidFrom(`${tag}-${i}`), created_at: 1_700_000_000 + i * 60 })));
  return out.map((l) => ({ avatar: a.id, ...l }));
}

beforeAll(async () => {
  web = await buildExplorer();
  d = await startDaemon({ 'explorer.assetsDir': web.dir });
  const links = [
    ...chainOf(alice, [{ platform: 'twitter', identity: 'alice_tw' }, { platform: 'github', identity: 'alice-gh' }, { platform: 'dns', identity: 'alice.example' }], 'h-alice'),
    ...chainOf(bob, HOSTILE.map((identity, i) => ({ platform: 'twitter', identity, proof_location: i === 1 ? 'javascript:window.__pwned=1' : String(100 + i) })), 'h-bob'),
    ...chainOf(mallory, [{ platform: 'twitter', identity: 'mallory' }], 'h-mallory'),
    ...chainOf(carol, [{ platform: 'twitter', identity: 'carol0' }, { platform: 'github', identity: 'carol1' }, { platform: 'dns', identity: 'carol2.example' }], 'h-carol'),
  ];
  const r = await post(`${d.url}/v1/links`, { links });
  expect(r.body.rejected).toBe(0);
  // a subkey whose name and relying party are hostile text
  const sub = { avatar: bob.id, algorithm: 'secp256k1', public_key: mallory.id, rp_id: 'javascript:window.__pwned=1' };
  const sp = await post(`${d.url}/v1/subkey/payload`, sub);
  expect((await post(`${d.url}/v1/subkey`, { ...sub, name: HOSTILE[2], signature: bob.sign(sp.body.sign_payload) })).status).toBe(200);
  aliceDoc = await (await fetch(`${d.url}/v1/chain/${alice.id}`)).text();
  // The liar: alice's link 1 names another identity (signature kept); bob's evidence is hostile;
  // mallory's chain is answered with alice's (honest) one; carol's links come in reverse order.
  liar = await startTamperProxy(d.url, (path, body) => {
    if (path === `/v1/chain/${mallory.id}`) return aliceDoc;
    if (path === `/v1/chain/${carol.id}`) {
      const doc = JSON.parse(body);
      doc.links.reverse();
      return JSON.stringify(doc);
    }
    if (path === `/v1/chain/${alice.id}`) {
      const doc = JSON.parse(body);
      doc.links[1].identity = 'mallory-gh';
      return JSON.stringify(doc);
    }
    if (path === '/v1/proof/evidence' && body.includes(bob.id)) {
      const ev = JSON.parse(body);
      ev.evidence = { url: 'javascript:window.__pwned=1', text: `${HOSTILE[0]}\n<a href="javascript:window.__pwned=1">click</a>`, fetched_at: '1700000000', outcome: 'invalid' };
      return JSON.stringify(ev);
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

describe.skipIf(!hasChromium)('a lying server, seen in Chromium', () => {
  it('a tampered chain is flagged by the in-browser verifier: the altered link and everything after it', async () => {
    const page = await b.newPage();
    await page.goto(`${liar.url}/avatar/${alice.id}`);
    const banner = page.locator('[data-verdict]');
    await banner.waitFor();
    expect(await banner.getAttribute('data-verdict')).toBe('failed');
    expect(await banner.textContent()).toMatch(/1 of 3 links verified/);
    expect(await page.locator('ol.chain > li').evaluateAll((els) => els.map((e) => e.getAttribute('data-code')))).toEqual(['OK', 'PAYLOAD_MISMATCH', 'BROKEN_ANCESTOR']);
    expect(await page.locator('ol.chain > li').nth(1).locator('.problem').textContent()).toMatch(/the link was altered/);
    // the same page straight from the honest daemon verifies
    await page.goto(`${d.url}/avatar/${alice.id}`);
    await page.locator('[data-verdict="ok"]').waitFor();
    await page.close();
  });

  it('another Avatar\'s (valid) chain is refused; links sent out of order are put in prev order and verify', async () => {
    const page = await b.newPage();
    await page.goto(`${liar.url}/avatar/${mallory.id}`);
    const banner = page.locator('[data-verdict]');
    await banner.waitFor();
    expect(await banner.getAttribute('data-verdict')).toBe('failed');
    expect(await banner.textContent()).toContain(`the server sent the chain of another Avatar (${alice.id})`);
    await page.goto(`${liar.url}/avatar/${carol.id}`);
    await page.locator('[data-verdict="ok"]').waitFor();
    expect(await page.locator('ol.chain > li .identity').allTextContents()).toEqual(['carol0', 'carol1', 'carol2.example']);
    await page.close();
  });

  it('hostile identities, post text and URLs are shown as text; nothing runs, no javascript: link exists', async () => {
    const page = await b.newPage();
    await page.goto(`${liar.url}/avatar/${bob.id}`);
    await page.locator('[data-verdict="ok"]').waitFor();
    const identities = await page.locator('article.binding .identity').allTextContents();
    expect(identities.sort()).toEqual([...HOSTILE].sort());
    for (const details of await page.locator('details.evidence').all()) await details.locator('summary').click();
    const posts = await page.locator('pre.post').allTextContents();
    expect(posts.length).toBeGreaterThan(0);
    expect(posts.every((t) => t.startsWith(HOSTILE[0]!))).toBe(true);
    // the subkey's hostile name and relying party are table text
    expect(await page.locator('section[aria-labelledby="h-subkeys"] td').allTextContents()).toEqual(expect.arrayContaining([HOSTILE[2], 'javascript:window.__pwned=1']));
    // the hostile evidence URL is printed, not linked
    expect(await page.locator('details.evidence span.mono', { hasText: 'javascript:window.__pwned=1' }).count()).toBeGreaterThan(0);
    expect(await page.locator('a[href^="javascript:" i], #view img, #view script, [onerror]').count()).toBe(0);
    expect(await page.evaluate('typeof window.__pwned')).toBe('undefined');
    // the search results list them as text too
    await page.goto(`${liar.url}/lookup?q=${encodeURIComponent('<script>')}`);
    await page.getByRole('heading', { name: 'Search results' }).waitFor();
    await page.locator('.results .identity').first().waitFor();
    expect(await page.locator('.results .identity').allTextContents()).toContain(HOSTILE[0]);
    expect(await page.evaluate('typeof window.__pwned')).toBe('undefined');
    expect(b.errors).toEqual([]);
    await page.close();
  });

  it('without JavaScript the server-rendered lookup shows bindings and states, escaped', async () => {
    const nojs = await launchBrowser({ javaScript: false });
    try {
      const page = await nojs.newPage();
      await page.goto(`${d.url}/`);
      await page.getByLabel('Identity, Avatar key or uuid').fill(bob.id);
      await page.getByRole('button', { name: 'Search' }).click();
      await page.waitForURL(`${d.url}/avatar/${bob.id}`);
      expect((await page.locator('article.binding .identity').allTextContents()).sort()).toEqual([...HOSTILE].sort());
      expect(await page.locator('article.binding .badge').first().textContent()).toBe('Not checked');
      expect(await page.locator('a[href^="javascript:" i], #view img, #view script').count()).toBe(0);
      expect(await page.textContent('#view')).toMatch(/server’s word only/);
      await page.goto(`${d.url}/lookup?q=alice_tw&platform=twitter`);
      await page.getByRole('link', { name: alice.id }).click();
      await page.waitForURL(`${d.url}/avatar/${alice.id}`);
      expect(await page.locator('article.binding').count()).toBe(3);
      expect(nojs.blocked).toEqual([]);
    } finally {
      await nojs.close();
    }
  });

  it('no request left 127.0.0.1', () => {
    expect(b.blocked).toEqual([]);
  });
});

describe('the server-rendered HTML', () => {
  it('escapes every hostile value and carries the CSP', async () => {
    const res = await fetch(`${d.url}/avatar/${bob.id}`);
    const html = await res.text();
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(res.headers.get('content-security-policy')).not.toMatch(/unsafe-inline/);
    for (const h of HOSTILE.filter((x) => x.includes('<'))) expect(html).not.toContain(h);
    expect(html).toContain('&lt;script&gt;window.__pwned=1&lt;/script&gt;');
    expect(html).not.toMatch(/href="javascript:/i);
  });

  it('fingerprinted assets are cacheable forever; the shell is revalidated; unknown assets 404', async () => {
    const shell = await fetch(`${d.url}/`);
    expect(shell.headers.get('cache-control')).toBe('no-cache');
    const src = /src="(\/assets\/[^"]+\.js)"/.exec(await shell.text())?.[1];
    expect(src).toMatch(/^\/assets\/index-[\w-]+\.js$/);
    const js = await fetch(`${d.url}${src}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    const again = await fetch(`${d.url}${src}`, { headers: { 'if-none-match': js.headers.get('etag')! } });
    expect(again.status).toBe(304);
    const missing = await fetch(`${d.url}/assets/nope.js`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { code: string }).code).toBe('NOT_FOUND');
  });
});
