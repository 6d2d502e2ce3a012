/**
 * An Avatar on a ProofService, answered by a local server in the deployed Next.ID shape: items
 * without `prev`, created_at as strings, 40 per page, a legacy (4-field) genesis link, a
 * signature served in its v=27/28 form and a payload whose prev names a v=27/28 spelling. Plus
 * the real documented responses from the vectors file, served verbatim.
 */
import { URL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/audit.js';
import {
  base64ToBytes,
  buildLegacySignPayload,
  buildSignPayload,
  bytesToBase64,
  personalSign,
  toProofchainItem,
  tryAvatarId,
  type Link,
} from '../../src/core/index.js';
import { avatarOf, captureIo, makeChain, secretKey, serve, uuidFor, type TestServer } from './helpers.js';
import { loadNextIdVectors } from '../core/helpers.js';

const vectors = loadNextIdVectors();
const realLegacy = vectors.api_response_examples.find((v: { id: string }) => v.id === 'api-proofchain-response');
const derived = vectors.derived_vectors.find((v: { id: string }) => v.id === 'derived-chain-3-links');

function v27(sig: string): string {
  const b = base64ToBytes(sig)!;
  b[64] = b[64]! + 27;
  return bytesToBase64(b);
}

/** A 45-link chain as the deployed service would serve it. */
function deployedChain(sk: Uint8Array): Record<string, unknown>[] {
  const items: Record<string, unknown>[] = [];
  const stored: string[] = [];
  const legacyPayload = buildLegacySignPayload({ action: 'create', identity: 'legacy_user', platform: 'twitter', prev: null });
  stored.push(bytesToBase64(personalSign(legacyPayload, sk)));
  items.push({ action: 'create', platform: 'twitter', identity: 'legacy_user', alt_id: '', proof_location: '1469221200140574720', created_at: '1646000000', signature: stored[0], signature_payload: '', uuid: '', extra: {}, arweave_id: '' });
  for (let i = 1; i < 45; i++) {
    // link 10 signed a payload naming link 9's signature in its v=27/28 spelling
    const prev = i === 10 ? v27(stored[i - 1]!) : stored[i - 1]!;
    const f = { action: i % 2 ? 'create' : 'delete', created_at: String(1_650_000_000 + i), identity: `user_${i}`, platform: 'twitter', prev, uuid: uuidFor(`svc:${i}`) };
    const payload = buildSignPayload(f);
    const sig = bytesToBase64(personalSign(payload, sk));
    stored.push(sig);
    // link 5's signature is served as v=27/28 (link 6 names the stored v=0/1 form)
    items.push({ action: f.action, platform: 'twitter', identity: f.identity, alt_id: '', proof_location: String(1_500_000_000_000_000_000n + BigInt(i)), created_at: f.created_at, signature: i === 5 ? v27(sig) : sig, signature_payload: payload, uuid: f.uuid, extra: {}, arweave_id: '' });
  }
  return items;
}

const skDeployed = secretKey('svc-deployed');
const skReversed = secretKey('svc-reversed');
const skForged = secretKey('svc-forged');
const chains = new Map<string, { items: unknown[]; per: number; verbatim?: unknown }>();
let svc: TestServer;

beforeAll(async () => {
  chains.set(avatarOf(skDeployed).id, { items: deployedChain(skDeployed), per: 40 });
  // proofkeep-shaped items served newest first: the order must come from prev pointers
  chains.set(avatarOf(skReversed).id, { items: makeChain(skReversed, 7, 'rv').map((l) => toProofchainItem(l)).reverse(), per: 40 });
  const forged: Link[] = makeChain(skForged, 4, 'fg');
  // the identity rewritten, payload rebuilt to match; the original signature no longer covers it
  forged[1] = { ...forged[1]!, identity: 'fg_evil', signature_payload: forged[1]!.signature_payload.replace('"fg_1"', '"fg_evil"') };
  chains.set(avatarOf(skForged).id, { items: forged.map((l) => toProofchainItem(l)), per: 40 });
  chains.set(tryAvatarId('0x028c3cda474361179d653c41a62f6bbb07265d535121e19aedf660da2924d0b1e3')!, { items: [], per: 20, verbatim: realLegacy.response });
  chains.set(tryAvatarId(derived.avatar)!, { items: [], per: 40, verbatim: derived.proofchain_response });
  svc = await serve((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname !== '/v1/proofchain') return void res.writeHead(404).end('{"message":"not found"}');
    const id = tryAvatarId(u.searchParams.get('avatar'));
    const chain = id ? chains.get(id) : undefined;
    if (!chain) return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ pagination: { total: 0, per: 40, current: 1, next: 0 }, proof_chain: [] }));
    if (chain.verbatim) return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(chain.verbatim));
    const page = Number(u.searchParams.get('page') ?? '1');
    const slice = chain.items.slice((page - 1) * chain.per, page * chain.per);
    const next = page * chain.per < chain.items.length ? page + 1 : 0;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ pagination: { total: chain.items.length, per: chain.per, current: page, next }, proof_chain: slice }));
  });
});
afterAll(() => svc.close());

