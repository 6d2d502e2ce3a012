/**
 * The local Arweave devnet: arlocal in a child process (devnet-process.ts tames it), plus a
 * generated, funded dev wallet and a mining timer kept here. The devnet's transactions are not
 * on the real Arweave network; the daemon says so loudly.
 */
import { fork } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Arweave from 'arweave';
import { loadWallet, saveWallet, type Jwk } from './wallet.js';

export interface ArlocalServer {
  url: string;
  port: number;
  /** the devnet's own process */
  pid: number;
  stop(): Promise<void>;
}

/**
 * Start arlocal on 127.0.0.1:`port` (0 = any) with its sqlite chain in `dir`, in a child process
 * of its own: arlocal (koa, sqlite, its GraphQL server) is heavy per request, and run in the
 * daemon's process it shares the API's event loop. The child exits when told to, and by itself
 * when this process goes away (the IPC channel closes), so it never outlives its daemon.
 */
export async function startArlocal(opts: { dir: string; port: number; requestLog?: boolean; signal?: AbortSignal }): Promise<ArlocalServer> {
  mkdirSync(join(opts.dir, 'db'), { recursive: true });
  const entry = new URL(`./devnet-process${extname(fileURLToPath(import.meta.url))}`, import.meta.url);
  // Under tsx (tests, `npm run bench`) the child needs the TypeScript loader too.
  const execArgv = entry.pathname.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = fork(fileURLToPath(entry), [JSON.stringify({ dir: opts.dir, port: opts.port, requestLog: opts.requestLog === true })], {
    execArgv,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    // Its own process group: a Ctrl-C in the terminal reaches the daemon, which stops the
    // devnet after the worker that still posts to it, not before.
    detached: true,
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const onAbort = () => (child.kill('SIGKILL'), reject(opts.signal?.reason ?? new Error('aborted')));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.once('message', (m: unknown) => {
      opts.signal?.removeEventListener('abort', onAbort);
      const msg = m as { port?: number; error?: string };
      if (typeof msg.port === 'number') resolve(msg.port);
      else reject(new Error(`local devnet failed to start: ${msg.error ?? 'no port'}`));
    });
    void exited.then((code) => reject(new Error(`local devnet exited (${code}) before listening: ${stderr.trim().slice(-500)}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.send('stop');
        // A devnet that does not close its database in time is killed: its chain is sqlite in
        // WAL mode, which survives that.
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(t);
      }
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
