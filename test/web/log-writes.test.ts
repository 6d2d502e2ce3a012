/**
 * The log section of an Avatar's page lists its KV writes and subkeys with their inclusion
 * proofs, verified in Chromium from entry bytes the page rebuilds from the KV chain and the
 * subkey records it checked itself. A proxy that breaks a proof, or lies about an entry, is caught.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestAvatar, uuidFrom } from '../helpers/avatar.js';
import { json, post, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { kvWrite } from '../helpers/kv.js';
import { buildExplorer, hasChromium, launchBrowser, type TestBrowser } from './browser.js';
import { startTamperProxy } from './tamper.js';

const alice = new TestAvatar('explorer-logw-alice');
const sub = new TestAvatar('explorer-logw-sub');
let web: Awaited<ReturnType<typeof buildExplorer>>;
let d: TestDaemon;
let b: TestBrowser;
let liar: Awaited<ReturnType<typeof startTamperProxy>>;
const mode = { breakProof: false, entry: false };

beforeAll(async () => {
  web = await buildExplorer();
  d = await startDaemon({ 'explorer.assetsDir': web.dir, 'tlog.checkpointIntervalMs': 50 });
  const l = alice.link({ prev: null, platform: 'github', identity: 'alice-logw', uuid: uuidFrom('logw-a-0'), created_at: 1_700_000_000 });
  expect((await post(`${d.url}/v1/links`, { links: [{ avatar: alice.id, ...l }] })).body.accepted).toBe(1);
  expect((await kvWrite(d.url, alice, 'nextid', alice.id, { bio: '<script>window.__pwned=1</script>' })).status).toBe(201);
  const fields = { avatar: alice.id, algorithm: 'secp256k1', public_key: sub.id, rp_id: 'app.example' };
  const p = await post(`${d.url}/v1/subkey/payload`, fields);
  expect((await post(`${d.url}/v1/subkey`, { ...fields, name: '<img src=x onerror=window.__pwned=1>', signature: alice.sign(p.body.sign_payload) })).status).toBe(200);
  const size = (await json(`${d.url}/healthz`)).body.tlog.size as number;
  for (let i = 0; ; i++) {
    if (((await json(`${d.url}/healthz`)).body.tlog?.checkpoint?.size ?? 0) >= size) break;
    if (i > 600) throw new Error('no checkpoint covering the entries');
    await new Promise((r) => setTimeout(r, 50));
  }
  liar = await startTamperProxy(d.url, (path, body) => {
    if (path === '/v1/log/inclusion' && mode.breakProof) {
      const r = JSON.parse(body) as { proof: string[] };
      r.proof = r.proof.map((x, i) => (i === 0 ? (x[0] === 'A' ? 'B' : 'A') + x.slice(1) : x));
      return JSON.stringify(r);
    }
    if (path === '/v1/log/avatar' && mode.entry) {
      // the server claims the subkey was logged under another name (the name is not signed)
      const r = JSON.parse(body) as { entries: Array<Record<string, unknown>> };
      for (const e of r.entries) if (e['kind'] === 'subkey') e['name'] = 'mallory';
      return JSON.stringify(r);
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

describe.skipIf(!hasChromium)('KV writes and subkeys in the log, verified in Chromium', () => {
  it('a KV write and a subkey are shown as included in the signed checkpoint', async () => {
    const page = await b.newPage();
    await page.goto(`${d.url}/avatar/${alice.id}`);
    const banner = page.locator('[data-log-writes]');
    await banner.waitFor();
    expect(await banner.getAttribute('data-log-writes')).toBe('ok');
    expect(await banner.textContent()).toMatch(/2 of 2 KV and subkey entries verified as included/);
    expect(await page.locator('tr[data-entry-kind="kv"][data-entry-state="good"]').count()).toBe(1);
    const subRow = page.locator('tr[data-entry-kind="subkey"][data-entry-state="good"]');
    expect(await subRow.count()).toBe(1);
    // the hostile subkey name is text, not markup
    expect(await subRow.textContent()).toContain('<img src=x onerror=window.__pwned=1> for app.example');
    expect(await page.evaluate('typeof window.__pwned')).toBe('undefined');
    expect(b.errors).toEqual([]);
    await page.close();
  });

  it('a tampered inclusion proof is flagged', async () => {
    mode.breakProof = true;
    try {
      const page = await b.newPage();
      await page.goto(`${liar.url}/avatar/${alice.id}`);
      const banner = page.locator('[data-log-writes]');
      await banner.waitFor();
      expect(await banner.getAttribute('data-log-writes')).toBe('failed');
      expect(await page.locator('tr[data-entry-kind="kv"][data-entry-state="bad"]').textContent()).toMatch(/inclusion proof failed/);
      expect(await page.locator('tr[data-entry-kind="subkey"][data-entry-state="bad"]').count()).toBeGreaterThan(0);
      await page.close();
    } finally {
      mode.breakProof = false;
    }
  });

  it('a tampered entry is flagged', async () => {
    mode.entry = true;
    try {
      const page = await b.newPage();
      await page.goto(`${liar.url}/avatar/${alice.id}`);
      const banner = page.locator('[data-log-writes]');
      await banner.waitFor();
      expect(await banner.getAttribute('data-log-writes')).toBe('failed');
      expect(await page.locator('tr[data-entry-kind="subkey"][data-entry-state="bad"]').first().textContent()).toMatch(/mallory.*inclusion proof failed/);
      expect(await page.locator('tr[data-entry-kind="kv"][data-entry-state="good"]').count()).toBe(1);
      expect(b.blocked).toEqual([]);
      await page.close();
    } finally {
      mode.entry = false;
    }
  });
});
