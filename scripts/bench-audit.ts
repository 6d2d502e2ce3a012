/**
 * Measures the auditor on a generated dump (real signatures): prints JSON with the generation
 * time, the audit time and rate, and peak RSS. One run; not for loops on shared machines.
 *
 *   node --import tsx scripts/bench-audit.ts [--links 100000] [--avatars 1000] [--workers 0] [--backend auto]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAudit } from '../src/audit/index.js';
import { isBackendMode } from '../src/crypto/config.js';
import { generateDump } from './gen-dump.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : dflt;
}

const links = Number(arg('links', '100000'));
const avatars = Number(arg('avatars', '1000'));
const workers = Number(arg('workers', '0'));
const backend = arg('backend', 'auto');
if (!isBackendMode(backend)) throw new Error('--backend must be auto, native or noble');
const dir = mkdtempSync(join(tmpdir(), 'pk-bench-audit-'));
let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
try {
  const file = join(dir, 'dump.jsonl');
  const gen = await generateDump({ out: file, links, avatars, forge: 0 });
  const rssBefore = process.memoryUsage().rss;
  peakRss = rssBefore;
  const t0 = performance.now();
  const report = await runAudit([{ kind: 'path', path: file }], { workers, backend });
  const secs = (performance.now() - t0) / 1000;
  process.stdout.write(
    `${JSON.stringify({
      links: report.totals.links,
      verified: report.totals.verified,
      dumpBytes: gen.bytes,
      genSeconds: gen.seconds,
      signer: gen.signer,
      auditSeconds: +secs.toFixed(2),
      linksPerSecond: Math.round(report.totals.links / secs),
      workers,
      backend,
      rssBeforeMB: Math.round(rssBefore / 1e6),
      peakRssMB: Math.round(peakRss / 1e6),
    })}\n`,
  );
} finally {
  clearInterval(sampler);
  rmSync(dir, { recursive: true, force: true });
}
