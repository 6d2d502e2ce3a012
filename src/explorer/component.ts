/**
 * The explorer component: serves the built page (src/web → dist/web) at / with a strict CSP,
 * its fingerprinted assets with immutable caching, and a server-rendered view of each page so the
 * basic lookup works without JavaScript. It reads data only through the daemon's own API.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { sendError } from '../api/errors.js';
import type { Component } from '../component.js';
import { ProofError } from '../core/index.js';
import { defaultAssetsDir, loadAssets, type Assets } from './assets.js';
import type { ExplorerConfig } from './config.js';
import { esc } from './html.js';
import { renderAvatarPage, renderLookup, type Rendered } from './render.js';

export { explorerSection, type ExplorerConfig } from './config.js';

/**
 * Scripts and styles only from this origin (no inline code: the build emits none), API calls
 * only to this origin, no framing, no plugins, forms only to this origin.
 */
export const CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "form-action 'self'", "base-uri 'none'", "frame-ancestors 'none'", "object-src 'none'",
].join('; ');

/** Used when the page was not built: the server-rendered view still works, unstyled. */
const BARE_SHELL = {
  before: '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>proofkeep explorer</title></head><body>' +
    '<form action="/lookup" method="get" role="search"><label for="q">Identity, Avatar key or uuid</label> <input id="q" name="q" required> <button>Search</button></form>' +
    '<p><em>The explorer page was not built (run <code>npm run build</code>): showing the server-rendered view only.</em></p><div id="view">',
  after: '</div></body></html>',
};

const NOJS_STATUS = '<h1>Server health</h1><p>This view refreshes live with JavaScript. Without it, read <a href="/healthz">/healthz</a> (JSON).</p>';
const NOJS_VERIFY = '<h1>Verify a chain document</h1><p>Verifying a document happens in your browser and needs JavaScript; <code>proofkeep audit FILE</code> does the same on the command line.</p>';
const HOME = '<h1>Search</h1><p>Look up who is behind a handle, or what an Avatar has bound.</p>';

/** The explorer when `explorer.enabled`, else nothing (null). */
export function explorerComponent(deps: { config: ExplorerConfig; log: Logger }): Component | null {
  const { config, log } = deps;
  if (!config.enabled) return null;
  let assets: Assets | null = null;
  const dir = config.assetsDir || defaultAssetsDir();

  const page = (reply: FastifyReply, r: Rendered) => {
    if (r.location) return reply.header('cache-control', 'no-store').redirect(r.location, 302);
    const shell = assets?.shell ?? BARE_SHELL;
    const title = r.title ? `${r.title} · proofkeep explorer` : 'proofkeep explorer';
    const before = shell.before.replace('<title>proofkeep explorer</title>', `<title>${esc(title)}</title>`);
    return reply
      .status(r.status)
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('x-frame-options', 'DENY')
      .header('cache-control', 'no-cache')
      .send(before + r.html + shell.after);
  };

  return {
    name: 'explorer',
    async start() {
      assets = loadAssets(dir);
      if (!assets) log.warn({ dir }, 'explorer: page not built (npm run build); serving the server-rendered view only');
    },
    async stop() {},
    health() {
      return { enabled: true, built: assets !== null, assets: assets?.files.size ?? 0 };
    },
    routes(app: FastifyInstance) {
      app.get('/', async (_req, reply) => page(reply, { status: 200, title: '', html: HOME }));
      app.get<{ Querystring: Record<string, string | undefined> }>('/lookup', async (req, reply) => {
        const q = typeof req.query['q'] === 'string' ? req.query['q'] : '';
        const platform = typeof req.query['platform'] === 'string' ? req.query['platform'].slice(0, 40) : '';
        return page(reply, await renderLookup(app, q, platform));
      });
      app.get<{ Params: { key: string } }>('/avatar/:key', async (req, reply) => page(reply, await renderAvatarPage(app, req.params.key)));
      app.get('/status', async (_req, reply) => page(reply, { status: 200, title: 'Server health', html: NOJS_STATUS }));
      app.get('/verify', async (_req, reply) => page(reply, { status: 200, title: 'Verify a chain document', html: NOJS_VERIFY }));
      app.get<{ Params: { name: string } }>('/assets/:name', async (req, reply) => {
        const a = assets?.files.get(req.params.name);
        if (!a) return sendError(reply, new ProofError('NOT_FOUND', 'no such asset'));
        reply.header('content-type', a.type).header('etag', a.etag).header('x-content-type-options', 'nosniff')
          // The name carries the content hash: the same URL never serves other bytes.
          .header('cache-control', 'public, max-age=31536000, immutable');
        if (req.headers['if-none-match'] === a.etag) return reply.status(304).send();
        return reply.send(a.body);
      });
    },
  };
}
