/**
 * POST /v1/links through the worker pool answers exactly as with verification on the main
 * thread: the same outcome, code and order for every link of a mixed batch, and the same stored
 * chains afterwards.
 */
import { describe, expect, it } from 'vitest';
import { base64ToBytes, buildSignPayload, type Link } from '../../src/core/index.js';
import { fastSign, genAvatar, genChain, seeded, uuidFrom, type GenAvatar } from '../../scripts/lib/gen.js';
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
    expect(inline.health).toMatchObject({ backend: 'native', keccak: 'native', workers: 0 });
    expect(pooled.health).toMatchObject({ backend: 'native', keccak: 'native', workers: 2 });
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

/**
 * A scripted sequence of POST /v1/proof requests: good creates, then a forged signature, someone
 * else's signature, a payload signed against an older head (FORK), and a replayed uuid.
 */
async function proofScript(url: string): Promise<Array<{ status: number; body: unknown }>> {
  const bytes = seeded('daemon-pool-proof');
  const av: GenAvatar = genAvatar(bytes);
  const other = genAvatar(bytes);
  const createdAt = Math.floor(Date.now() / 1000) - 30;
  const out: Array<{ status: number; body: unknown }> = [];
  const heads: Array<string | null> = [null];
  const send = async (i: number, opts: { prev?: string | null; signer?: GenAvatar; tamper?: boolean; uuid?: string } = {}) => {
    const uuid = opts.uuid ?? uuidFrom(seeded(`u${i}`)(16));
    const identity = `user_${i}`;
    const prev = opts.prev === undefined ? heads[heads.length - 1]! : opts.prev;
    const payload = buildSignPayload({ action: 'create', created_at: String(createdAt), identity, platform: 'twitter', prev, uuid });
    let signature = fastSign(payload, (opts.signer ?? av).secretKey);
    if (opts.tamper) signature = flip(signature);
    const r = await post(`${url}/v1/proof`, {
      action: 'create', platform: 'twitter', identity, public_key: av.id, proof_location: String(1000 + i), uuid, created_at: String(createdAt), extra: { signature },
    });
    out.push({ status: r.status, body: r.body });
    if (r.status === 201) heads.push(signature);
    return uuid;
  };
  const first = await send(0);
  await send(1);
  await send(2);
  await send(3, { tamper: true });
  await send(4, { signer: other });
  await send(5, { prev: heads[heads.length - 2]! }); // signed against the previous head
  await send(6, { uuid: first }); // replay of a used uuid
  await send(7);
  // Concurrent good submissions of different Avatars go through the pool together.
  const many = await Promise.all(
    Array.from({ length: 8 }, async (_, k) => {
      const a = genAvatar(seeded(`many-${k}`));
      const uuid = uuidFrom(seeded(`many-u${k}`)(16));
      const payload = buildSignPayload({ action: 'create', created_at: String(createdAt), identity: `many_${k}`, platform: 'twitter', prev: null, uuid });
      const r = await post(`${url}/v1/proof`, {
        action: 'create', platform: 'twitter', identity: `many_${k}`, public_key: a.id, uuid, created_at: String(createdAt), extra: { signature: fastSign(payload, a.secretKey) },
      });
      return { status: r.status, body: r.body };
    }),
  );
  return [...out, ...many];
}

describe('POST /v1/proof with the worker pool', () => {
  it('answers every request exactly as main-thread verification does', async () => {
    const runs: Array<Array<{ status: number; body: unknown }>> = [];
    for (const workers of [1, 2]) {
      const d = await startDaemon({ 'crypto.workers': workers, 'crypto.backend': 'native' });
      try {
        runs.push(await proofScript(d.url));
      } finally {
        await d.stop();
      }
    }
    expect(runs[1]).toEqual(runs[0]);
    const codes = runs[1]!.map((r) => (r.status === 201 ? 201 : (r.body as { code: string }).code));
    expect(codes.slice(0, 8)).toEqual([201, 201, 201, 'SIGNATURE_MISMATCH', 'SIGNATURE_MISMATCH', 'FORK', 'DUPLICATE_UUID', 201]);
    expect(codes.slice(8)).toEqual(Array(8).fill(201));
  });
});
