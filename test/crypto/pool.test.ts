/**
 * The verify pool must give exactly what core `verifyLink` gives on the calling thread, in input
 * order, for good and bad links alike. The reference here runs with the noble backend, the pool
 * with libsecp256k1 in worker threads: equal results also re-check backend equivalence end to end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToHex, nobleBackend, parsePublicKey, ProofError, verifyLink, type Link } from '../../src/core/index.js';
import { VerifyPool, type VerifyItem, type VerifyResult } from '../../src/crypto/pool.js';
import { fastSign, genAvatar, genChain, seeded } from '../../scripts/lib/gen.js';

function reference(item: VerifyItem): VerifyResult {
  try {
    const key = parsePublicKey(typeof item.avatar === 'string' ? item.avatar : item.avatar.id);
    return { ok: true, link: verifyLink(key, item.link, { backend: nobleBackend, allowLegacy: item.allowLegacy }) };
  } catch (err) {
    if (err instanceof ProofError) return { ok: false, code: err.code, message: err.message };
    throw err;
  }
}

/** A shuffled mix of valid links and one of each kind of bad link, many times over. */
function mixedBatch(): VerifyItem[] {
  const bytes = seeded('pool-test-v1');
  const items: VerifyItem[] = [];
  for (let a = 0; a < 6; a++) {
    const av = genAvatar(bytes);
    const other = genAvatar(bytes);
    const links = genChain(av, 12, bytes, { walletEvery: 4 });
    const key = parsePublicKey(av.id);
    links.forEach((link, i) => {
      const avatarForm = [av.id, av.uncompressedHex, av.id.toUpperCase().replace('0X', '0x'), av.id.slice(2)][i % 4]!;
      items.push({ avatar: i === 5 ? key : avatarForm, link, allowLegacy: false });
      const bad = (l: Partial<Link>, avatar: VerifyItem['avatar'] = av.id, allowLegacy = false) => items.push({ avatar, link: { ...link, ...l }, allowLegacy });
      switch (i % 12) {
        case 0: bad({}, other.id); break; // signed by someone else → SIGNATURE_MISMATCH
        case 1: bad({ signature: flipSig(link.signature) }); break;
        case 2: bad({ signature: 'not base64!' }); break;
        case 3: bad({ extra: { wallet_signature: fastSign(link.signature_payload, other.secretKey) } }); break; // ethereum: wrong wallet
        case 4: bad({ signature_payload: link.signature_payload.replace('"create"', '"delete"') }); break;
        case 5: bad({ action: 'update' as never }); break;
        case 6: bad({ signature: '' }); break;
        case 7: bad({ uuid: '', signature_payload: '' }); break; // legacy form, not allowed → BAD_UUID
        case 8: bad({ uuid: '', signature_payload: '' }, av.id, true); break; // legacy allowed → SIGNATURE_MISMATCH (other payload)
        case 9: bad({}, '0x02' + '00'.repeat(32)); break; // not a point → BAD_PUBLIC_KEY
        case 10: bad({ signature: v27(link.signature) }); break; // valid, v = 27/28 spelling → stored form v = 0/1
        case 11: bad({ identity: link.identity.toUpperCase() }); break; // PAYLOAD_MISMATCH
      }
    });
  }
  // Deterministic shuffle so good and bad links interleave across chunks.
  const r = seeded('pool-shuffle');
  for (let i = items.length - 1; i > 0; i--) {
    const b = r(4);
    const j = ((b[0]! << 16) | (b[1]! << 8) | b[2]!) % (i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

function flipSig(sig: string): string {
  const b = base64ToBytes(sig)!;
  b[10]! ^= 0x40;
  return Buffer.from(b).toString('base64');
}

function v27(sig: string): string {
  const b = base64ToBytes(sig)!;
  b[64] = b[64]! + 27;
  return `0x${bytesToHex(b)}`;
}

describe('verify pool', () => {
  let pool: VerifyPool;
  let items: VerifyItem[];
  let expected: VerifyResult[];

  beforeAll(async () => {
    pool = new VerifyPool({ mode: 'native', workers: 2, coalesceBelow: 8 });
    await pool.start();
    items = mixedBatch();
    expected = items.map(reference);
  });
  afterAll(async () => {
    await pool?.stop();
  });

  it('gives the single-threaded result, in input order, on a mixed good/bad batch', async () => {
    expect(pool.workers).toBe(2);
    expect(pool.backendName).toBe('native');
    // The batch really is mixed: several outcomes of each kind.
    const codes = new Set(expected.map((r) => (r.ok ? 'ok' : r.code)));
    for (const c of ['ok', 'SIGNATURE_MISMATCH', 'BAD_SIGNATURE_ENCODING', 'WALLET_SIGNATURE_MISMATCH', 'PAYLOAD_MISMATCH', 'UNKNOWN_ACTION', 'UNVERIFIABLE', 'BAD_UUID', 'BAD_PUBLIC_KEY']) {
      expect(codes, c).toContain(c);
    }
    const got = await pool.verifyLinks(items);
    expect(got).toEqual(expected);
    // Stored form normalizes v = 27/28 to 0/1 (the test would pass vacuously if nothing changed).
    expect(got.some((r, i) => r.ok && r.link.signature !== items[i]!.link.signature)).toBe(true);
    expect(pool.health()['verified']).toBeGreaterThanOrEqual(items.length);
  });

  it('gives the same result for small batches (coalesced, off the calling thread) and concurrently', async () => {
    const small = items.slice(0, 7);
    // The calling thread's backend is never used for them: small batches go to the workers.
    const internals = pool as unknown as { selected: { backend: { recover: (...a: unknown[]) => unknown } } };
    const own = internals.selected.backend;
    let here = 0;
    internals.selected = { ...internals.selected, backend: { ...own, recover: (...a: unknown[]) => (here++, own.recover(...a)) } };
    try {
      expect(await pool.verifyLinks(small)).toEqual(expected.slice(0, 7));
      expect(await Promise.all([pool.verifyLinks(items.slice(0, 3)), pool.verifyLinks(items.slice(3, 7)), pool.verifyOne(items[7]!)])).toEqual([expected.slice(0, 3), expected.slice(3, 7), expected[7]]);
      expect(here).toBe(0);
    } finally {
      internals.selected = { ...internals.selected, backend: own };
    }
    const parts = [items.slice(0, 100), items.slice(100, 103), items.slice(103)];
    const got = await Promise.all(parts.map((p) => pool.verifyLinks(p)));
    expect(got.flat()).toEqual(expected);
  });

  it('verifyOne gives the same verdicts, one at a time and coalesced', async () => {
    for (let i = 0; i < 10; i++) expect(await pool.verifyOne(items[i]!)).toEqual(expected[i]);
    // Concurrent calls in one turn of the event loop travel together; each gets its own result.
    expect(await Promise.all(items.map((it) => pool.verifyOne(it)))).toEqual(expected);
  });

  it('with workers = 1 verifies on the calling thread with the same results', async () => {
    const p = new VerifyPool({ mode: 'native', workers: 1 });
    await p.start();
    try {
      expect(p.workers).toBe(0);
      expect(await p.verifyLinks(items)).toEqual(expected);
      expect(await Promise.all(items.slice(0, 20).map((it) => p.verifyOne(it)))).toEqual(expected.slice(0, 20));
    } finally {
      await p.stop();
    }
  });

  it('rejects an aborted batch and keeps working', async () => {
    const big = Array.from({ length: 20 }, () => items).flat();
    const ac = new AbortController();
    const pending = pool.verifyLinks(big, ac.signal);
    ac.abort(new Error('caller gave up'));
    await expect(pending).rejects.toThrow('caller gave up');
    await expect(pool.verifyLinks(items, AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
    expect(await pool.verifyLinks(items)).toEqual(expected);
  });

  it('rejects the batches of a worker that dies, then replaces it', async () => {
    const big = Array.from({ length: 20 }, () => items).flat();
    // The chunks given to worker 0 never reach it, so it is idle when it dies: terminating a
    // thread inside a native addon's call is fatal to the whole process (see src/util/worker-stop.ts),
    // which is not what this test is about. The pool sees the same thing: chunks in flight on a
    // worker that exits.
    const slots = (pool as unknown as { slots: Array<{ worker: { terminate(): Promise<number>; postMessage(m: unknown): void } }> }).slots;
    const doomed = slots[0]!.worker;
    doomed.postMessage = () => undefined;
    const pending = expect(pool.verifyLinks(big)).rejects.toThrow(/verify worker died/);
    await doomed.terminate();
    await pending;
    // The replacement comes up and the pool gives full, correct results again.
    const deadline = Date.now() + 20_000;
    while (pool.health()['workersReady'] !== 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(pool.health()['workerRestarts']).toBe(1);
    expect(await pool.verifyLinks(items)).toEqual(expected);
  });

  it('a replacement that fails its self-test is tried again, then its place is retired; with none left it verifies inline', async () => {
    // Workers start with the configured mode until `broken` is set; then with a mode no worker
    // can select (its start-up self-test fails, as a broken native library would).
    let broken = false;
    const p = new VerifyPool({ mode: 'native', workers: 2, coalesceBelow: 1, workerMode: () => (broken ? ('bogus' as never) : 'native') });
    await p.start();
    try {
      const slots = (p as unknown as { slots: Array<{ worker: { terminate(): Promise<number> } }> }).slots;
      const waitFor = async (what: string, cond: () => boolean) => {
        const deadline = Date.now() + 30_000;
        while (!cond()) {
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(p.health())}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      broken = true;
      await slots[0]!.worker.terminate();
      await waitFor('one place retired', () => p.health()['workersRetired'] === 1);
      // Never a slot that stays empty: one worker ready, none starting, full results.
      expect(p.health()).toMatchObject({ workers: 2, workersReady: 1, workerRestarts: 1, workersRetired: 1 });
      expect(slots).toHaveLength(1);
      expect(await p.verifyLinks(items)).toEqual(expected);
      await slots[0]!.worker.terminate();
      await waitFor('both places retired', () => p.health()['workersRetired'] === 2);
      expect(p.health()).toMatchObject({ workersReady: 0, workersRetired: 2 });
      // Nothing waits for a worker that will never come: the calling thread verifies.
      expect(await p.verifyLinks(items)).toEqual(expected);
      expect(await p.verifyOne(items[3]!)).toEqual(expected[3]);
    } finally {
      await p.stop();
    }
  });

  it('stop rejects pending calls and later ones; busy workers finish their chunk and exit, never terminated mid-call', async () => {
    const p = new VerifyPool({ mode: 'native', workers: 2 });
    await p.start();
    const slots = [...(p as unknown as { slots: Array<{ worker: { terminate(): Promise<number>; threadId: number } }> }).slots];
    let terminated = 0;
    for (const { worker } of slots) {
      const real = worker.terminate.bind(worker);
      worker.terminate = () => (terminated++, real());
    }
    const big = Array.from({ length: 20 }, () => items).flat();
    const pending = expect(p.verifyLinks(big)).rejects.toThrow('verify pool stopped');
    const one = expect(p.verifyOne(items[0]!)).rejects.toThrow('verify pool stopped');
    await p.stop();
    await pending;
    await one;
    await expect(p.verifyLinks(items)).rejects.toThrow(/not running/);
    expect(p.health()['workersReady']).toBe(0);
    expect(terminated).toBe(0);
    expect(slots.map(({ worker }) => worker.threadId)).toEqual([-1, -1]); // both threads have exited
  });
});
