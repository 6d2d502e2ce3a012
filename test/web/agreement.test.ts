/**
 * The page's in-browser verification agrees with `proofkeep audit` on the shared chain vectors:
 * each vector as a chain document, audited by the real CLI (a child process) and verified on the
 * page's /verify view in Chromium; same problems (position, code, placed or not), same counts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { buildExplorer, hasChromium, launchBrowser, type TestBrowser } from './browser.js';

interface Vector { name: string; public_key: string; links: unknown[] }
const load = (f: string) => (JSON.parse(readFileSync(new URL(`../vectors/${f}`, import.meta.url), 'utf8')) as { vectors: Vector[] }).vectors;
const vectors = [...load('chains-good.json').map((v) => ({ ...v, file: `good-${v.name}.json` })), ...load('chains-bad.json').map((v) => ({ ...v, file: `bad-${v.name}.json` }))];
const docOf = (v: Vector) => JSON.stringify({ version: '1', avatar: { public_key: v.public_key, curve: 'secp256k1' }, links: v.links });

type Finding = string; // "index:code[:unplaced]"
let web: Awaited<ReturnType<typeof buildExplorer>>;
let d: TestDaemon;
let b: TestBrowser;
let dir: string;

beforeAll(async () => {
  web = await buildExplorer();
  d = await startDaemon({ 'explorer.assetsDir': web.dir });
  dir = mkdtempSync(join(tmpdir(), 'proofkeep-agree-'));
  for (const v of vectors) writeFileSync(join(dir, v.file), docOf(v));
  if (hasChromium) b = await launchBrowser();
});

afterAll(async () => {
  await b?.close();
  await d?.stop();
  web?.remove();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasChromium)('in-browser verification vs proofkeep audit', () => {
  it(`agrees on all ${vectors.length} good and bad chain vectors`, async () => {
    const audit = await runCli(['audit', dir, '--json', '--backend', 'noble', '--workers', '1', '--no-progress']);
    expect(audit.code).toBe(1); // the bad vectors have problems; no source error
    const report = JSON.parse(audit.stdout) as {
      sources: Array<{ source: string; verified: number }>;
      problems: Array<{ source: string; index: number; code: string; unplaced?: boolean }>;
    };
    const byFile = (src: string) => src.split('/').pop()!;
    const cli = new Map<string, { verified: number; findings: Finding[] }>();
    for (const s of report.sources) {
      // a directory source is summarized once; problems name their files
      if (s.source.endsWith('.json')) cli.set(byFile(s.source), { verified: s.verified, findings: [] });
    }
    for (const p of report.problems) {
      const entry = cli.get(byFile(p.source)) ?? { verified: -1, findings: [] };
      entry.findings.push(`${p.index}:${p.code}${p.unplaced ? ':unplaced' : ''}`);
      cli.set(byFile(p.source), entry);
    }
    const page = await b.newPage();
    await page.goto(`${d.url}/verify`);
    let disagreements = 0;
    let failing = 0;
    for (const [i, v] of vectors.entries()) {
      await page.getByLabel('Chain document (JSON)').fill(docOf(v));
      await page.getByRole('button', { name: 'Verify' }).click();
      const banner = page.locator(`#verify-result[data-run="${i + 1}"] [data-verdict]`);
      await banner.waitFor();
      const shown = (await page.locator('#verify-result [data-code][data-index]').evaluateAll((els) =>
        els.map((e) => [e.getAttribute('data-index'), e.getAttribute('data-code'), e.getAttribute('data-unplaced')] as const)))
        .filter(([, code]) => code !== 'OK' && code !== 'UNVERIFIED')
        .map(([index, code, unplaced]) => `${index}:${code}${unplaced ? ':unplaced' : ''}`);
      const verified = Number(await banner.getAttribute('data-verified'));
      const want = cli.get(v.file);
      expect(want, `the audit reported on ${v.file}`).toBeDefined();
      const got = { verified, findings: shown.sort() };
      const expected = { verified: want?.verified ?? 0, findings: [...(want?.findings ?? [])].sort() };
      if (JSON.stringify(got) !== JSON.stringify(expected)) disagreements++;
      expect({ vector: v.file, ...got }).toEqual({ vector: v.file, ...expected });
      // the verdict follows the findings (a bad vector that is bad only without legacy links passes both)
      expect(await banner.getAttribute('data-verdict')).toBe(expected.findings.length === 0 ? 'ok' : 'failed');
      if (v.file.startsWith('good-')) expect(expected.findings).toEqual([]);
      if (expected.findings.length > 0) failing++;
    }
    expect(disagreements).toBe(0);
    expect(failing).toBeGreaterThan(25);
    expect(b.blocked).toEqual([]);
    expect(b.errors).toEqual([]);
    await page.close();
  });
});
