/**
 * Benchmark helpers around a real daemon child process: start the built daemon (`bin/proofkeep.js
 * serve`, i.e. dist/*.js as `npm start` runs it) on 127.0.0.1 port 0 with a given data dir,
 * time its start-up to the "listening" line, sample its RSS from /proc, and stop it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Resident set size of a process in MB (Linux /proc), or null when it is gone. */
export function rssMB(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

const CLK_TCK = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(r.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

/** CPU seconds (user + system, all threads) a process has used so far (Linux /proc). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is state (field 3); utime and stime are fields 14 and 15.
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** Samples a process's RSS every few ms; `phase()` returns the peak since the last call. */
export class RssSampler {
  private peak = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number, everyMs = 20) {
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
    this.sample();
  }

  private sample(): void {
    const r = rssMB(this.pid);
    if (r !== null && r > this.peak) this.peak = r;
  }

  /** Peak RSS (MB) since the previous call, then restart the window. */
  phase(): number {
    this.sample();
    const p = this.peak;
    this.peak = 0;
    return Math.round(p * 10) / 10;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

export interface RunningDaemon {
  url: string;
  pid: number;
  /** ms from spawn to the "proofkeep listening on" line */
  startupMs: number;
  rss: RssSampler;
  stderrTail(): string;
  stop(): Promise<void>;
}

/**
 * `checkers` is the environment that points the checkers at the local fake platforms
 * (./fakes.ts); without it they are off. Either way no platform URL may leave loopback.
 */
export async function startDaemon(dataDir: string, env: Record<string, string> = {}, nodeArgs: string[] = [], checkers: Record<string, string> | null = null, timeoutMs = 60_000): Promise<RunningDaemon> {
  if (checkers) {
    for (const [k, v] of Object.entries(checkers)) {
      if (/_(URL|TEMPLATE)$/.test(k) && !v.startsWith('http://127.0.0.1:')) throw new Error(`refusing to benchmark with ${k}=${v}: not a local fake`);
    }
  }
  const t0 = performance.now();
  // Benchmarks never leave loopback either: the tests' guard refuses any other connection or DNS lookup.
  const guard = ['--import', `${pathToFileURL(`${ROOT}test/setup/net-guard.mjs`).href}`];
  const child: ChildProcess = spawn(process.execPath, [...guard, ...nodeArgs, `${ROOT}bin/proofkeep.js`, 'serve', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', '0'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PROOFKEEP_LOG_LEVEL: 'warn',
      PROOFKEEP_SERVER_WRITE_RATE_LIMIT: '0',
      // The load generator is one client (127.0.0.1) standing in for many: no per-client limits.
      PROOFKEEP_SERVER_LIMITS_RECOVERIES_PER_MINUTE: '0',
      PROOFKEEP_SERVER_LIMITS_BYTES_PER_MINUTE: '0',
      PROOFKEEP_SERVER_MAX_CONNECTIONS_PER_CLIENT: '0',
      ...env,
      // Never let the benchmark's daemon reach real platforms: its checkers are either pointed
      // at the local fakes, or off (no background re-checks, no proof-post fetch on submit).
      ...(checkers ?? { PROOFKEEP_CHECKERS_ENABLED: 'false', PROOFKEEP_CHECKERS_VERIFY_ON_SUBMIT: 'false' }),
    },
  stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`daemon did not start in ${timeoutMs} ms: ${stderr}`)), timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /proofkeep listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`daemon exited with ${code} before listening: ${stderr}`));
    });
  });
  const startupMs = performance.now() - t0;
  const rss = new RssSampler(child.pid!);
  // Belt and braces: refuse to benchmark a daemon whose checkers could go online.
  const health = (await (await fetch(`${url}/healthz`)).json()) as { checkers?: { scheduler?: boolean } };
  if (!checkers && health.checkers && health.checkers.scheduler !== false) {
    child.kill('SIGKILL');
    throw new Error('the benchmark daemon has its checker scheduler on: refusing (it would contact real platforms)');
  }
  return {
    url,
    pid: child.pid!,
    startupMs,
    rss,
    stderrTail: () => stderr,
    async stop() {
      rss.stop();
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Percentile of a sorted array (nearest rank). */
export function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}
