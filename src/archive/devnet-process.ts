/**
 * Child-process entry of the local Arweave devnet (forked by devnet.ts): runs arlocal, tamed —
 * - it listens on 127.0.0.1 only (arlocal's own start() listens on every interface and turns
 *   port 0 into 1984, so its koa app is bound here instead);
 * - its per-request `./logs` file goes to a directory we own, never the process cwd (and its
 *   constructor's "delete ./logs in the cwd" is avoided by always constructing it persistent);
 * - it is shut down here rather than by arlocal's stop(), which with persist=true DROPS every
 *   table — so a persistent devnet keeps its chain across restarts.
 * Protocol with the parent: argv[2] is JSON {dir, port, requestLog}; it sends {port} once
 * listening (or {error}); it stops on the message 'stop', and also when the parent goes away.
 */
import { appendFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

interface ArLocalInternals {
  app: { listen: (...args: unknown[]) => Server; callback: () => Parameters<typeof createServer>[1] };
  log: { logInFile: (args: unknown[]) => void };
  connection: { destroy: () => Promise<void> };
  apollo?: { stop: () => Promise<void> };
  start(): Promise<void>;
}

type ArLocalCtor = new (port?: number, showLogs?: boolean, dbPath?: string, persist?: boolean) => ArLocalInternals;

const require = createRequire(import.meta.url);

async function main(): Promise<void> {
  const opts = JSON.parse(process.argv[2] ?? '{}') as { dir: string; port: number; requestLog: boolean };
  const mod = require('arlocal') as { default?: ArLocalCtor } & ArLocalCtor;
  const ArLocal = mod.default ?? mod;
  const al = new ArLocal(1984, false, join(opts.dir, 'db'), true);
  const logFile = join(opts.dir, 'requests.log');
  al.log.logInFile = (args: unknown[]) => {
    if (opts.requestLog && Array.isArray(args) && args.length > 3) appendFileSync(logFile, `${args.slice(1, 5).join(' ')}\n`);
  };
  let server: Server | undefined;
  al.app.listen = () => {
    server = createServer(al.app.callback());
    server.listen(opts.port, '127.0.0.1');
    return server;
  };
  await al.start();
  const srv = server!;
  if (!srv.listening) {
    await new Promise<void>((resolve, reject) => {
      srv.once('listening', resolve);
      srv.once('error', reject);
    });
  }
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      await new Promise<void>((resolve) => {
        srv.close(() => resolve());
        srv.closeAllConnections();
      });
      await al.apollo?.stop().catch(() => undefined);
      await al.connection.destroy().catch(() => undefined);
      process.exit(0);
    })());
  process.on('message', (m) => m === 'stop' && void stop());
  process.on('disconnect', () => void stop());
  // The daemon decides when the devnet stops (after its archive worker): a terminal's Ctrl-C or
  // a service manager's SIGTERM to the whole group must not take it down first.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => undefined);
  process.send?.({ port: (srv.address() as AddressInfo).port });
}

main().catch((err: unknown) => {
  process.send?.({ error: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});

