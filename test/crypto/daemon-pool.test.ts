/**
 * POST /v1/links through the worker pool answers exactly as with verification on the main
 * thread: the same outcome, code and order for every link of a mixed batch, and the same stored
 * chains afterwards.
 */
import { describe, expect, it } from 'vitest';
import { base64ToBytes, type Link } from '../../src/core/index.js';
import { fastSign, genAvatar, genChain, seeded } from '../../scripts/lib/gen.js';
import { json, post, startDaemon } from '../helpers/daemon.js';

function flip(sig: string): string {
  const b = base64ToBytes(sig)!;
  b[5]! ^= 1;
  return Buffer.from(b).toString('base64');
}

// More links than one verify-then-append chunk of POST /v1/links (256), so the pipeline is used.
const LINKS = 60;

/** Several Avatars' chains, interleaved, with forged, malformed and replayed links mixed in. */
function mixedBody(): { links: Array<Link & { avatar: string }>; avatars: string[] } {
  const bytes = seeded('daemon-pool-mixed');
  const links: Array<Link & { avatar: string }> = [];
  const avatars: string[] = [];
  const chains = Array.from({ length: 5 }, () => {
    const av = genAvatar(bytes);
    avatars.push(av.id);
    return { av, links: genChain(av, LINKS, bytes, { walletEvery: 5, createdAt: 1_700_000_000 }) };
  });
  const other = genAvatar(bytes);
  for (let i = 0; i < LINKS; i++) {
    chains.forEach(({ av, links: chain }, c) => {
      const l = chain[i]!;
      // Mostly good links; now and then a bad one, whose successors in that chain then fail too.
      const k = i < 50 ? 0 : (i + c) % 9;
      if (k === 3) links.push({ ...l, avatar: av.id, signature: flip(l.signature) }); // forged (its successors then fail too)
      else if (k === 5 && i > 0) links.push({ ...l, avatar: av.id, signature: fastSign(l.signature_payload, other.secretKey) }); // someone else's key
      else if (k === 7) links.push({ ...l, avatar: 'not-a-key' }); // bad avatar
      else links.push({ ...l, avatar: av.id });
      if (k === 1 || (i === 10 && c === 0)) links.push({ ...l, avatar: av.id }); // replay of the same link: idempotent
    });
  }
  return { links, avatars };
}

async function run(workers: number, body: ReturnType<typeof mixedBody>) {
  const d = await startDaemon({ 'crypto.workers': workers, 'crypto.backend': 'native' });
  try {
    const health = await json(`${d.url}/healthz`);
    const r = await post(`${d.url}/v1/links`, { links: body.links });
    const chains = await Promise.all(body.avatars.map(async (a) => (await json(`${d.url}/v1/chain/${a}`)).body));
    return { health: health.body.crypto, status: r.status, reply: r.body, chains };
  } finally {
    await d.stop();
  }
}

describe('POST /v1/links with the worker pool', () => {
  it('answers and stores exactly as main-thread verification does', async () => {
    const body = mixedBody();
    const inline = await run(1, body);
    const pooled = await run(2, body);
    expect(inline.health).toMatchObject({ backend: 'native', workers: 0 });
    expect(pooled.health).toMatchObject({ backend: 'native', workers: 2 });
    expect(pooled.status).toBe(200);
    expect(pooled.reply).toEqual(inline.reply);
    expect(pooled.chains).toEqual(inline.chains);
    // The batch really is mixed: accepted, exists and rejected outcomes with several codes.
    const r = pooled.reply as { accepted: number; exists: number; rejected: number; results: Array<{ code?: string }> };
    expect(r.results.length).toBeGreaterThan(256);
    expect(r.accepted).toBeGreaterThan(5);
    expect(r.exists).toBeGreaterThan(0);
    expect(r.rejected).toBeGreaterThan(5);
    expect(new Set(r.results.map((x) => x.code).filter(Boolean)).size).toBeGreaterThanOrEqual(3);
  });
});
