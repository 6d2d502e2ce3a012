/**
 * A lying upstream for witness tests: a proxy URL the mirror follows, which can be pointed at
 * another daemon at any time, and a second origin with the same log key and origin line but
 * another history (a fork). Pointing the proxy at the fork is how an upstream "starts lying".
 * Used by test/mirror, test/log and the explorer's browser tests (test/web).
 */
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { health, populate, until } from './helpers.js';

export interface SwitchProxy {
  url: string;
  /** forward every later request to this base URL */
  point(to: string): void;
  close(): Promise<void>;
}

/** A proxy on 127.0.0.1 forwarding method, body and content type to whatever it points at. */
export async function startSwitchProxy(target: string): Promise<SwitchProxy> {
  let to = target;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const r = await fetch(`${to}${req.url}`, {
        method: req.method, headers: { 'content-type': req.headers['content-type'] ?? 'text/plain' }, ...(chunks.length ? { body: Buffer.concat(chunks) } : {}),
      });
      res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/octet-stream' });
      res.end(Buffer.from(await r.arrayBuffer()));
    })().catch(() => res.writeHead(502).end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    point: (next) => void (to = next),
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/**
 * A second origin signing with `a`'s log key and origin line but holding another history, with
 * a signed checkpoint above `above` entries. Stopping it also removes its directory.
 */
export async function startFork(a: TestDaemon, above: number, config: Record<string, unknown> = {}): Promise<TestDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'proofkeep-fork-'));
  const keyFile = join(dir, 'log.key');
  copyFileSync(join(a.dir, 'log.key'), keyFile);
  chmodSync(keyFile, 0o600);
  const origin = (await health(a.url)).tlog.origin as string;
  const b = await startDaemon({ 'crypto.workers': 1, 'tlog.checkpointIntervalMs': 50, ...config, 'tlog.keyFile': keyFile, 'tlog.origin': origin }, { dir, keepDir: true });
  await populate(b.url, 'fork', 2, Math.max(4, above + 1));
  await until('the fork to sign a checkpoint', () => health(b.url), (x) => x.tlog.checkpoint?.size > above);
  return {
    ...b,
    stop: async () => {
      await b.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
