/**
 * Build of the explorer (src/web → dist/web): one HTML shell plus fingerprinted assets under
 * /assets/, no inline script or style (the daemon's CSP forbids both), no CDN, no runtime fetch
 * of anything but the daemon's own API. The core (src/core) is bundled in, compiled for the browser.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  logLevel: 'warn',
  publicDir: false,
  build: {
    outDir: fileURLToPath(new URL('../../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    assetsDir: 'assets',
    // No inline modulepreload polyfill: an inline script would need 'unsafe-inline' in the CSP.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    reportCompressedSize: false,
  },
});
