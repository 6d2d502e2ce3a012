/**
 * How big must a batch be before sending it to the worker pool beats verifying it on the calling
 * thread? Times verifyLinks for batch sizes 1–64, pool (inline threshold disabled) vs inline.
 *   node --import tsx scripts/bench/pool-threshold.ts
 * Prints JSON: per size, median wall µs per batch for each way. Bounded: 200 batches per size.
 */
import { VerifyPool, type VerifyItem } from '../../src/crypto/pool.js';
import { genAvatar, genChain, seeded } from '../lib/gen.js';

const bytes = seeded('pool-threshold');
const items: VerifyItem[] = [];
for (let a = 0; a < 20; a++) {
  const av = genAvatar(bytes);
  for (const link of genChain(av, 10, bytes)) items.push({ avatar: av.id, link, allowLegacy: false });
}
const pooled = new VerifyPool({ mode: 'native', workers: 2, coalesceBelow: 1 });
const inline = new VerifyPool({ mode: 'native', workers: 1 });
await pooled.start();
await inline.start();
const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const out: Array<Record<string, number>> = [];
for (const size of [1, 2, 4, 8, 16, 32, 64]) {
  const res: Record<string, number[]> = { pool: [], inline: [] };
  for (let i = 0; i < 200; i++) {
    const batch = items.slice((i * size) % (items.length - size), ((i * size) % (items.length - size)) + size);
    for (const [name, p] of [['pool', pooled], ['inline', inline]] as const) {
      const t = performance.now();
      await p.verifyLinks(batch);
      res[name]!.push((performance.now() - t) * 1000);
    }
  }
  out.push({ size, poolUs: Math.round(median(res['pool']!)), inlineUs: Math.round(median(res['inline']!)) });
}
await pooled.stop();
await inline.stop();
process.stdout.write(`${JSON.stringify(out)}\n`);
