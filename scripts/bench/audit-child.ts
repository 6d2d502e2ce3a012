/**
 * Child process of `npm run bench` (phase "audit"): offline verification of a JSON Lines dump of
 * /v1/proofchain/changes entries through the verify pool, streamed with bounded memory, as a
 * separate process so its peak RSS is the audit's alone.
 *
 *   node --import tsx scripts/bench/audit-child.ts DUMP MODE WORKERS [auditor]
 *
 * Mode "pool": core verifyLink of every link via src/crypto/pool (signatures only; chain rule
 * not applied). Mode "auditor": src/audit's runAudit (its own workers parse and verify), when present.
 * Prints one JSON line: {links, ok, failed, codes, seconds, maxRssMB, backend, workers, label}.
 */
import { createReadStream, existsSync } from 'node:fs';
import os from 'node:os';
import { createInterface } from 'node:readline';
import type { Link } from '../../src/core/index.js';
import type { VerifyItem, VerifyPool as PoolClass } from '../../src/crypto/pool.js';

// The built code (dist/, as `proofkeep audit` runs) when present: its workers then load plain JS
// instead of compiling TypeScript through tsx in every thread.
const dist = new URL('../../dist/', import.meta.url);
const base = existsSync(new URL('crypto/pool.js', dist)) && !process.env['BENCH_FROM_SOURCE'] ? dist.href : new URL('../../src/', import.meta.url).href;
const { VerifyPool } = (await import(`${base}crypto/pool.js`)) as { VerifyPool: typeof PoolClass };
const { linksFromProofchainItems } = (await import(`${base}core/index.js`)) as typeof import('../../src/core/index.js');

const [file, modeArg, workersArg, how] = process.argv.slice(2);
if (!file) throw new Error('usage: audit-child.ts DUMP MODE WORKERS [pool|auditor]');
// Pool mode verifies through its own pool; auditor mode lets runAudit build its pool (as
// `proofkeep audit` does), so only one set of workers exists either way.
const pool = new VerifyPool({ mode: (modeArg ?? 'auto') as 'auto', workers: how === 'auditor' ? 1 : Number(workersArg ?? 0) });
await pool.start();

const BATCH = 2048;
const MAX_IN_FLIGHT = 3;
const TIME_LIMIT_MS = 300_000;

async function viaPool(): Promise<{ links: number; ok: number; failed: number; codes: Record<string, number>; label: string }> {
  const codes: Record<string, number> = {};
  let links = 0;
  let ok = 0;
  let failed = 0;
  let batch: VerifyItem[] = [];
  const inflight = new Set<Promise<void>>();
  const started = performance.now();
  const send = (items: VerifyItem[]) => {
    const p: Promise<void> = pool.verifyLinks(items).then((rs) => {
      for (const r of rs) {
        if (r.ok) ok++;
        else {
          failed++;
          codes[r.code] = (codes[r.code] ?? 0) + 1;
        }
      }
      inflight.delete(p);
    });
    inflight.add(p);
    return p;
  };
  let lastAvatar = '';
  let lastSig: string | null = null;
  const rl = createInterface({ input: createReadStream(file!), crlfDelay: Infinity });
  for await (const line of rl) {
    if (line === '') continue;
    if (performance.now() - started > TIME_LIMIT_MS) throw new Error('audit phase exceeded its time limit');
    const entry = JSON.parse(line) as { avatar: string } & Record<string, unknown>;
    if (entry.avatar !== lastAvatar) {
      lastAvatar = entry.avatar;
      lastSig = null;
    }
    let link: Link;
    try {
      link = linksFromProofchainItems([entry], lastSig)[0]!;
    } catch {
      failed++;
      codes['BAD_REQUEST'] = (codes['BAD_REQUEST'] ?? 0) + 1;
      continue;
    }
    lastSig = link.signature;
    links++;
    batch.push({ avatar: entry.avatar, link, allowLegacy: true });
    if (batch.length >= BATCH) {
      send(batch);
      batch = [];
      // Bounded memory: at most MAX_IN_FLIGHT batches queued at the pool.
      while (inflight.size >= MAX_IN_FLIGHT) await Promise.race(inflight);
    }
  }
  if (batch.length) send(batch);
  await Promise.all(inflight);
  return { links, ok, failed, codes, label: 'core verifyLink of every link via the worker pool (signatures only; src/audit not used)' };
}

type AuditModule = { runAudit(sources: unknown[], opts: unknown): Promise<{ toJSON?: () => unknown } & Record<string, unknown>> };
// Loaded before the clock starts, like the pool and the core above: loading code (through the
// tsx hooks thread this script runs under) is not audit work. The start of runAudit's workers is.
const audit: AuditModule | null = how === 'auditor' ? ((await import(process.env['BENCH_AUDIT_MODULE'] ?? `${base}audit/index.js`)) as AuditModule) : null;

async function viaAuditor(): Promise<{ links: number; ok: number; failed: number; codes: Record<string, number>; label: string }> {
  if (!audit) throw new Error('audit module not loaded');
  // runAudit starts (and stops) its own worker pool: its start-up is part of the measured time.
  const report = await audit.runAudit([{ kind: 'path', path: file }], { backend: modeArg, workers: Number(workersArg ?? 0) });
  const json = (typeof report.toJSON === 'function' ? report.toJSON() : report) as Record<string, any>;
  const totals = (json['totals'] ?? {}) as { links?: number; verified?: number; problems?: number };
  const problems = (json['problems'] ?? []) as Array<{ code: string }>;
  const codes: Record<string, number> = {};
  for (const p of problems) codes[p.code] = (codes[p.code] ?? 0) + 1;
  const errors = (json['errors'] ?? []) as unknown[];
  if (errors.length) throw new Error(`audit could not read its source: ${JSON.stringify(errors).slice(0, 500)}`);
  return {
    links: Number(totals.links ?? 0),
    ok: Number(totals.verified ?? 0),
    failed: Number(totals.problems ?? problems.length),
    codes,
    label: 'src/audit runAudit (dump source, chain rule applied): its workers parse and verify chunks of lines, the main thread orders',
  };
}

const t0 = performance.now();
const c0 = process.cpuUsage(); // the whole process: main thread and workers
process.stderr.write(`audit-child: code from ${base}\n`);
const r = how === 'auditor' ? await viaAuditor() : await viaPool();
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(c0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const backend = pool.backendName;
const workers = how === 'auditor' ? Number(workersArg ?? 0) || os.availableParallelism() : pool.workers;
await pool.stop();
process.stdout.write(
  `${JSON.stringify({ ...r, seconds, cpuSeconds, linksPerSecond: r.links / seconds, maxRssMB: process.resourceUsage().maxRSS / 1024, backend, workers })}\n`,
);
