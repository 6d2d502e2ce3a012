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
