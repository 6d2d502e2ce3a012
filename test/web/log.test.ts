/**
 * The log section of an Avatar's page, verified in Chromium: each link's receipt is checked
 * against the signed checkpoint with the log's verifier key, from entry bytes the page rebuilds
 * itself. A proxy that breaks a proof, or swaps the published key after the reader pinned it, is caught.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestAvatar, uuidFrom } from '../helpers/avatar.js';
import { json, post, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { buildExplorer, hasChromium, launchBrowser, type TestBrowser } from './browser.js';
import { startTamperProxy } from './tamper.js';

const alice = new TestAvatar('explorer-log-alice');
let web: Awaited<ReturnType<typeof buildExplorer>>;
let d: TestDaemon;
let b: TestBrowser;
let liar: Awaited<ReturnType<typeof startTamperProxy>>;
const mode = { breakProof: false, otherKey: '' };

beforeAll(async () => {
  web = await buildExplorer();
  d = await startDaemon({ 'explorer.assetsDir': web.dir, 'tlog.checkpointIntervalMs': 50 });
  const links = [alice.link({ prev: null, platform: 'twitter', identity: 'alice_tw', uuid: uuidFrom('log-a-0'), created_at: 1_700_000_000 })];
  for (let i = 1; i < 5; i++) links.push(alice.link({ prev: links[i - 1]!.signature, platform: 'github', identity: `alice-${i}`, uuid: uuidFrom(`log-a-${i}`), created_at: 1_700_000_000 + i }));
  expect((await post(`${d.url}/v1/links`, { links: links.map((l) => ({ avatar: alice.id, ...l })) })).body.accepted).toBe(5);
  // wait until a signed checkpoint covers all five links
  for (let i = 0; ; i++) {
    const h = await json(`${d.url}/healthz`);
    if ((h.body.tlog?.checkpoint?.size ?? 0) >= 5) break;
    if (i > 600) throw new Error('no checkpoint covering the links');
    await new Promise((r) => setTimeout(r, 50));
  }
  liar = await startTamperProxy(d.url, (path, body) => {
    if (path === '/v1/log/receipt' && mode.breakProof) {
      const r = JSON.parse(body) as { tlog_proof: string | null };
      // flip one character of the first proof hash line (after the header, index and checkpoint size lines)
      if (r.tlog_proof) {
        const lines = r.tlog_proof.split('\n');
        const at = lines.findIndex((l, i) => i > 1 && /^[A-Za-z0-9+/]{43}=$/.test(l));
        if (at > 0) lines[at] = (lines[at]![0] === 'A' ? 'B' : 'A') + lines[at]!.slice(1);
        r.tlog_proof = lines.join('\n');
      }
      return JSON.stringify(r);
    }
    if (path === '/healthz' && mode.otherKey) {
      const h = JSON.parse(body);
      h.tlog.verifier_key = mode.otherKey;
      return JSON.stringify(h);
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

describe.skipIf(!hasChromium)('log inclusion, verified in Chromium', () => {
  it('every link is proven included in the signed checkpoint', async () => {
    const page = await b.newPage();
    await page.goto(`${d.url}/avatar/${alice.id}`);
    const banner = page.locator('[data-log]');
    await banner.waitFor();
    expect(await banner.getAttribute('data-log')).toBe('ok');
    expect(await banner.textContent()).toMatch(/5 of 5 links verified as included/);
    expect(await page.locator('tr[data-log-state="good"]').count()).toBe(5);
    // the health view has a log card with the verifier key
    await page.goto(`${d.url}/status`);
    const card = page.locator('section.card[data-component="log"]');
    await card.waitFor();
    expect(await card.textContent()).toContain((await json(`${d.url}/healthz`)).body.tlog.verifier_key);
    await page.close();
  });

  it('a broken inclusion proof is flagged', async () => {
    mode.breakProof = true;
    try {
      const page = await b.newPage();
      await page.goto(`${liar.url}/avatar/${alice.id}`);
      const banner = page.locator('[data-log]');
      await banner.waitFor();
      expect(await banner.getAttribute('data-log')).toBe('failed');
      expect(await page.locator('tr[data-log-state="bad"]').count()).toBeGreaterThan(0);
      expect(await page.locator('tr[data-log-state="bad"]').first().textContent()).toMatch(/inclusion proof failed/);
      await page.close();
    } finally {
      mode.breakProof = false;
    }
  });

  it('a pinned verifier key holds when the server later publishes another one', async () => {
    const page = await b.newPage();
    await page.goto(`${liar.url}/avatar/${alice.id}`);
    await page.getByRole('button', { name: 'Pin this verifier key in this browser' }).click();
    await page.getByText('Pinned: later visits').waitFor();
    const honest = (await json(`${d.url}/healthz`)).body.tlog.verifier_key as string;
    // the server now claims another key (same name, other bytes); checkpoints are still checked against the pinned one
    mode.otherKey = honest.replace(/\+[A-Za-z0-9+/=]+$/, `+${Buffer.concat([Buffer.from([1]), Buffer.alloc(32, 7)]).toString('base64')}`);
    try {
      await page.reload();
      await page.locator('[data-log="key-changed"]').waitFor();
      expect(await page.locator('[data-log="ok"]').count()).toBe(1);
    } finally {
      mode.otherKey = '';
    }
    expect(b.blocked).toEqual([]);
    expect(b.errors).toEqual([]);
    await page.close();
  });
});