async function audit(...avatars: string[]) {
  const c = captureIo();
  const code = await run(['--workers', '1', '--json', '--service', svc.url, ...avatars.flatMap((a) => ['--avatar', a])], c.io);
  return { code, rep: JSON.parse(c.stdout() || '{}'), err: c.stderr() };
}

describe('audit: an Avatar on a ProofService', () => {
  it('deployed shape over two pages, legacy genesis, v=27/28 forms: all verify', async () => {
    // any key spelling: the uncompressed form here
    const r = await audit(avatarOf(skDeployed).uncompressedHex);
    expect(r.rep.problems).toEqual([]);
    expect(r.rep.totals).toEqual({ avatars: 1, links: 45, verified: 45, problems: 0 });
    expect(r.rep.sources[0].notes.pages).toBe(2);
    expect(svc.requests.filter((q) => q.startsWith('/v1/proofchain?') && q.includes(avatarOf(skDeployed).id)).length).toBe(2);
    expect(r.code).toBe(0);
  });

  it('the documented real responses (legacy link, wallet binding) verify verbatim', async () => {
    const r = await audit('0x028c3cda474361179d653c41a62f6bbb07265d535121e19aedf660da2924d0b1e3', derived.avatar);
    expect(r.rep.problems).toEqual([]);
    expect(r.rep.totals.verified).toBe(4);
    expect(r.code).toBe(0);
  });

  it('items out of order are put in chain order by their prev pointers', async () => {
    const r = await audit(avatarOf(skReversed).id);
    expect(r.rep.totals).toEqual({ avatars: 1, links: 7, verified: 7, problems: 0 });
    expect(r.code).toBe(0);
  });

  it('a forged link: SIGNATURE_MISMATCH at its index with its uuid, descendants BROKEN_ANCESTOR, exit 1', async () => {
    const r = await audit(avatarOf(skForged).id);
    expect(r.rep.problems.map((p: { index: number; code: string; uuid: string }) => `${p.index}:${p.code}:${p.uuid}`)).toEqual([
      `1:SIGNATURE_MISMATCH:${uuidFor('fg:1')}`,
      `2:BROKEN_ANCESTOR:${uuidFor('fg:2')}`,
      `3:BROKEN_ANCESTOR:${uuidFor('fg:3')}`,
    ]);
    expect(r.rep.problems[0].avatar).toBe(avatarOf(skForged).id);
    expect(r.code).toBe(1);
  });

  it('a bad --avatar or an unreachable service exits 2', async () => {
    expect((await audit('0x1234')).code).toBe(2);
    const c = captureIo();
    expect(await run(['--workers', '1', '--service', 'http://127.0.0.1:9', '--avatar', avatarOf(skForged).id, '--retries', '0'], c.io)).toBe(2);
  });
});
