/**
 * A mirror of a hostile upstream (a local server answering like the deployed Next.ID feed: no
 * `prev` field, a legacy genesis link, a v=27/28 signature): a forged link, its descendant, a
 * fork, an unsigned link and its descendant and a bad key are quarantined with their raw JSON
 * and codes, while the good links land. The upstream's outage is backed off and resumed, and a
 * replayed page changes nothing.
 */
import { URL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  base64ToBytes,
  buildLegacySignPayload,
  bytesToBase64,
  canonicalSignature,
  personalSign,
  toProofchainItem,
  type Link,
} from '../../src/core/index.js';
import { avatarOf, makeChain, secretKey, serve, signLink, uuidFor, type TestServer } from '../audit/helpers.js';
import { json, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { health, until } from './helpers.js';

const skA = secretKey('q-a');
const skB = secretKey('q-b');
const skC = secretKey('q-c');
const skD = secretKey('q-d');
const A = avatarOf(skA).id;
const B = avatarOf(skB).id;
const C = avatarOf(skC).id;
const D = avatarOf(skD).id;

/** Deployed feed shape: no prev, plus id and avatar. */
const item = (avatar: string, l: Link, signature = l.signature): Record<string, unknown> => ({ avatar, ...toProofchainItem(l), signature });

const a = makeChain(skA, 4, 'qa');
const forgedA2 = { ...a[2]!, identity: 'qa_evil', signature_payload: a[2]!.signature_payload.replace('"qa_2"', '"qa_evil"') };
// B: a legacy genesis (4-field payload, no uuid), then standard links, then a fork of b1.
const legacyPayload = buildLegacySignPayload({ action: 'create', identity: 'qb_legacy', platform: 'twitter', prev: null });
const b0: Link = { prev: null, action: 'create', platform: 'twitter', identity: 'qb_legacy', proof_location: '1469221200140574720', created_at: 1_646_000_000, uuid: '', signature: bytesToBase64(personalSign(legacyPayload, skB)), signature_payload: '', extra: {} };
// a second legacy link: its prev is nowhere in the entry, only "the previous link" (on an earlier page)
const legacyPayload2 = buildLegacySignPayload({ action: 'delete', identity: 'qb_legacy', platform: 'twitter', prev: b0.signature });
const b0b: Link = { ...b0, prev: b0.signature, action: 'delete', created_at: 1_646_000_100, signature: bytesToBase64(personalSign(legacyPayload2, skB)) };
const b1 = signLink(skB, b0b.signature, { identity: 'qb_1', uuid: uuidFor('qb1'), created_at: 1_700_000_001 });
const b2 = signLink(skB, b1.signature, { identity: 'qb_2', uuid: uuidFor('qb2'), created_at: 1_700_000_002 });
const b2fork = signLink(skB, b1.signature, { identity: 'qb_fork', uuid: uuidFor('qbf'), created_at: 1_700_000_003 });
// C: an unsigned link (the deployed service's GitHub/Steam bug) and a link after it.
const c = makeChain(skC, 2, 'qc');
const c1unsigned = { ...c[1]!, signature: '' };
const c2 = signLink(skC, '', { identity: 'qc_2', uuid: uuidFor('qc2'), created_at: 1_700_000_010 });
// D: genesis served with v=27/28; the next link's payload names the stored v=0/1 form.
const d = makeChain(skD, 2, 'qd');
const v27 = (sig: string) => {
  const bytes = base64ToBytes(sig)!;
  bytes[64] = bytes[64]! + 27;
  return bytesToBase64(bytes);
};

const ENTRIES: Array<[string, Record<string, unknown>, string | null]> = [
  // [avatar, feed item without id, expected quarantine code or null]
  [A, item(A, a[0]!), null],
  [A, item(A, a[1]!), null],
  [B, item(B, b0), null],
  [A, item(A, forgedA2), 'SIGNATURE_MISMATCH'],
  [B, item(B, b0b), null], // first entry of the second page (pageSize 4)
  [B, item(B, b1), null],
  [A, item(A, a[3]!), 'BROKEN_ANCESTOR'],
  [B, item(B, b2), null],
  [B, item(B, b2fork), 'FORK'],
  [C, item(C, c[0]!), null],
  [C, item(C, c1unsigned), 'UNVERIFIABLE'],
  [C, item(C, c2), 'BROKEN_ANCESTOR'],
  ['not-a-key', item('not-a-key', a[0]!), 'BAD_PUBLIC_KEY'],
  [D, item(D, d[0]!, v27(d[0]!.signature)), null],
  [D, item(D, d[1]!), null],
];
const FEED = ENTRIES.map(([, e], i) => ({ id: i + 1, ...e }));
const LAST_ID = FEED.length;
const EXPECTED_FAULTS: Record<number, string> = Object.fromEntries(ENTRIES.flatMap(([, , code], i) => (code ? [[i + 1, code]] : [])));

let upstream: TestServer;
let mirror: TestDaemon;
const fake = { outages: 3, served503: 0, replayNext: false, replays: 0, feedRequests: 0 };

beforeAll(async () => {
  upstream = await serve((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname !== '/v1/proofchain/changes') return void res.writeHead(404).end();
    if (fake.outages > 0) {
      fake.outages--;
      fake.served503++;
      return void res.writeHead(503).end('{"message":"upstream down"}');
    }
    fake.feedRequests++;
    let last = Number(u.searchParams.get('last_id') ?? '0');
    if (fake.replayNext) {
      fake.replayNext = false;
      fake.replays++;
      last = 0; // serve an old page again, as a confused upstream or proxy cache would
    }
    const count = Number(u.searchParams.get('count') ?? '20');
    const links = FEED.filter((e) => e.id > last).slice(0, count);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ links }));
  });
  mirror = await startDaemon({
    'crypto.workers': 1,
    'mirror.upstream': upstream.url,
    'mirror.pageSize': 4,
    'mirror.pollIntervalMs': 30,
    'mirror.backoffBaseMs': 40,
    'mirror.backoffMaxMs': 200,
  });
}, 60_000);
afterAll(async () => {
  await mirror?.stop();
  await upstream?.close();
});

