/**
 * The archive section of an Avatar's page with the real archive on (embedded Helia, the local
 * devnet): the archived version's CID links to this daemon's own gateway, which serves the very
 * chain document; the Arweave tx is shown with its confirmations; the health view shows the queue.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestAvatar, uuidFrom } from '../helpers/avatar.js';
import { json, post, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { buildExplorer, hasChromium, launchBrowser, type TestBrowser } from './browser.js';
import { startTamperProxy } from './tamper.js';

const alice = new TestAvatar('explorer-archive-alice');
let web: Awaited<ReturnType<typeof buildExplorer>>;
let d: TestDaemon;
let b: TestBrowser;
/** in front of d: reports pending jobs for alice, with a hostile last error */
let stuck: Awaited<ReturnType<typeof startTamperProxy>>;
let pins: Awaited<ReturnType<typeof startTamperProxy>>;
const HOSTILE_ERROR = '<img src=x onerror="window.__pwned=1">';

async function until<T>(what: string, f: () => Promise<T | undefined | null | false>, ms = 90_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v as T;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  web = await buildExplorer();
  d = await startDaemon({
    'explorer.assetsDir': web.dir, 'archive.enabled': true,
    'archive.coalesceMs': 100, 'archive.pollMs': 50, 'archive.arweave.devnet.mineIntervalMs': 300, 'archive.arweave.confirmPollMs': 200,
  });
  await until('archive ready', async () => (await json(`${d.url}/healthz`)).body.archive?.ready === true);
  const l = alice.link({ prev: null, platform: 'github', identity: 'alice-archived', uuid: uuidFrom('arch-a-0'), created_at: 1_700_000_000 });
  expect((await post(`${d.url}/v1/links`, { links: [{ avatar: alice.id, ...l }] })).body.accepted).toBe(1);
  await until('a confirmed archived version', async () => {
    const a = await json(`${d.url}/v1/chain/${alice.id}/archive`);
    return a.body.versions?.some((v: { confirmations: number | null; cid: string | null }) => v.cid && (v.confirmations ?? 0) >= 1);
  });
  stuck = await startTamperProxy(d.url, (path, body) => {
    if (path !== `/v1/chain/${alice.id}/archive`) return undefined;
    const a = JSON.parse(body) as { pending: Record<string, unknown> };
    a.pending = { jobs: 2, attempts: 5, next_attempt_at: new Date(Date.now() + 7_200_000).toISOString(), last_error: HOSTILE_ERROR };
    return JSON.stringify(a);
  });
  pins = await startTamperProxy(d.url, (path, body) => {
    if (path !== `/v1/chain/${alice.id}/archive`) return undefined;
    const a = JSON.parse(body) as { versions: Array<Record<string, unknown>> };
    const states = ['queued', 'pinning', 'pinned', 'failed'];
    a.versions = a.versions.map((v, i) => ({ ...v, kubo_status: 'pinned', pinning_service_status: states[i % 4], pinning_service_attempts: 3, pinning_service_error: HOSTILE_ERROR }));
    // at least one version in each state
    while (a.versions.length < 4) a.versions.push({ ...a.versions[0]!, links: a.versions.length + 1, pinning_service_status: states[a.versions.length % 4] });
    return JSON.stringify(a);
  });
  if (hasChromium) b = await launchBrowser();
});

afterAll(async () => {
  await b?.close();
  await stuck?.close();
  await pins?.close();
  await d?.stop();
  web?.remove();
});

describe.skipIf(!hasChromium)('archive state in Chromium', () => {
  it('shows the CID (linked to this daemon\'s gateway, which serves the same document) and the Arweave tx with confirmations', async () => {
    const page = await b.newPage();
    await page.goto(`${d.url}/avatar/${alice.id}`);
    const section = page.locator('section[aria-labelledby="h-archive"]');
    const cid = section.locator('a[href^="/ipfs/"]');
    await cid.waitFor();
    expect(await section.textContent()).toMatch(/\d+ confirmations?/);
    const href = (await cid.getAttribute('href'))!;
    const served = await (await fetch(`${d.url}${href}`)).text();
    expect(JSON.parse(served)).toEqual(JSON.parse(await (await fetch(`${d.url}/v1/chain/${alice.id}`)).text()));
    await page.goto(`${d.url}/status`);
    const card = page.locator('section.card[data-component="archive"]');
    await card.waitFor();
    expect(await card.textContent()).toMatch(/jobs? in the archive queue/);
    expect(b.blocked).toEqual([]);
    expect(b.errors).toEqual([]);
    await page.close();
  });

  it('shows each version\'s remote pin states (Kubo, the pinning service\'s queued → pinning → pinned | failed) only where they are used', async () => {
    const page = await b.newPage();
    await page.goto(`${d.url}/avatar/${alice.id}`);
    await page.locator('section[aria-labelledby="h-archive"] table').waitFor();
    // this daemon pins to neither: no column
    expect(await page.locator('section[aria-labelledby="h-archive"] th', { hasText: 'remote pins' }).count()).toBe(0);
    await page.goto(`${pins.url}/avatar/${alice.id}`);
    const cells = page.locator('section[aria-labelledby="h-archive"] td[data-remote-pins]');
    await cells.first().waitFor();
    const texts = await cells.allTextContents();
    expect(texts.length).toBeGreaterThanOrEqual(4);
    for (const state of ['queued', 'pinning', 'pinned']) expect(texts).toContain(`Kubo: pinned; pinning service: ${state} (3 attempts)`);
    expect(texts.find((t) => t.includes('failed'))).toBe(`Kubo: pinned; pinning service: failed (3 attempts) — ${HOSTILE_ERROR}`);
    expect(await page.locator('#view img').count()).toBe(0);
    expect(await page.evaluate('typeof window.__pwned')).toBe('undefined');
    expect(b.errors).toEqual([]);
    await page.close();
  });

  it('shows pending jobs with their attempts, last error (as text) and next attempt', async () => {
    const page = await b.newPage();
    await page.goto(`${d.url}/avatar/${alice.id}`);
    expect(await page.locator('section[aria-labelledby="h-archive"] [data-pending]').textContent()).toBe('No archive jobs pending.');
    await page.goto(`${stuck.url}/avatar/${alice.id}`);
    const pending = page.locator('section[aria-labelledby="h-archive"] [data-pending="2"]');
    await pending.waitFor();
    expect(await pending.textContent()).toMatch(/^2 archive jobs pending \(5 attempts so far, last error: <img src=x onerror="window.__pwned=1">\), next attempt in 2 hours \(.+\)\.$/);
    expect(await pending.locator('time').getAttribute('datetime')).toMatch(/^\d{4}-/);
    expect(await page.locator('#view img').count()).toBe(0);
    expect(await page.evaluate('typeof window.__pwned')).toBe('undefined');
    expect(b.errors).toEqual([]);
    await page.close();
  });
});
