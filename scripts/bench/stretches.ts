/**
 * The main thread's long stretches in a `--cpu-prof` profile: runs of samples without an idle
 * one, of at least --min ms (default 5), each with where its time went (self time by function,
 * and the frames most of its samples were under). What holds the event loop, in one list.
 *
 *   node --import tsx scripts/bench/stretches.ts PROFILE.cpuprofile [--min 5] [--top 6]
 *        [--bench bench.json]       only the drain window the bench recorded (readsDraining.monotonicUs)
 *        [--from S] [--to S]        only seconds S.. of the profile (offsets as printed)
 *        [--limit N]                the N longest only (default 20)
 *        [--grep RE]                only stretches with a frame matching RE (e.g. 'pins|blockstore')
 *        [--frame RE]               also the longest unbroken runs of samples under a frame matching RE
 *                                   (e.g. 'claimPass|checkpointer': how long one pass held the loop)
 *        [--timeline]               also busy % per second, with its top functions
 *
 * Offsets are seconds since the profile started; a profile's clock is the monotonic clock of
 * process.hrtime, which the bench records around its drain window.
 */
import { readFileSync } from 'node:fs';

interface Frame { functionName: string; url: string; lineNumber: number }
interface Node { id: number; callFrame: Frame; children?: number[] }
interface Profile { nodes: Node[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const file = argv[0];
if (!file || file.startsWith('--')) {
  process.stderr.write('usage: stretches.ts PROFILE.cpuprofile [--min ms] [--top n] [--bench bench.json] [--from s] [--to s] [--timeline]\n');
  process.exit(2);
}
const minMs = Number(opt('min') ?? 5);
const top = Number(opt('top') ?? 6);
const limit = Number(opt('limit') ?? 20);
const grep = opt('grep') !== undefined ? new RegExp(opt('grep')!) : null;
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;

let fromUs = opt('from') !== undefined ? p.startTime + Number(opt('from')) * 1e6 : -Infinity;
let toUs = opt('to') !== undefined ? p.startTime + Number(opt('to')) * 1e6 : Infinity;
const benchFile = opt('bench');
if (benchFile) {
  const b = JSON.parse(readFileSync(benchFile, 'utf8')) as { daemon?: { readsDraining?: { monotonicUs?: [number, number] } } };
  const w = b.daemon?.readsDraining?.monotonicUs;
  if (!w) throw new Error(`${benchFile} has no daemon.readsDraining.monotonicUs (a bench run from before it was recorded)`);
  [fromUs, toUs] = w;
}

const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const name = (f: Frame) => `${f.functionName || '(anonymous)'} ${f.url ? `${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}` : ''}`.trim();
const stackOf = (id: number): Frame[] => {
  const out: Frame[] = [];
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) out.push(byId.get(at)!.callFrame);
  return out;
};
const IDLE = new Set(['(idle)']);
const GENERIC = /^\((root|program|garbage collector)\)$|^processTicksAndRejections$|^listOnTimeout$|^processTimers$|^runNextTicks$|^process\.processImmediate$|^processImmediate$/;

// Sample i covers [t_i, t_{i+1}): its time is the next delta (the last one gets the interval).
const times: number[] = [];
let t = p.startTime;
for (const d of p.timeDeltas) times.push((t += d));
const dur = (i: number) => (i + 1 < times.length ? times[i + 1]! - times[i]! : 1000);

interface Stretch { start: number; end: number; samples: number[] }
const stretches: Stretch[] = [];
let cur: Stretch | null = null;
p.samples.forEach((id, i) => {
  const idle = IDLE.has(byId.get(id)!.callFrame.functionName);
  if (idle) {
    if (cur) stretches.push(cur);
    cur = null;
    return;
  }
  cur ??= { start: times[i]!, end: times[i]!, samples: [] };
  cur.samples.push(i);
  cur.end = times[i]! + dur(i);
});
if (cur) stretches.push(cur);

const rank = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
const ms = (us: number) => (us / 1000).toFixed(1);
const at = (us: number) => ((us - p.startTime) / 1e6).toFixed(3);

function describe(samples: number[]): { self: Array<[string, number]>; under: Array<[string, number]> } {
  const self = new Map<string, number>();
  const under = new Map<string, number>();
  for (const i of samples) {
    const stack = stackOf(p.samples[i]!);
    const d = dur(i);
    self.set(name(stack[0]!), (self.get(name(stack[0]!)) ?? 0) + d);
    const seen = new Set<string>();
    for (const f of stack) {
      if (GENERIC.test(f.functionName) || !f.url || f.url.startsWith('node:')) continue;
      const k = name(f);
      if (seen.has(k)) continue;
      seen.add(k);
      under.set(k, (under.get(k) ?? 0) + d);
    }
  }
  return { self: rank(self, top), under: rank(under, top) };
}

const inWindow = stretches.filter((s) => s.end > fromUs && s.start < toUs);
const long = inWindow.filter((s) => s.end - s.start >= minMs * 1000);
const matches = (s: Stretch) => !grep || s.samples.some((i) => stackOf(p.samples[i]!).some((f) => grep.test(`${f.functionName} ${f.url}`)));
const windowUs = Math.min(toUs, p.endTime) - Math.max(fromUs, p.startTime);
const busyUs = inWindow.reduce((n, s) => n + s.samples.reduce((m, i) => m + dur(i), 0), 0);
process.stdout.write(
  `${file}\nwindow ${at(Math.max(fromUs, p.startTime))}-${at(Math.min(toUs, p.endTime))} s: busy ${ms(busyUs)} of ${ms(windowUs)} ms; ` +
    `${long.length} stretches >= ${minMs} ms without idle (longest ${ms(Math.max(0, ...inWindow.map((s) => s.end - s.start)))} ms)\n`,
);
const shown = long.filter(matches).sort((a, b) => b.end - b.start - (a.end - a.start)).slice(0, limit);
if (shown.length < long.length) process.stdout.write(`(the ${shown.length} longest${grep ? ` matching ${grep}` : ''} shown)\n`);
for (const s of shown) {
  const d = describe(s.samples);
  process.stdout.write(`\n${ms(s.end - s.start)} ms at ${at(s.start)} s (${s.samples.length} samples)\n`);
  process.stdout.write(`  self:  ${d.self.map(([k, v]) => `${k} ${ms(v)}`).join('; ')}\n`);
  process.stdout.write(`  under: ${d.under.map(([k, v]) => `${k} ${ms(v)}`).join('; ')}\n`);
}

const frameRe = opt('frame') !== undefined ? new RegExp(opt('frame')!) : null;
if (frameRe) {
  // Consecutive samples whose stack has a matching frame (the same one throughout): one call's hold.
  const runs: Array<{ frame: string; start: number; us: number; n: number; samples: number[] }> = [];
  let run: (typeof runs)[number] | null = null;
  p.samples.forEach((id, i) => {
    if (times[i]! < fromUs || times[i]! >= toUs) return;
    const f = stackOf(id).reverse().find((fr) => frameRe.test(`${fr.functionName} ${fr.url}`));
    const k = f ? name(f) : null;
    if (run && k === run.frame) {
      run.us += dur(i);
      run.n++;
      run.samples.push(i);
      return;
    }
    if (run) runs.push(run);
    run = k ? { frame: k, start: times[i]!, us: dur(i), n: 1, samples: [i] } : null;
  });
  if (run) runs.push(run);
  const byFrame = new Map<string, typeof runs>();
  for (const r of runs) byFrame.set(r.frame, [...(byFrame.get(r.frame) ?? []), r]);
  process.stdout.write(`\nunbroken runs under ${frameRe} (longest first):\n`);
  for (const [k, rs] of byFrame) {
    const sorted = rs.sort((a, b) => b.us - a.us);
    const total = rs.reduce((n, r) => n + r.us, 0);
    process.stdout.write(`  ${k}: ${rs.length} runs, ${ms(total)} ms in all; longest ${sorted.slice(0, 5).map((r) => `${ms(r.us)} ms (${r.n} samples) at ${at(r.start)} s`).join(', ')}\n`);
    process.stdout.write(`    the longest, self: ${describe(sorted[0]!.samples).self.map(([f, v]) => `${f} ${ms(v)}`).join('; ')}\n`);
  }
}

if (argv.includes('--timeline')) {
  process.stdout.write('\nper second: busy %, top self functions\n');
  const first = Math.floor((Math.max(fromUs, p.startTime) - p.startTime) / 1e6);
  const last = Math.floor((Math.min(toUs, p.endTime) - p.startTime) / 1e6);
  for (let sec = first; sec <= last; sec++) {
    const lo = p.startTime + sec * 1e6;
    const idx = p.samples.map((_, i) => i).filter((i) => times[i]! >= lo && times[i]! < lo + 1e6 && !IDLE.has(byId.get(p.samples[i]!)!.callFrame.functionName));
    const busy = idx.reduce((n, i) => n + dur(i), 0);
    const d = describe(idx);
    process.stdout.write(`${String(sec).padStart(4)} s ${String(Math.round(busy / 1e4)).padStart(3)}%  ${d.under.slice(0, 3).map(([k, v]) => `${k} ${ms(v)}`).join('; ')}\n`);
  }
}
