/**
 * Screenshots of the explorer's main views for docs/ (npm run build:web first, or it builds):
 * node --import tsx scripts/explorer-screenshots.ts. Everything runs on 127.0.0.1: a daemon with
 * demo data, twitter faked, a mirror behind a lying proxy, a witnessing mirror whose upstream
 * later forks its log (the mirror tests' fork setup), Chromium headless.
 */
import { fileURLToPath } from 'node:url';
import { TestAvatar, uuidFrom } from '../test/helpers/avatar.js';
import { post, startDaemon } from '../test/helpers/daemon.js';
import { FakePlatforms, TWITTER_TOKEN } from './lib/fake-platforms.js';
import { buildExplorer, launchBrowser } from '../test/web/browser.js';
import { startTamperProxy } from '../test/web/tamper.js';
import { startFork, startSwitchProxy } from '../test/mirror/fork.js';
import { health, until } from '../test/mirror/helpers.js';

const out = (name: string) => fileURLToPath(new URL(`../docs/explorer-${name}.png`, import.meta.url));
const web = await buildExplorer();
const fake = await FakePlatforms.start();
const admin = 'screenshot-admin';
const origin = await startDaemon({
  'explorer.assetsDir': web.dir, 'checkers.enabled': true, 'checkers.verifyOnSubmit': true, 'server.adminToken': admin,
  'checkers.platforms.twitter.baseUrl': `${fake.base}/twitter`, 'checkers.platforms.twitter.bearerToken': TWITTER_TOKEN,
  'checkers.platforms.github.baseUrl': `${fake.base}/github`, 'checkers.platforms.dns.dohUrl': `${fake.base}/dns/dns-query`,
  'checkers.platforms.minds.baseUrl': `${fake.base}/minds`, 'checkers.platforms.keybase.urlTemplate': `${fake.base}/keybase/{identity}/NextID/{avatar}.json`,
  'checkers.platforms.activitypub.enabled': false,
});
const alice = new TestAvatar('screenshots-alice');
// twitter: bound with a real (faked) tweet, then the tweet deleted and re-checked → invalid
const p = await post(`${origin.url}/v1/proof/payload`, { action: 'create', platform: 'twitter', identity: 'alice_tw', public_key: alice.id });
const sig = alice.sign(p.body.sign_payload);
fake.tweets.set('1720000000000000001', { text: (p.body.post_content.default as string).replace('%SIG_BASE64%', sig), authorId: '42', username: 'alice_tw' });
await post(`${origin.url}/v1/proof`, { action: 'create', platform: 'twitter', identity: 'alice_tw', public_key: alice.id, proof_location: '1720000000000000001', uuid: p.body.uuid, created_at: p.body.created_at, extra: { signature: sig } });
const q = await post(`${origin.url}/v1/proof/payload`, { action: 'create', platform: 'twitter', identity: 'alice_alt', public_key: alice.id });
const sig2 = alice.sign(q.body.sign_payload);
fake.tweets.set('1720000000000000002', { text: (q.body.post_content.default as string).replace('%SIG_BASE64%', sig2), authorId: '43', username: 'alice_alt' });
await post(`${origin.url}/v1/proof`, { action: 'create', platform: 'twitter', identity: 'alice_alt', public_key: alice.id, proof_location: '1720000000000000002', uuid: q.body.uuid, created_at: q.body.created_at, extra: { signature: sig2 } });
fake.tweets.delete('1720000000000000001');
await fetch(`${origin.url}/v1/admin/recheck`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` }, body: JSON.stringify({ platform: 'twitter', identity: 'alice_tw', public_key: alice.id }) });
const bob = new TestAvatar('screenshots-bob');
const links = [bob.link({ prev: null, platform: 'github', identity: 'bob-dev', uuid: uuidFrom('shot-b-0'), created_at: Math.floor(Date.now() / 1000) - 86400 * 40 })];
links.push(bob.link({ prev: links[0]!.signature, platform: 'dns', identity: 'bob.example', uuid: uuidFrom('shot-b-1'), created_at: Math.floor(Date.now() / 1000) - 86400 * 3 }));
links.push(bob.link({ prev: links[1]!.signature, platform: 'twitter', identity: '<script>alert(1)</script>', uuid: uuidFrom('shot-b-2'), created_at: Math.floor(Date.now() / 1000) - 3600 }));
await post(`${origin.url}/v1/links`, { links: links.map((l) => ({ avatar: bob.id, ...l })) });
const liar = await startTamperProxy(origin.url, (path, body) => {
  if (path === `/v1/chain/${bob.id}`) {
    const doc = JSON.parse(body);
    doc.links[1].identity = 'mallory.example';
    return JSON.stringify(doc);
  }
  if (path === '/v1/proofchain/changes') {
    const page = JSON.parse(body) as { links: Array<{ uuid: string; identity: string }> };
    for (const l of page.links) if (l.uuid === uuidFrom('shot-b-1')) l.identity = 'forged.example';
    return JSON.stringify(page);
  }
  return undefined;
});
const mirror = await startDaemon({ 'explorer.assetsDir': web.dir, 'mirror.upstream': liar.url, 'mirror.pollIntervalMs': 100 });
// A second mirror witnesses the origin's log through a proxy that can later point at a fork.
const switcher = await startSwitchProxy(origin.url);
const witness = await startDaemon({
  'explorer.assetsDir': web.dir, 'mirror.upstream': switcher.url, 'mirror.pollIntervalMs': 100, 'mirror.backoffBaseMs': 50, 'mirror.backoffMaxMs': 500,
  'mirror.upstreamVerifierKey': (await health(origin.url)).tlog.verifier_key, 'mirror.witnessName': 'mirror.example/witness',
});
let fork: Awaited<ReturnType<typeof startFork>> | null = null;
const b = await launchBrowser();
try {
  const page = await b.newPage();
  await page.setViewportSize({ width: 1100, height: 900 });
  await page.goto(`${origin.url}/lookup?q=alice`);
  await page.locator('.results li').first().waitFor();
  await page.screenshot({ path: out('search') });
  await page.goto(`${origin.url}/avatar/${alice.id}`);
  await page.locator('[data-verdict]').waitFor();
  await page.locator('article.binding[data-status="invalid"] details summary').click();
  await page.screenshot({ path: out('avatar'), fullPage: true });
  await page.goto(`${liar.url}/avatar/${bob.id}`);
  await page.locator('[data-verdict]').waitFor();
  await page.screenshot({ path: out('tampered'), fullPage: true });
  for (let i = 0; i < 200; i++) {
    const h = (await (await fetch(`${mirror.url}/healthz`)).json()) as { mirror?: { faults?: number } };
    if ((h.mirror?.faults ?? 0) > 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await page.goto(`${mirror.url}/status`);
  await page.locator('tr[data-code]').first().waitFor();
  await page.screenshot({ path: out('health'), fullPage: true });
  const size = (await until('the origin to sign its checkpoint', () => health(origin.url), (h) => h.tlog.checkpoint?.size === h.tlog.size)).tlog.size as number;
  await until('the witness to cosign', () => health(witness.url), (h) => h.mirror.witness.cosigned?.size === size);
  fork = await startFork(origin, size);
  switcher.point(fork.url);
  await until('the alarm', () => health(witness.url), (h) => h.mirror.witness.alarm !== null);
  await page.goto(`${witness.url}/status`);
  await page.locator('#witness-evidence details summary').first().click();
  await page.locator('section.card[data-component="witness"]').screenshot({ path: out('alarm') });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${origin.url}/avatar/${bob.id}`);
  await page.locator('[data-verdict]').waitFor();
  await page.screenshot({ path: out('phone') });
  if (b.blocked.length) throw new Error(`requests left loopback: ${b.blocked.join(', ')}`);
  console.log('wrote docs/explorer-{search,avatar,tampered,health,alarm,phone}.png');
} finally {
  await b.close();
  await witness.stop();
  await fork?.stop();
  await switcher.close();
  await mirror.stop();
  await liar.close();
  await origin.stop();
  await fake.close();
  web.remove();
}