describe('mirror: quarantine of a hostile upstream', () => {
  it('backs off through an outage, then quarantines the bad links and stores the good ones', async () => {
    const h = await until('mirror reached the feed end', () => health(mirror.url), (b) => b.mirror?.cursor === LAST_ID && b.mirror.caught_up === true);
    expect(fake.served503).toBe(3);
    expect(h.mirror.consecutive_failures).toBe(0);
    expect(h.mirror.faults).toBe(Object.keys(EXPECTED_FAULTS).length);
    expect(h.store.links).toBe(FEED.length - Object.keys(EXPECTED_FAULTS).length);

    const f = await json(`${mirror.url}/v1/mirror/faults`);
    const byId = Object.fromEntries(f.body.faults.map((x: { upstream_id: number; code: string }) => [x.upstream_id, x.code]));
    expect(byId).toEqual(EXPECTED_FAULTS);
    for (const fault of f.body.faults) {
      // the raw upstream JSON, exactly as served
      expect(fault.raw).toEqual(FEED.find((e) => e.id === fault.upstream_id));
      expect(fault.message.length).toBeGreaterThan(0);
    }
    expect(f.body.faults.find((x: { code: string }) => x.code === 'SIGNATURE_MISMATCH').avatar).toBe(A);

    const chain = async (avatar: string) => (await json(`${mirror.url}/v1/proofchain?avatar=${avatar}`)).body.proof_chain as Array<{ uuid: string; signature: string; identity: string }>;
    expect((await chain(A)).map((x) => x.identity)).toEqual(['qa_0', 'qa_1']);
    expect((await chain(B)).map((x) => x.identity)).toEqual(['qb_legacy', 'qb_legacy', 'qb_1', 'qb_2']);
    expect((await chain(C)).map((x) => x.identity)).toEqual(['qc_0']);
    const dChain = await chain(D);
    expect(dChain).toHaveLength(2);
    expect(dChain[0]!.signature).toBe(canonicalSignature(v27(d[0]!.signature))); // stored in v=0/1 form
  });

  it('a replayed page changes nothing', async () => {
    const before = await health(mirror.url);
    const faultsBefore = (await json(`${mirror.url}/v1/mirror/faults`)).body.faults;
    fake.replayNext = true;
    await until('replay served and the next poll done', async () => ({ replays: fake.replays, requests: fake.feedRequests }), (s) => s.replays === 1);
    const requestsAfterReplay = fake.feedRequests;
    await until('another poll after the replay', async () => fake.feedRequests, (n) => n >= requestsAfterReplay + 1);
    const after = await health(mirror.url);
    expect(after.store).toEqual(before.store);
    expect(after.mirror.cursor).toBe(LAST_ID);
    expect((await json(`${mirror.url}/v1/mirror/faults`)).body.faults).toEqual(faultsBefore);
  });
});
