/**
 * `npm run bench` — issue 5's benchmark, in one run:
 *   yardstick   raw single-core libsecp256k1 recovery rate (and noble's, for comparison)
 *   audit       offline verification of a generated 100,000-link dump (separate process: its peak RSS)
 *   bulk        POST /v1/links ingest into a real daemon (built dist/, 127.0.0.1, temp data dir)
 *   single      POST /v1/proof ingest, 32 concurrent clients, each signing for its own Avatar
 *   reads       GET /v1/proof and GET /v1/proofchain p50/p99 under ~1,000 req/s open-loop load
 *   startup     daemon start-up with a million links indexed (index built by direct SQLite inserts)
 * Throughputs are also given as ratios to the yardstick. Prints JSON, then a short table.
 *
 *   npm run bench [-- --quick] [-- --out FILE] [-- --phases audit,bulk,...] [-- --no-build]
 *                 [-- --profile DIR]   (daemon and audit child run with --cpu-prof into DIR)
 *                 [-- --archive-off]   (ingest/read phases with archive.enabled = false)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { buildBigDb } from './bench/bigdb.js';
import { cpuSeconds, ROOT, startDaemon, type RunningDaemon } from './bench/daemon.js';
import { bulkBodies, bulkIngest, openLoop, proofBodies, singleIngest } from './bench/http.js';
import { nativeRates, nobleRates } from './bench/recovery.js';
import { writeFeedDump } from './lib/gen.js';

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const opt = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = flag('quick');
const ALL = ['yardstick', 'audit', 'bulk', 'single', 'reads', 'startup'];
const phases = new Set((opt('phases') ?? ALL.join(',')).split(','));
phases.add('yardstick');
const size = quick
  ? { dump: 10_000, bulkAvatars: 500, perClient: 20, bigLinks: 100_000, readSeconds: 2 }
  : { dump: 100_000, bulkAvatars: 5_000, perClient: 100, bigLinks: 1_000_000, readSeconds: 5 };

const r2 = (x: number) => Math.round(x * 100) / 100;
const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

const cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
const result: Record<string, any> = {
  machine: { nproc: os.availableParallelism(), cpu, node: process.version, loadavgAtStart: os.loadavg().map(r2), quick },
};
const profileDir = opt('profile');
const profArgs: string[] = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
const tmp: string[] = [];
const tmpDir = (p: string) => {
  const d = mkdtempSync(join(os.tmpdir(), `proofkeep-bench-${p}-`));
  tmp.push(d);
  return d;
};
let daemon: RunningDaemon | null = null;

try {
  if (!flag('no-build') && (phases.has('bulk') || phases.has('single') || phases.has('reads') || phases.has('startup') || phases.has('audit'))) {
    log('building dist/ (the daemon runs as `npm start` would)');
    const b = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
    if (b.status !== 0) throw new Error(`build failed: ${b.stdout}${b.stderr}`);
  }

  log('yardstick: raw libsecp256k1 recovery, one core, 3 x 1 s');
  const rates = nativeRates(3, 1000);
  const yardstick = Math.max(...rates.map((r) => r.wall));
  const yardstickCpu = Math.max(...rates.map((r) => r.cpu));
  const noble = nobleRates(1, 1500)[0]!.wall;
  result['yardstick'] = {
    nativeRecoveriesPerSecond: Math.round(yardstick),
    nativeRecoveriesPerCpuSecond: Math.round(yardstickCpu),
    rounds: rates.map((r) => Math.round(r.wall)),
    nobleRecoveriesPerSecond: Math.round(noble),
    nativeOverNoble: r2(yardstick / noble),
  };
  const ratio = (linksPerSecond: number) => r2(linksPerSecond / yardstick);
  const nproc = os.availableParallelism();
  // Load-independent view: CPU time (all threads) per link. On an otherwise idle machine the
  // phase could at best run nproc / cpuPerLink links/s; as a ratio to the yardstick's CPU rate.
  const cpuView = (cpuSeconds: number, links: number) => ({
    cpuUsPerLink: r2((cpuSeconds * 1e6) / links),
    cpuBoundRatio: r2(nproc / (cpuSeconds / links) / yardstickCpu),
  });

  if (phases.has('audit')) {
    const dir = tmpDir('audit');
    const file = join(dir, 'dump.jsonl');
    log(`audit: generating a ${size.dump}-link dump (not timed)`);
    const dump = await writeFeedDump(file, size.dump, 10);
    const useAuditor = existsSync(join(ROOT, 'src/audit/index.ts')) && !flag('no-auditor');
    log(`audit: verifying it in a child process (${useAuditor ? 'src/audit runAudit + pool' : 'core verifyLink via the pool'})`);
    const c = spawnSync(process.execPath, [...profArgs, '--import', 'tsx', join(ROOT, 'scripts/bench/audit-child.ts'), file, 'auto', '0', useAuditor ? 'auditor' : 'pool'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 600_000,
    });
    if (c.status !== 0) throw new Error(`audit child failed: ${c.stderr}`);
    const a = JSON.parse(c.stdout.trim().split('\n').pop()!);
    result['audit'] = { ...a, ...cpuView(a.cpuSeconds, a.links), dumpLinks: dump.links, walletLinks: dump.walletLinks, recoveriesPerLink: r2((dump.links + dump.walletLinks) / dump.links), linksPerSecond: Math.round(a.linksPerSecond), seconds: r2(a.seconds), maxRssMB: r2(a.maxRssMB), ratio: ratio(a.linksPerSecond) };
  }

  const needDaemon = ['bulk', 'single', 'reads'].some((p) => phases.has(p));
  if (needDaemon) {
    const dir = tmpDir('daemon');
    // By default the daemon runs as `npm start` would, archive included (IPFS pinning and, with
    // no wallet configured, the in-process Arweave devnet, working in the background while links
    // arrive); --archive-off measures proofkeep's own ingest path alone.
    daemon = await startDaemon(dir, flag('archive-off') ? { PROOFKEEP_ARCHIVE_ENABLED: 'false' } : {}, profArgs);
    result['daemon'] = { archive: !flag('archive-off'), startupEmptyMs: Math.round(daemon.startupMs), idleRssMB: daemon.rss.phase() };
    const pathsProof: string[] = [];
    const pathsChain: string[] = [];
    if (phases.has('bulk') || phases.has('reads')) {
      log(`bulk: signing ${size.bulkAvatars * 10} links (not timed)`);
      const { bodies, links, chains } = bulkBodies(size.bulkAvatars, 10, 1000);
      for (const c of chains.slice(0, 500)) {
        pathsChain.push(`/v1/proofchain?avatar=${c.avatar.id}`);
        const tw = c.links.find((l) => l.platform === 'twitter')!;
        pathsProof.push(`/v1/proof?platform=twitter&identity=${tw.identity}`);
      }
      daemon.rss.phase();
      log(`bulk: POST /v1/links, ${bodies.length} requests of 1000 links, 2 concurrent`);
      const st0 = await storeStats(daemon.url);
      const cpu0 = cpuSeconds(daemon.pid);
      const b = await bulkIngest(daemon.url, bodies, links, 2, 300_000);
      const cpu = cpuSeconds(daemon.pid) - cpu0;
      if (b.accepted !== links) throw new Error(`bulk: ${b.rejected} of ${links} links rejected`);
      const st = await storeStats(daemon.url);
      result['bulk'] = { links, ...b, linksPerCommit: r2((st.appends - st0.appends) / Math.max(1, st.commits - st0.commits)), seconds: r2(b.seconds), linksPerSecond: Math.round(b.linksPerSecond), ratio: ratio(b.linksPerSecond), ...cpuView(cpu, links), peakRssMB: daemon.rss.phase() };
    }
    if (phases.has('single')) {
      log(`single: signing 32 x ${size.perClient} POST /v1/proof bodies (not timed)`);
      const bodies = proofBodies(32, size.perClient);
      daemon.rss.phase();
      log('single: POST /v1/proof, 32 concurrent clients');
      const st0 = await storeStats(daemon.url);
      const cpu0 = cpuSeconds(daemon.pid);
      const s = await singleIngest(daemon.url, bodies, 120_000);
      const cpu = cpuSeconds(daemon.pid) - cpu0;
      const st = await storeStats(daemon.url);
      result['single'] = { ...s, linksPerCommit: r2((st.appends - st0.appends) / Math.max(1, st.commits - st0.commits)), seconds: r2(s.seconds), linksPerSecond: Math.round(s.linksPerSecond), ratio: ratio(s.linksPerSecond), ...cpuView(cpu, s.accepted), peakRssMB: daemon.rss.phase() };
    }
    if (phases.has('reads') && pathsProof.length) {
      log(`reads: GET /v1/proof, then GET /v1/proofchain, ~1000 req/s for ${size.readSeconds} s each`);
      daemon.rss.phase();
      // GET /v1/proof without `exact` is Next.ID's substring search (LIKE '%x%'); with exact=true
      // it is an index lookup. Both are measured: clients of the deployed service use both.
      const p = await openLoop(daemon.url, pathsProof, 1000, size.readSeconds);
      const pRss = daemon.rss.phase();
      const e = await openLoop(daemon.url, pathsProof.map((x) => `${x}&exact=true`), 1000, size.readSeconds);
      const eRss = daemon.rss.phase();
      const c = await openLoop(daemon.url, pathsChain, 1000, size.readSeconds);
      result['reads'] = { proof: { ...p, peakRssMB: pRss }, proofExact: { ...e, path: '/v1/proof (exact=true)', peakRssMB: eRss }, proofchain: { ...c, peakRssMB: daemon.rss.phase() } };
    }
    await daemon.stop();
    daemon = null;
  }

  if (phases.has('startup')) {
    const dir = tmpDir('startup');
    log(`startup: building a ${size.bigLinks}-link index with direct SQLite inserts (not timed)`);
    const built = await buildBigDb(dir, size.bigLinks, 10);
    log('startup: starting the daemon on it (default config, then with the archive off)');
    daemon = await startDaemon(dir, {}, profArgs);
    const startupMs = daemon.startupMs;
    const h0 = performance.now();
    const health = (await (await fetch(`${daemon.url}/healthz`)).json()) as { store?: { links?: number } };
    const healthMs = performance.now() - h0;
    const q0 = performance.now();
    const q = (await (await fetch(`${daemon.url}/v1/proof?platform=twitter&identity=u${built.avatars}_0`)).json()) as { ids?: unknown[] };
    const queryMs = performance.now() - q0;
    const e0 = performance.now();
    await (await fetch(`${daemon.url}/v1/proof?platform=twitter&identity=u${built.avatars}_0&exact=true`)).json();
    const exactMs = performance.now() - e0;
    if (health.store?.links !== built.links) throw new Error(`startup: /healthz counts ${health.store?.links} links, built ${built.links}`);
    if (!q.ids?.length) throw new Error('startup: a known identity was not found');
    const rssAfterStartMB = daemon.rss.phase();
    await daemon.stop();
    daemon = null;
    // The archive starts an IPFS node and, without a wallet, the in-process Arweave devnet:
    // measured apart so the index's own share of start-up is visible.
    daemon = await startDaemon(dir, { PROOFKEEP_ARCHIVE_ENABLED: 'false' });
    const startupNoArchiveMs = daemon.startupMs;
    result['startup'] = {
      links: built.links,
      avatars: built.avatars,
      dbMB: Math.round(built.bytes / 1048576),
      buildSeconds: r2(built.seconds),
      startupMs: Math.round(startupMs),
      startupArchiveOffMs: Math.round(startupNoArchiveMs),
      firstHealthzMs: r2(healthMs),
      firstProofQueryMs: r2(queryMs),
      firstExactProofQueryMs: r2(exactMs),
      rssAfterStartMB,
    };
    await daemon.stop();
    daemon = null;
  }

  const after = nativeRates(1, 1000)[0]!.wall;
  result['yardstick']['nativeAfterRun'] = Math.round(after);
  result['machine']['loadavgAtEnd'] = os.loadavg().map(r2);
} finally {
  if (daemon) await daemon.stop().catch(() => undefined);
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
}

const json = JSON.stringify(result, null, 2);
process.stdout.write(`${json}\n\n${table(result)}\n`);
const out = opt('out');
if (out) writeFileSync(out, `${json}\n`);

/** The store's group-commit counters from /healthz (appends and durable commits so far). */
async function storeStats(url: string): Promise<{ appends: number; commits: number }> {
  const h = (await (await fetch(`${url}/healthz`)).json()) as { store?: { appends?: number; commits?: number } };
  return { appends: h.store?.appends ?? 0, commits: h.store?.commits ?? 0 };
}

