/**
 * What a dump link costs the audit besides recovery: src/audit/lines.ts's auditChunkBytes on one
 * thread over a generated dump, timed twice — with the real native backend, and with recovery
 * answered from a memo of that backend's own answers (filled beforehand), so the second figure
 * is reading, parsing, payload rebuilding, keccak, decoding, key parsing and result building
 * alone (plus the memo's lookup, ~1–2 µs). The Avatar key cache (4,096 keys) is flushed by a
 * warm-up over other Avatars first, so keys are parsed as in a real run.
 *
 *   node --import tsx scripts/bench/audit-overhead.ts DUMP [--prof FILE]
 *
 * DUMP: a JSON Lines dump of ≥ 60 MB (scripts/gen-dump.ts, or the bench's 100,000-link dump).
 * Prints JSON: {links, usPerLinkReal, usPerLinkNoRecovery}. CPU time of this thread. `--prof`
 * writes a .cpuprofile of the no-recovery pass only. Not an assertion: figures to compare in pairs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { auditChunkBytes } from '../../src/audit/lines.js';
import type { RecoveryBackend } from '../../src/core/index.js';
import { selectBackend } from '../../src/crypto/select.js';

const [file, flag, profOut] = process.argv.slice(2);
if (!file) throw new Error('usage: audit-overhead.ts DUMP [--prof FILE]');

const CHUNK = 256 * 1024;
function chunks(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; ) {
    let end = Math.min(at + CHUNK, bytes.length);
    if (end < bytes.length) end = bytes.lastIndexOf(10, end - 1) + 1;
    out.push(bytes.subarray(at, end));
    at = end;
  }
  return out;
}

const all = readFileSync(file);
// Warm-up: the first 40 MB (≥ 5,000 Avatars in the bench's dump); timed: the 20 MB after them.
const cut = all.indexOf(10, 40_000_000) + 1;
if (cut <= 0 || all.length < cut + 20_000_000) throw new Error('dump too small: needs ≥ 60 MB');
const warm = chunks(all.subarray(0, cut));
const timed = chunks(all.subarray(cut, all.indexOf(10, cut + 20_000_000) + 1));

const real = selectBackend('native').backend;
const memo = new Map<string, Uint8Array | null>();
const memoKey = (d: Uint8Array, c: Uint8Array, r: number, z: boolean) => `${Buffer.from(d).toString('latin1')}${Buffer.from(c.subarray(0, 64)).toString('latin1')}${r}${z ? 'c' : 'u'}`;
const memoized: RecoveryBackend = {
  ...real,
  recover: (d, c, r) => {
    const k = memoKey(d, c, r, false);
    if (!memo.has(k)) memo.set(k, real.recover(d, c, r));
    return memo.get(k)!;
  },
  recoverCompressed: (d, c, r) => {
    const k = memoKey(d, c, r, true);
    if (!memo.has(k)) memo.set(k, real.recoverCompressed!(d, c, r));
    return memo.get(k)!;
  },
};

function pass(list: Uint8Array[], backend: RecoveryBackend): { links: number; us: number } {
  let links = 0;
  const c0 = process.cpuUsage();
  for (const c of list) {
    const r = auditChunkBytes(c, backend);
    if (r.fail.length) throw new Error(`${r.fail.length} links failed: not a clean dump`);
    links += r.links;
  }
  const c = process.cpuUsage(c0);
  return { links, us: c.user + c.system };
}

for (const c of timed) auditChunkBytes(c, memoized); // fills the memo (and parses the timed Avatars)
pass(warm, real); // flushes the key cache and warms the code
const withRecovery = pass(timed, real);
pass(warm, real);
const session = flag === '--prof' && profOut ? new Session() : null;
if (session) {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 50 });
  await session.post('Profiler.start');
}
const without = pass(timed, memoized);
if (session) writeFileSync(profOut!, JSON.stringify((await session.post('Profiler.stop')).profile));
process.stdout.write(
  `${JSON.stringify({ links: without.links, usPerLinkReal: +(withRecovery.us / withRecovery.links).toFixed(2), usPerLinkNoRecovery: +(without.us / without.links).toFixed(2) })}\n`,
);
