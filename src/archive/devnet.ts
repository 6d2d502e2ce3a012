/**
 * An in-process arlocal (local Arweave devnet), tamed:
 * - it listens on 127.0.0.1 only (arlocal's own start() listens on every interface and turns
 *   port 0 into 1984, so its koa app is bound here instead);
 * - its per-request `./logs` file goes to a directory we own, never the process cwd (and its
 *   constructor's "delete ./logs in the cwd" is avoided by always constructing it persistent);
 * - it is shut down here rather than by arlocal's stop(), which with persist=true DROPS every
 *   table — so a persistent devnet keeps its chain across restarts.
 * The devnet's transactions are not on the real Arweave network; the daemon says so loudly.
 */
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:http';
import { dirname, join, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import Arweave from 'arweave';
import { loadWallet, saveWallet, type Jwk } from './wallet.js';

interface ArLocalInternals {
  app: { listen: (...args: unknown[]) => Server; callback: () => Parameters<typeof createServer>[1] };
  log: { logInFile: (args: unknown[]) => void };
  connection: { destroy: () => Promise<void> };
  apollo?: { stop: () => Promise<void> };
  start(): Promise<void>;
}

type ArLocalCtor = new (port?: number, showLogs?: boolean, dbPath?: string, persist?: boolean) => ArLocalInternals;

export interface ArlocalServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

// arlocal's route modules cache DB handles in module globals (some never refreshed, some keyed
// by a dbPath shared between routes), so a second start in one process would use the first
// instance's destroyed connection. Each start therefore loads arlocal's own modules afresh.
const require = createRequire(import.meta.url);

function freshArLocal(): ArLocalCtor {
  const main = require.resolve('arlocal');
  const bin = dirname(main) + sep;
  for (const k of Object.keys(require.cache)) if (k.startsWith(bin)) delete require.cache[k];
  const mod = require(main) as { default?: ArLocalCtor } & ArLocalCtor;
  return mod.default ?? mod;
}

/** Start arlocal on 127.0.0.1:`port` (0 = any) with its sqlite chain in `dir`. */
export async function startArlocal(opts: { dir: string; port: number; requestLog?: boolean }): Promise<ArlocalServer> {
  mkdirSync(join(opts.dir, 'db'), { recursive: true });
  const ArLocal = freshArLocal();
  const dbPath = join(opts.dir, 'db');
  const al = new ArLocal(1984, false, dbPath, true);
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
  const port = (srv.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async stop() {
      await new Promise<void>((resolve) => {
        srv.close(() => resolve());
        srv.closeAllConnections();
      });
      await al.apollo?.stop().catch(() => undefined);
      await al.connection.destroy().catch(() => undefined);
    },
  };
}

export interface Devnet extends ArlocalServer {
  jwk: Jwk;
  address: string;
  /** mine one block now */
  mine(): Promise<void>;
}

const DEV_BALANCE = '1000000000000000000'; // winston: plenty for any number of small documents

/**
 * The embedded default when no wallet is configured: arlocal + a generated, funded dev wallet
 * (kept beside the devnet chain when persistent, so a restart keeps the same address) + a
 * mining timer.
 */
export async function startDevnet(opts: { dir: string; persist: boolean; port: number; mineIntervalMs: number }): Promise<Devnet> {
  mkdirSync(opts.dir, { recursive: true });
  const dir = opts.persist ? opts.dir : mkdtempSync(join(opts.dir, 'tmp-'));
  const server = await startArlocal({ dir, port: opts.port });
  let timer: NodeJS.Timeout | undefined;
  try {
    const walletFile = join(dir, 'dev-wallet.json');
    const ar = Arweave.init({ host: '127.0.0.1', port: server.port, protocol: 'http', logging: false });
    let jwk: Jwk;
    if (existsSync(walletFile)) {
      jwk = loadWallet(walletFile);
    } else {
      jwk = (await ar.wallets.generate()) as unknown as Jwk;
      saveWallet(walletFile, jwk);
    }
    const address = await ar.wallets.jwkToAddress(jwk as never);
    const mint = await fetch(`${server.url}/mint/${address}/${DEV_BALANCE}`, { signal: AbortSignal.timeout(10_000) });
    if (!mint.ok) throw new Error(`devnet mint answered ${mint.status}`);
    await mint.arrayBuffer();
    const mine = async () => {
      const r = await fetch(`${server.url}/mine`, { signal: AbortSignal.timeout(10_000) });
      await r.arrayBuffer();
    };
    if (opts.mineIntervalMs > 0) {
      timer = setInterval(() => void mine().catch(() => undefined), opts.mineIntervalMs);
      timer.unref();
    }
    return {
      ...server,
      jwk,
      address,
      mine,
      async stop() {
        if (timer) clearInterval(timer);
        await server.stop();
        if (!opts.persist) rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    if (timer) clearInterval(timer);
    await server.stop();
    if (!opts.persist) rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