function table(r: Record<string, any>): string {
  const y = r['yardstick'];
  const rows: string[][] = [['measure', 'value', 'ratio to yardstick', 'cpu-bound ratio', 'target', 'peak RSS MB']];
  rows.push(['yardstick: libsecp256k1 recoveries/s, 1 core', String(y.nativeRecoveriesPerSecond), '1.00', '1.00', '', '']);
  rows.push(['noble recoveries/s, 1 core', String(y.nobleRecoveriesPerSecond), r2(y.nobleRecoveriesPerSecond / y.nativeRecoveriesPerSecond).toFixed(3), '', '', '']);
  const tp = (name: string, x: any, target: string, rss: number) => rows.push([name, String(x.linksPerSecond), String(x.ratio), String(x.cpuBoundRatio), target, String(rss)]);
  if (r['audit']) tp(`offline verification, ${r['audit'].links} links, links/s`, r['audit'], '>= 1.5, RSS < 300', r['audit'].maxRssMB);
  if (r['bulk']) tp('bulk ingest POST /v1/links, links/s', r['bulk'], '>= 1.2', r['bulk'].peakRssMB);
  if (r['single']) tp('POST /v1/proof, 32 clients, links/s', r['single'], '>= 0.35', r['single'].peakRssMB);
  if (r['reads']) {
    for (const k of ['proof', 'proofExact', 'proofchain']) {
      const x = r['reads'][k];
      rows.push([`GET ${x.path} p50 / p99 ms @ ${x.achievedRps} req/s`, `${x.p50ms} / ${x.p99ms}`, '', '', k.startsWith('proof') && k !== 'proofchain' ? 'p99 < 10 ms @ 1000/s' : '', String(x.peakRssMB)]);
    }
  }
  if (r['startup']) {
    rows.push([`start-up with ${r['startup'].links} links, ms`, String(r['startup'].startupMs), '', '', '< 2000', String(r['startup'].rssAfterStartMB)]);
    rows.push(['  same, archive off (no IPFS node, no devnet), ms', String(r['startup'].startupArchiveOffMs), '', '', '', '']);
  }
  if (r['daemon']) rows.push(['start-up, empty index, ms', String(r['daemon'].startupEmptyMs), '', '', '', String(r['daemon'].idleRssMB)]);
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((c, i) => c.padEnd(w[i]!)).join('  ')).join('\n');
}
