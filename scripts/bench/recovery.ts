/**
 * Raw public-key recovery rates on one core (the yardstick of issue 5): libsecp256k1 through the
 * native backend, and noble. Inputs (digests and signatures) are made before timing; each round
 * is bounded by time and by count.
 */
import { nobleBackend, personalSignDigest, type RecoveryBackend } from '../../src/core/index.js';
import { loadNativeBackend } from '../../src/crypto/native.js';
import { seeded } from '../lib/gen.js';
import { createRequire } from 'node:module';

const addon = createRequire(import.meta.url)('secp256k1/bindings.js') as {
  ecdsaSign(msg32: Uint8Array, seckey: Uint8Array): { signature: Uint8Array; recid: number };
};

function inputs(n: number) {
  const bytes = seeded('bench-recovery');
  const sk = bytes(32);
  sk[0] = (sk[0]! & 0x7f) | 1;
  return Array.from({ length: n }, (_, i) => {
    const digest = personalSignDigest(`bench payload ${i}`);
    const { signature, recid } = addon.ecdsaSign(digest, sk);
    return { digest, compact: new Uint8Array(signature), recovery: recid as 0 | 1 };
  });
}

/** Per round: recoveries per wall-clock second and per CPU second of this thread's process. */
export interface Rate {
  wall: number;
  cpu: number;
}

/** Recoveries per second over `rounds` rounds of ~`ms` each; returns every round's rate. */
export function recoveryRate(backend: RecoveryBackend, rounds: number, ms: number, maxPerRound: number): Rate[] {
  const data = inputs(1000);
  const rates: Rate[] = [];
  for (let r = 0; r < rounds; r++) {
    let n = 0;
    let failed = 0;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < ms && n < maxPerRound) {
      for (let k = 0; k < 50; k++) {
        const x = data[(n + k) % data.length]!;
        if (backend.recover(x.digest, x.compact, x.recovery) === null) failed++;
      }
      n += 50;
      t = performance.now();
    }
    const c = process.cpuUsage(c0);
    if (failed) throw new Error(`${failed} recoveries failed`);
    rates.push({ wall: n / ((t - t0) / 1000), cpu: n / ((c.user + c.system) / 1e6) });
  }
  return rates;
}

export function nativeRates(rounds = 3, ms = 1000): Rate[] {
  return recoveryRate(loadNativeBackend(), rounds, ms, 200_000);
}

export function nobleRates(rounds = 1, ms = 1500): Rate[] {
  return recoveryRate(nobleBackend, rounds, ms, 5_000);
}
