/**
 * The PostgreSQL columns of `npm run bench`: the default configuration (archive on, checkers on
 * the local fakes) with `store.engine = postgres`, on a real server started here (Debian's
 * binaries, a temp dir, 127.0.0.1), with one and with two daemon processes on one database. With
 * two, every phase's load is split evenly over both daemons and the figures are their sum over
 * the same wall time. The server's own CPU (every postgres process) is reported beside the
 * daemons': on two cores it competes with them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freshDatabase, pgBinDir, startPgServer, type PgServer } from '../../test/helpers/postgres.js';
import { cpuSeconds, startDaemon, type RunningDaemon } from './daemon.js';
import type { RunningFakes } from './fakes.js';
import { bulkBodies, bulkIngest, keepAliveThroughput, oneLinkBodies, openLoop, proofBodies, singleIngest } from './http.js';

export interface PgBenchContext {
  fakes: RunningFakes;
  size: { bulkAvatars: number; perClient: number; readSeconds: number };
  tmpDir(prefix: string): string;
  ratio(linksPerSecond: number): number;
  log(msg: string): void;
}

const r2 = (x: number) => Math.round(x * 100) / 100;

/** CPU seconds used so far by every process of the server (the postmaster and its backends). */
function serverCpu(server: PgServer): number {
  const pid = Number(readFileSync(join(server.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  let total = 0;
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (Number(p) === pid || ppid === pid) total += cpuSeconds(Number(p));
    } catch {
      /* exited */
    }
  }
  return total;
}

/** Split `items` into `n` round-robin shares. */
function shares<T>(items: T[], n: number): T[][] {
  const out: T[][] = Array.from({ length: n }, () => []);
  items.forEach((x, i) => out[i % n]!.push(x));
  return out;
}

export async function postgresColumns(ctx: PgBenchContext): Promise<Record<string, unknown> | null> {
  if (!pgBinDir()) {
    ctx.log('postgres: no PostgreSQL server binaries (Debian: apt-get install postgresql): column skipped');
    return null;
  }
  const server = await startPgServer();
  try {
    const out: Record<string, unknown> = {};
    for (const n of [1, 2]) out[`daemons${n}`] = await column(ctx, server, n);
    return out;
  } finally {
    server.stop();
  }
}

async function column(ctx: PgBenchContext, server: PgServer, n: number): Promise<Record<string, unknown>> {
  const label = `postgres, ${n} daemon${n > 1 ? 's' : ''}`;
  const url = freshDatabase(server.url, 'bench');
  const env = { PROOFKEEP_STORE_ENGINE: 'postgres', PROOFKEEP_DATABASE_URL: url };
  const daemons: RunningDaemon[] = [];
  try {
    // One at a time: the first migrates the empty database, the second finds it migrated.
    // Every daemon on one database signs the log with one key (docs/postgres.md): the first one's.
    const dirs = Array.from({ length: n }, (_, i) => ctx.tmpDir(`pg${n}-${i}`));
    for (let i = 0; i < n; i++) daemons.push(await startDaemon(dirs[i]!, i === 0 ? env : { ...env, PROOFKEEP_TLOG_KEY_FILE: join(dirs[0]!, 'log.key') }, [], ctx.fakes.env));
    const out: Record<string, any> = { label, daemons: n, archive: true, checkers: 'on, pointed at local fake platforms' };
    const measure = async <T>(fn: () => Promise<T>) => {
      const d0 = daemons.map((d) => cpuSeconds(d.pid));
      const s0 = serverCpu(server);
      const t0 = performance.now();
      const r = await fn();
      return { r, seconds: (performance.now() - t0) / 1000, daemonCpu: daemons.reduce((s, d, i) => s + cpuSeconds(d.pid) - d0[i]!, 0), serverCpu: serverCpu(server) - s0 };
    };

    ctx.log(`${label}: bulk: signing ${ctx.size.bulkAvatars * 10} links (not timed)`);
    const { bodies, links, chains } = bulkBodies(ctx.size.bulkAvatars, 10, 1000, `bench-bulk-pg${n}`);
    const perBody = links / bodies.length;
    ctx.log(`${label}: bulk: POST /v1/links, ${bodies.length} requests of 1000 links, 2 concurrent per daemon`);
    const bulk = await measure(() => Promise.all(shares(bodies, n).map((b, i) => bulkIngest(daemons[i]!.url, b, b.length * perBody, 2, 300_000))));
    const accepted = bulk.r.reduce((s, x) => s + x.accepted, 0);
    if (accepted !== links) throw new Error(`${label}: bulk: ${links - accepted} of ${links} links not accepted`);
    out['bulk'] = { links, seconds: r2(bulk.seconds), linksPerSecond: Math.round(links / bulk.seconds), ratio: ctx.ratio(links / bulk.seconds), daemonCpuUsPerLink: r2((bulk.daemonCpu * 1e6) / links), serverCpuUsPerLink: r2((bulk.serverCpu * 1e6) / links) };

    ctx.log(`${label}: single: POST /v1/proof, 32 clients over ${n} daemon(s)`);
    const { bodies: proofs, tweets } = proofBodies(32, ctx.size.perClient, `bench-proof-pg${n}`);
    await ctx.fakes.addTweets(tweets);
    const single = await measure(() => Promise.all(shares(proofs, n).map((b, i) => singleIngest(daemons[i]!.url, b, 120_000, '/v1/proof'))));
    const sAcc = single.r.reduce((s, x) => s + x.accepted, 0);
    out['single'] = { accepted: sAcc, seconds: r2(single.seconds), linksPerSecond: Math.round(sAcc / single.seconds), ratio: ctx.ratio(sAcc / single.seconds), p99ms: Math.max(...single.r.map((x) => x.p99ms)), daemonCpuUsPerLink: r2((single.daemonCpu * 1e6) / sAcc), serverCpuUsPerLink: r2((single.serverCpu * 1e6) / sAcc) };

    ctx.log(`${label}: single: one-link POST /v1/links, 32 clients over ${n} daemon(s)`);
    const one = oneLinkBodies(32, ctx.size.perClient, `bench-one-link-pg${n}`);
    const ol = await measure(() => Promise.all(shares(one, n).map((b, i) => singleIngest(daemons[i]!.url, b, 120_000, '/v1/links'))));
    const oAcc = ol.r.reduce((s, x) => s + x.accepted, 0);
    out['singleLinks'] = { accepted: oAcc, seconds: r2(ol.seconds), linksPerSecond: Math.round(oAcc / ol.seconds), ratio: ctx.ratio(oAcc / ol.seconds), p99ms: Math.max(...ol.r.map((x) => x.p99ms)), daemonCpuUsPerLink: r2((ol.daemonCpu * 1e6) / oAcc), serverCpuUsPerLink: r2((ol.serverCpu * 1e6) / oAcc) };

    const exact = chains.slice(0, 500).map((c) => `/v1/proof?platform=twitter&identity=${c.links.find((l) => l.platform === 'twitter')!.identity}&exact=true`);
    ctx.log(`${label}: reads: GET /v1/proof?exact=true ~1000 req/s in all for ${ctx.size.readSeconds} s`);
    const open = await Promise.all(daemons.map((d) => openLoop(d.url, exact, 1000 / n, ctx.size.readSeconds)));
    ctx.log(`${label}: reads: GET /v1/proof?exact=true throughput, 32 keep-alive connections in all, ${ctx.size.readSeconds} s`);
    const tp = await measure(() => Promise.all(daemons.map((d) => keepAliveThroughput(d.url, exact, 32 / n, ctx.size.readSeconds))));
    const requests = tp.r.reduce((s, x) => s + x.requests, 0);
    out['reads'] = {
      exactP99msAt1000: Math.max(...open.map((x) => x.p99ms)),
      exactP50msAt1000: Math.max(...open.map((x) => x.p50ms)),
      errors: open.reduce((s, x) => s + x.errors, 0) + tp.r.reduce((s, x) => s + x.errors, 0),
      exactThroughputRps: Math.round(tp.r.reduce((s, x) => s + x.requestsPerSecond, 0)),
      daemonCpuUsPerRequest: r2((tp.daemonCpu * 1e6) / requests),
      serverCpuUsPerRequest: r2((tp.serverCpu * 1e6) / requests),
    };
    return out;
  } catch (err) {
    for (const d of daemons) ctx.log(`${label}: daemon ${d.pid} stderr (tail):\n${d.stderrTail()}`);
    throw err;
  } finally {
    for (const d of daemons) await d.stop().catch(() => undefined);
  }
}
