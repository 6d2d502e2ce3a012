/** Arweave signing in the thread pool: valid transactions, and the event loop turns meanwhile. */
import { generateKeyPairSync } from 'node:crypto';
import Arweave from 'arweave';
import { describe, expect, it } from 'vitest';
import { offLoopSigning } from '../../src/archive/rsa-sign.js';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 });
const jwk = privateKey.export({ format: 'jwk' }) as Record<string, string>;
// No request leaves: anchor and reward are given, so createTransaction asks no gateway.
const ar = Arweave.init({ host: '127.0.0.1', port: 1, protocol: 'http', logging: false });

describe('offLoopSigning', () => {
  it('signs transactions that arweave-js verifies, different data different signatures', async () => {
    const tx = ar.transactions as unknown as { crypto: Parameters<typeof offLoopSigning>[0] };
    const original = tx.crypto;
    tx.crypto = offLoopSigning(original);
    try {
      const ids = new Set<string>();
      for (const data of ['{"a":1}', '{"a":2}']) {
        const t = await ar.createTransaction({ data: new TextEncoder().encode(data), last_tx: 'anchor', reward: '0' }, jwk as never);
        t.addTag('App-Name', 'proofkeep');
        await ar.transactions.sign(t, jwk as never);
        expect(await ar.transactions.verify(t)).toBe(true);
        ids.add(t.id);
        // tampered: no longer verifies
        t.addTag('Extra', 'x');
        expect(await ar.transactions.verify(t)).toBe(false);
      }
      expect(ids.size).toBe(2);
    } finally {
      tx.crypto = original;
    }
  });

  it('does not sign on the calling thread: a callback queued behind the sign runs before it resolves', async () => {
    const driver = offLoopSigning(Arweave.crypto as unknown as Parameters<typeof offLoopSigning>[0]);
    const run = async (d: Parameters<typeof offLoopSigning>[0]) => {
      let turned = false;
      setImmediate(() => (turned = true));
      await d.sign(jwk, new Uint8Array(32));
      return turned;
    };
    expect(await run(driver)).toBe(true);
    // the same probe tells arweave-js's own (synchronous) signer apart
    expect(await run(Arweave.crypto as unknown as Parameters<typeof offLoopSigning>[0])).toBe(false);
  });
});
