/**
 * The built page (dist/web): read into memory once at start (a few files, ~100 KB), served with
 * a strong ETag. Files under /assets/ carry a content hash in their name (Vite), so they are
 * cacheable forever; the HTML shell is revalidated on every load.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

export interface Assets {
  /** the HTML shell, split around the server-rendered view placeholder */
  shell: { before: string; after: string };
  /** by file name under assets/ */
  files: Map<string, Asset>;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
};

export const PLACEHOLDER = '<!--proofkeep:view-->';

/** dist/web of this installation: src/explorer → ../../dist/web, dist/explorer → ../../dist/web. */
export function defaultAssetsDir(): string {
  return fileURLToPath(new URL('../../dist/web', import.meta.url));
}

/** null when the page was not built (npm run build); the daemon then serves the fallback alone. */
export function loadAssets(dir: string): Assets | null {
  const index = join(dir, 'index.html');
  if (!existsSync(index)) return null;
  const html = readFileSync(index, 'utf8');
  const at = html.indexOf(PLACEHOLDER);
  if (at < 0) throw new Error(`${index} has no ${PLACEHOLDER} placeholder: not a proofkeep explorer build`);
  const files = new Map<string, Asset>();
  const assetsDir = join(dir, 'assets');
  if (existsSync(assetsDir)) {
    for (const name of readdirSync(assetsDir)) {
      const body = readFileSync(join(assetsDir, name));
      files.set(name, { body, type: TYPES[extname(name)] ?? 'application/octet-stream', etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
    }
  }
  return { shell: { before: html.slice(0, at), after: html.slice(at + PLACEHOLDER.length) }, files };
}
