/**
 * A lying server for the explorer's tests: a small proxy on 127.0.0.1 in front of a real daemon
 * that rewrites chosen JSON answers (a tampered chain, hostile evidence). The page is served
 * through it too, so the browser sees one origin that lies.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Rewrite = (path: string, body: string) => string | undefined;

export async function startTamperProxy(upstream: string, rewrite: Rewrite): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    void (async () => {
      const up = await fetch(`${upstream}${req.url}`, { method: req.method, headers: { accept: req.headers.accept ?? '*/*' }, redirect: 'manual' });
      const type = up.headers.get('content-type') ?? 'application/octet-stream';
      const headers: Record<string, string> = { 'content-type': type };
      for (const h of ['content-security-policy', 'cache-control', 'location', 'etag']) {
        const v = up.headers.get(h);
        if (v) headers[h] = v;
      }
      let body: Buffer = Buffer.from(await up.arrayBuffer());
      if (type.startsWith('application/json')) {
        const changed = rewrite(new URL(req.url ?? '/', 'http://x').pathname, body.toString('utf8'));
        if (changed !== undefined) body = Buffer.from(changed, 'utf8');
      }
      res.writeHead(up.status, headers).end(body);
    })().catch((err: unknown) => res.writeHead(502).end(String(err)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
