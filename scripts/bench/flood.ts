/**
 * The flooding client of scripts/bench-abuse.ts, in a process of its own (so its uploads do not
 * delay the good client's measurements): invalid 1,000-link bulk batches from 127.0.0.2 on 16
 * connections at full speed for SECONDS, then one JSON line with what it got.
 *   node --import tsx scripts/bench/flood.ts URL SECONDS
 */
import { Client } from '../../test/helpers/clients.js';
import { genAvatar, genChain, seeded } from '../lib/gen.js';

const [url, secondsArg] = process.argv.slice(2);
const seconds = Number(secondsArg ?? 20);
const bytes = seeded('bench-abuse-flood');
const liar = genAvatar(bytes);
const other = genAvatar(bytes);
// Signed by another key than the Avatar's: every link costs a recovery and is rejected.
const batch = JSON.stringify({ links: genChain(other, 1000, bytes).map((l) => ({ ...l, avatar: liar.id })) });
const flood = new Client(url!, '127.0.0.2', 16);
const f = { requests: 0, answered200: 0, answered429: 0, other: 0, admittedRecoveries: 0, seconds: 0, batchBytes: batch.length };
const end = performance.now() + seconds * 1000;
const t0 = performance.now();
await Promise.all(Array.from({ length: 16 }, async () => {
  while (performance.now() < end) {
    f.requests++;
    try {
      const r = await flood.post('/v1/links', batch);
      if (r.status === 200) {
        f.answered200++;
        f.admittedRecoveries += (r.body.accepted ?? 0) + (r.body.rejected ?? 0) + (r.body.exists ?? 0);
      } else if (r.status === 429) f.answered429++;
      else f.other++;
    } catch {
      f.other++;
    }
  }
}));
f.seconds = Math.round((performance.now() - t0) / 100) / 10;
await flood.close();
console.log(JSON.stringify(f));
