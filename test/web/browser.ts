/**
 * Real headless Chromium for the explorer's end-to-end tests (Debian's chromium driven by
 * playwright-core), and a fresh build of the page. The browser may reach 127.0.0.1 only: every
 * other request is aborted and recorded, so a test can assert that nothing left loopback.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env['PROOFKEEP_CHROMIUM'] ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);

const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-default-apps', '--disable-extensions', '--metrics-recording-only',
  // No DNS for anything but loopback, even for requests the route guard would abort.
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];

/** Build src/web with Vite into a temp dir (what `npm run build` writes to dist/web). */
export async function buildExplorer(): Promise<{ dir: string; remove(): void }> {
  const { build } = await import('vite');
  const dir = mkdtempSync(join(tmpdir(), 'proofkeep-web-'));
  await build({
    configFile: fileURLToPath(new URL('../../src/web/vite.config.ts', import.meta.url)),
    logLevel: 'silent',
    build: { outDir: dir, emptyOutDir: true },
  });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TestBrowser {
  browser: Browser;
  context: BrowserContext;
  /** URLs the guard refused (anything not on 127.0.0.1) */
  blocked: string[];
  /** console errors and uncaught page errors (CSP violations show up here) */
  errors: string[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export async function launchBrowser(opts: { javaScript?: boolean } = {}): Promise<TestBrowser> {
  // playwright's launch() gives the browser a fresh temporary profile (--user-data-dir) each time.
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  const context = await browser.newContext({ javaScriptEnabled: opts.javaScript ?? true, serviceWorkers: 'block', locale: 'en-US', timezoneId: 'UTC' });
  const blocked: string[] = [];
  const errors: string[] = [];
  await context.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1') return route.continue();
    blocked.push(url.href);
    return route.abort('blockedbyclient');
  });
  const watch = (page: Page) => {
    page.on('console', (m) => {
      // A 404 of an optional route (KV, log on a server without them) is logged by Chromium as
      // "Failed to load resource"; the page handles those. Anything else (CSP refusals) counts.
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
  };
  return {
    browser, context, blocked, errors,
    async newPage() {
      const page = await context.newPage();
      watch(page);
      return page;
    },
    async close() {
      await context.close().catch(() => {});
      await browser.close();
    },
  };
}

/**
 * The lowest WCAG contrast ratio of any element that directly holds text, against its effective
 * background, and where it is (tag.class); [99, ''] when no text was measured.
 */
export async function lowestContrast(page: Page): Promise<[number, string]> {
  return (await page.evaluate(`(() => {
    const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
      .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
    const bg = (el) => { for (let e = el; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor); if (c.length === 3 || c[3] > 0) return c; } return [255, 255, 255]; };
    let min = 99, where = '';
    for (const el of document.querySelectorAll('body *')) {
      if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
      const a = lum(rgb(getComputedStyle(el).color)), b2 = lum(bg(el));
      const ratio = (Math.max(a, b2) + 0.05) / (Math.min(a, b2) + 0.05);
      if (ratio < min) { min = ratio; where = el.tagName + '.' + el.className; }
    }
    return [min, where];
  })()`)) as [number, string];
}
