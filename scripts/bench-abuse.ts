/**
 * A public daemon under a hostile client, measured: a real daemon (built dist/, `npm start`
 * defaults: archive on, the default per-client limits) on 127.0.0.1; a good client from
 * 127.0.0.3 reads GET /v1/proof?exact=true open-loop at a fixed rate and submits one
 * POST /v1/proof a second, first alone, then while a flooding client from 127.0.0.2 (its own
 * process, scripts/bench/flood.ts) sends invalid bulk batches (1,000 links with wrong
 * signatures) from 16 connections at full speed,
 * then while a slow-loris client from 127.0.0.4 holds 500 idle connections.
 * Reports the good client's p50/p99 and failed submits per phase, and what the flood got:
 * requests answered 200 vs 429, and the verification cost admitted per minute.
 *
 *   node --import tsx scripts/bench-abuse.ts [--seconds 20] [--rate 200] [--limits-off] [--no-build]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { Client } from '../test/helpers/clients.js';
import { cpuSeconds, pct, ROOT, startDaemon } from './bench/daemon.js';
import { fastSign, genAvatar, seeded } from './lib/gen.js';

const argv = process.argv.slice(2);
const opt = (name: string, def: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : def;
};
const seconds = opt('seconds', 20);
const rate = opt('rate', 50);
const limitsOff = argv.includes('--limits-off');
const log = (m: string) => process.stderr.write(`[bench-abuse ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

if (!argv.includes('--no-build')) {
  log('building dist/');
  const b = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
  if (b.status !== 0) throw new Error(`build failed: ${b.stdout}${b.stderr}`);
}

// The defaults a public daemon runs with, restored over the benchmark daemon's "no limits".
const limits: Record<string, string> = limitsOff
  ? {}
  : {
      PROOFKEEP_SERVER_LIMITS_RECOVERIES_PER_MINUTE: '600',
      PROOFKEEP_SERVER_LIMITS_BYTES_PER_MINUTE: String(16 * 1024 * 1024),
      PROOFKEEP_SERVER_MAX_CONNECTIONS_PER_CLIENT: '64',
      PROOFKEEP_SERVER_WRITE_RATE_LIMIT: '600',
    };
const dir = mkdtempSync(join(os.tmpdir(), 'proofkeep-bench-abuse-'));
const daemon = await startDaemon(dir, limits);
const r1 = (x: number) => Math.round(x * 10) / 10;

try {
  const good = new Client(daemon.url, '127.0.0.3', 16);
  const bytes = seeded('bench-abuse');
  // Each submit binds a fresh Avatar: submits in flight at once never race for one chain's head.
  let bindings = 0;
  async function submit(): Promise<number> {
    const me = genAvatar(bytes);
    const identity = `good${bindings++}`;
    const p = await good.post('/v1/proof/payload', { action: 'create', platform: 'twitter', identity, public_key: me.id });
    if (p.status !== 200) return p.status;
    const s = await good.post('/v1/proof', {
      action: 'create', platform: 'twitter', identity, public_key: me.id, proof_location: '1', uuid: p.body.uuid,
      created_at: p.body.created_at, extra: { signature: fastSign(p.body.sign_payload, me.secretKey) },
    });
    return s.status;
  }
  for (let i = 0; i < 5; i++) if ((await submit()) !== 201) throw new Error('setup submit failed');

  /** The good client's open-loop reads plus one submit a second, for `seconds`. */
  async function goodClient(): Promise<{ p50: number; p99: number; max: number; readErrors: number; submits: number; submitFailures: number }> {
    const lat: number[] = [];
    let readErrors = 0;
    let submits = 0;
    let submitFailures = 0;
    const pending: Promise<void>[] = [];
    const t0 = performance.now();
    const total = Math.floor(rate * seconds);
    let nextSubmit = t0;
    for (let i = 0; i < total; i++) {
      const due = t0 + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const from = Math.max(due, performance.now());
      const id = `good${i % 5}`;
      pending.push(good.get(`/v1/proof?platform=twitter&identity=${id}&exact=true`).then(
        (r) => void (r.status !== 200 && readErrors++),
        () => void readErrors++,
      ).finally(() => lat.push(performance.now() - from)));
      if (performance.now() >= nextSubmit) {
        nextSubmit += 1000;
        submits++;
        pending.push(submit().then((s) => void (s !== 201 && submitFailures++), () => void submitFailures++));
      }
    }
    await Promise.all(pending);
    lat.sort((a, b) => a - b);
    return { p50: r1(pct(lat, 50)), p99: r1(pct(lat, 99)), max: r1(lat[lat.length - 1] ?? NaN), readErrors, submits, submitFailures };
  }

  const result: Record<string, unknown> = {
    machine: { nproc: os.availableParallelism(), node: process.version, loadavg: os.loadavg().map(r1) },
    limits: limitsOff ? 'off' : 'defaults', rate, seconds,
  };

  log('phase: good client alone');
  result['alone'] = await goodClient();

  log('phase: flood of invalid bulk batches from 127.0.0.2 (its own process)');
  const cpu0 = cpuSeconds(daemon.pid);
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/bench/flood.ts'), daemon.url, String(seconds + 2)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const floodDone = new Promise<void>((r) => child.once('exit', () => r()));
  // Let the flood get going (and spend its burst) before the good client starts measuring.
  await new Promise((r) => setTimeout(r, 2000));
  const during = await goodClient();
  await floodDone;
  const f = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { requests: number; answered200: number; answered429: number; other: number; admittedRecoveries: number; seconds: number };
  result['flood'] = {
    good: during, ...f,
    // includes the one overdraft a full bucket allows (a whole batch): short runs overstate the steady rate
    admittedRecoveriesPerMinute: Math.round((f.admittedRecoveries * 60) / f.seconds),
    daemonCpuSeconds: r1(cpuSeconds(daemon.pid) - cpu0),
  };

  log('phase: 500 idle connections from 127.0.0.4');
  const port = Number(new URL(daemon.url).port);
  const loris: net.Socket[] = [];
  for (let wave = 0; wave < 5; wave++) {
    await Promise.all(Array.from({ length: 100 }, () => new Promise<void>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.4' });
      s.on('error', () => undefined);
      s.once('connect', () => resolve());
      s.once('close', () => resolve());
      loris.push(s);
    })));
  }
  const openAfterConnect = loris.filter((s) => !s.destroyed && s.readyState === 'open').length;
  result['slowloris'] = { good: await goodClient(), connections: 500, stillOpenRightAfterConnecting: openAfterConnect };
  for (const s of loris) s.destroy();
  await good.close();

  console.log(JSON.stringify(result, null, 2));
  const row = (name: string, g: any) => `${name.padEnd(28)} p50 ${String(g.p50).padStart(6)} ms   p99 ${String(g.p99).padStart(7)} ms   read errors ${g.readErrors}   submits failed ${g.submitFailures}/${g.submits}`;
  console.log(`\ngood client (127.0.0.3), GET /v1/proof?exact=true at ${rate}/s + 1 POST /v1/proof/s, ${seconds} s per phase, limits ${result['limits']}`);
  console.log(row('alone', result['alone']));
  console.log(row('during the bulk flood', (result['flood'] as any).good));
  console.log(row('during 500 idle conns', (result['slowloris'] as any).good));
  const fl = result['flood'] as any;
  console.log(`flood: ${fl.requests} requests in ${fl.seconds} s, ${fl.answered200} answered 200, ${fl.answered429} answered 429, ${fl.other} other; admitted ${fl.admittedRecoveries} recoveries = ${fl.admittedRecoveriesPerMinute}/min (daemon CPU ${fl.daemonCpuSeconds} s)`);
} finally {
  await daemon.stop();
  rmSync(dir, { recursive: true, force: true });
}
