/**
 * Witnessing on the operator view, in Chromium against real daemons: an origin whose log is
 * witnessed by a mirror shows the witness that cosigned its latest checkpoint; the mirror shows
 * its cosigned checkpoint (verified in the page), and when its upstream starts lying — a second
 * origin with the same log key and another history behind the same URL, then a forged checkpoint
 * with hostile extension lines — the live view shows the alarm, its kind, its time and the
 * evidence, the signed notes as text.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ed25519NoteKey, formatSignerKey, generateSeed, signCheckpoint } from '../../src/core/tlog/index.js';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { startFork, startSwitchProxy, type SwitchProxy } from '../mirror/fork.js';
import { health, populate, until } from '../mirror/helpers.js';
import { buildExplorer, hasChromium, launchBrowser, lowestContrast, type TestBrowser } from './browser.js';

const ORIGIN = 'origin.explorer.test/log';
const ADMIN = 'explorer-witness-admin-token';
const logSeed = generateSeed();
const logKey = ed25519NoteKey(ORIGIN, logSeed);
const originDir = mkdtempSync(join(tmpdir(), 'proofkeep-web-origin-'));
let web: Awaited<ReturnType<typeof buildExplorer>>;
let proxy: SwitchProxy;
let origin: TestDaemon;
let originUp = false;
let fork: TestDaemon | undefined;
let mirror: TestDaemon;
let forger: Server | undefined;
let b: TestBrowser;
let size = 0;

beforeAll(async () => {
  web = await buildExplorer();
  writeFileSync(join(originDir, 'log.key'), `${formatSignerKey(ORIGIN, logSeed)}\n`, { mode: 0o600 });
  // The mirror must know its upstream's URL before the origin (which needs the mirror's URL) starts.
  proxy = await startSwitchProxy('http://127.0.0.1:9');
  mirror = await startDaemon({
    'explorer.assetsDir': web.dir, 'crypto.workers': 1, 'mirror.upstream': proxy.url, 'mirror.pollIntervalMs': 50,
    'mirror.backoffBaseMs': 20, 'mirror.backoffMaxMs': 200, 'mirror.upstreamVerifierKey': logKey.verifierKey,
    'mirror.witnessName': 'mirror.explorer.test/witness', 'server.adminToken': ADMIN,
  });
  const cosignerKey = (await health(mirror.url)).mirror.witness.cosigner_key as string;
  origin = await startDaemon({
    'explorer.assetsDir': web.dir, 'crypto.workers': 1, 'tlog.checkpointIntervalMs': 50, 'tlog.origin': ORIGIN,
    'tlog.keyFile': join(originDir, 'log.key'), 'tlog.witnesses': [`${cosignerKey} ${mirror.url}`],
  }, { dir: originDir, keepDir: true });
  originUp = true;
  proxy.point(origin.url);
  await populate(origin.url, 'web-witness', 2, 3);
  size = (await health(origin.url)).tlog.size as number;
  await until('the mirror to cosign', () => health(mirror.url), (h) => h.mirror.witness.cosigned?.size === size);
  if (hasChromium) b = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await b?.close();
  await mirror?.stop();
  await fork?.stop();
  if (originUp) await origin.stop();
  await proxy?.close();
  await new Promise((r) => (forger ? forger.close(r) : r(null)));
  rmSync(originDir, { recursive: true, force: true });
  web?.remove();
});

describe.skipIf(!hasChromium)('witnessing on the health view in Chromium', () => {
  it('an origin shows the witness that cosigned its latest checkpoint, verified in the page', async () => {
    await until('the origin to publish the cosignature', () => health(origin.url), (h) => h.tlog.witnesses?.[0]?.size === size);
    const page = await b.newPage();
    await page.goto(`${origin.url}/status`);
    const row = page.locator('section.card[data-component="log"] tr[data-witness-state]');
    await row.waitFor();
    await until('the cosigned row', () => row.getAttribute('data-witness-state'), (v) => v === 'good');
    expect(await row.textContent()).toContain(mirror.url);
    expect(await row.textContent()).toMatch(/cosigned .*verified in your browser/);
    expect(await row.locator('time').getAttribute('datetime')).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(b.errors).toEqual([]);
    await page.close();
  });

  it('a mirror shows its cosigned checkpoint, then the alarm, its kind and the evidence once the upstream lies', async () => {
    const page = await b.newPage();
    await page.goto(`${mirror.url}/status`);
    const card = page.locator('section.card[data-component="witness"]');
    await card.locator('[data-witness-checkpoint="ok"]').waitFor();
    expect(await card.getAttribute('class')).toMatch(/\bgood\b/);
    expect(await card.locator('[data-field="cosigned-size"]').textContent()).toBe(String(size));
    expect(await card.locator('[data-witness-checkpoint]').textContent()).toMatch(new RegExp(`size ${size}\\) is signed by the log’s key and cosigned by this witness`));
    expect(await page.locator('[data-alarm]').count()).toBe(0);

    // The upstream starts lying: the same log key and origin line, another history.
    fork = await startFork(origin, size);
    proxy.point(fork.url);
    // The open page refreshes itself: no reload.
    const alarm = card.locator('[data-alarm]');
    await alarm.waitFor({ timeout: 60_000 });
    const kind = (await alarm.getAttribute('data-alarm'))!;
    expect(['root_mismatch', 'fork']).toContain(kind);
    expect(await card.getAttribute('class')).toMatch(/\bbad\b/);
    expect(await alarm.getAttribute('role')).toBe('alert');
    expect(await alarm.textContent()).toMatch(new RegExp(`Inconsistency alarm \\(${kind === 'fork' ? 'fork' : 'root mismatch'}\\)\\. .+ Raised .+ cosigns nothing until its operator`));
    expect(await alarm.locator('time').getAttribute('datetime')).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await alarm.locator('a[href="/v1/mirror/alarms"]').count()).toBe(1);
    await alarm.locator('a[href="#witness-evidence"]').click();
    // The evidence: both signed notes, each checked against the log's key in the page.
    const ev = card.locator('#witness-evidence article[data-alarm-id]');
    expect(await ev.count()).toBe(1);
    expect(await ev.getAttribute('data-kind')).toBe(kind);
    expect(await ev.locator('[data-note-check="ok"]').count()).toBe(2);
    expect(await ev.locator('.note').first().textContent()).toContain(`size ${size}, root`);
    await ev.locator('details summary').first().click();
    expect(await ev.locator('pre').first().textContent()).toContain(`${ORIGIN}\n${size}\n`);
    // Nothing was cosigned past the lie, and the feed stopped.
    expect(await card.locator('[data-field="cosigned-size"]').textContent()).toBe(String(size));
    expect(await page.locator('section.card[data-component="mirror"]').textContent()).toMatch(/following stopped/);
    // the alarm view is readable: AA contrast everywhere, and the evidence link works from the keyboard
    const worst = await lowestContrast(page);
    expect(worst[0], `lowest contrast at ${worst[1]}`).toBeGreaterThanOrEqual(4.5);
    await alarm.locator('a[href="#witness-evidence"]').focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/#witness-evidence$/);
    expect(await card.locator('#witness-evidence').isVisible()).toBe(true);
    expect(b.errors).toEqual([]);
    expect(b.blocked).toEqual([]);
    await page.close();
  });

  it('a forged checkpoint with hostile extension lines becomes evidence shown as text', async () => {
    originUp = false;
    await origin.stop(); // its own submissions must not race the re-witnessing below
    const clear = await fetch(`${mirror.url}/v1/mirror/alarm/clear`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` }, body: JSON.stringify({ reset: true }),
    });
    expect(clear.status).toBe(200);
    const forkSize = (await health(fork!.url)).tlog.checkpoint.size as number;
    await until('re-witnessed', () => health(mirror.url), (h) => h.mirror.witness.alarm === null && h.mirror.witness.cosigned?.size === forkSize);
    // A checkpoint of the cosigned size with another root, signed with the log's key (a leaked key).
    const hostile = ['<img src=x onerror="window.__pwned=1">', 'javascript:window.__pwned=2', '<script>window.__pwned=3</script>'];
    const note = signCheckpoint({ origin: ORIGIN, size: forkSize, root: new Uint8Array(32).fill(7), extensions: hostile }, [logKey]);
    forger = createServer((req, res) => (req.url === '/checkpoint' ? res.writeHead(200, { 'content-type': 'text/plain' }).end(note) : res.writeHead(404).end()));
    await new Promise<void>((r) => forger!.listen(0, '127.0.0.1', r));
    proxy.point(`http://127.0.0.1:${(forger.address() as AddressInfo).port}`);
    await until('the fork alarm', () => health(mirror.url), (h) => h.mirror.witness.alarm?.kind === 'fork');

    const page = await b.newPage();
    await page.goto(`${mirror.url}/status`);
    const ev = page.locator('#witness-evidence article[data-kind="fork"]');
    await ev.waitFor();
    expect(await page.locator('[data-alarm="fork"]').textContent()).toMatch(/two different checkpoints of the same size/);
    // the earlier alarm, cleared by the operator, is still listed
    expect(await page.locator('#witness-evidence article[data-kind]').count()).toBe(2);
    expect(await page.locator('#witness-evidence article .badge').allTextContents()).toEqual(expect.arrayContaining(['standing', 'cleared']));
    await ev.locator('details summary').nth(1).click();
    const shown = await ev.locator('pre').nth(1).textContent();
    for (const line of hostile) expect(shown).toContain(line);
    expect(await page.locator('#witness-evidence img, #witness-evidence script, #witness-evidence a[href^="javascript"]').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    // the forged note does carry a valid signature of the log's key: it is evidence, not noise
    expect(await ev.locator('[data-note-check="ok"]').count()).toBe(2);
    expect(b.errors).toEqual([]);
    expect(b.blocked).toEqual([]);
    await page.close();
  });
});
