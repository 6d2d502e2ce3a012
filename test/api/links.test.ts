import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainDocumentString, decodeSignature, nobleBackend, parsePublicKey, twinSignature, verifyChain, type Link } from '../../src/core/index.js';
import { TestAvatar, uuidFrom } from '../helpers/avatar.js';
import { json, post, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { loadNextIdVectors } from '../core/helpers.js';

let d: TestDaemon;
beforeAll(async () => {
  d = await startDaemon();
});
afterAll(async () => d?.stop());

const withAvatar = (a: TestAvatar, links: Link[]) => links.map((l) => ({ ...l, avatar: a.id }));

describe('POST /v1/links (bulk import)', () => {
  it('imports a chain document given in shuffled order and serves it back byte for byte', async () => {
    const a = new TestAvatar('links-doc');
    const chain = a.chain(5);
    const shuffled = [chain[3], chain[0], chain[4], chain[2], chain[1]];
    const r = await post(`${d.url}/v1/links`, { version: '1', avatar: { public_key: a.uncompressed, curve: 'secp256k1' }, links: shuffled });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ accepted: 5, exists: 0, rejected: 0 });
    const doc = await (await fetch(`${d.url}/v1/chain/${a.id}`)).text();
    expect(doc).toBe(chainDocumentString(a.uncompressed, chain));
  });

  it('is idempotent: replaying the same links changes nothing', async () => {
    const a = new TestAvatar('links-replay');
    const links = withAvatar(a, a.chain(3));
    expect((await post(`${d.url}/v1/links`, { links })).body.accepted).toBe(3);
    const feedBefore = await json(`${d.url}/v1/proofchain/changes?count=100`);
    const again = await post(`${d.url}/v1/links`, { links });
    expect(again.body).toMatchObject({ accepted: 0, exists: 3, rejected: 0 });
    expect((await json(`${d.url}/v1/proofchain/changes?count=100`)).body).toEqual(feedBefore.body);
  });

  it('reports each link\'s outcome with its code, and good links still land', async () => {
    const a = new TestAvatar('links-mixed');
    const b = new TestAvatar('links-mixed-b');
    const [l0, l1, l2] = a.chain(3);
    const fork = a.link({ prev: l0!.signature, identity: 'forker', uuid: uuidFrom('fork'), created_at: 1_700_000_100 });
    const forged = { ...b.link({ prev: null, uuid: uuidFrom('forged'), created_at: 1_700_000_000 }), avatar: a.id };
    const tampered = { ...l2!, identity: 'mallory', signature_payload: '' };
    const dup = a.link({ prev: l1!.signature, identity: 'dup', uuid: l0!.uuid, created_at: 1_700_000_200 });
    const future = a.link({ prev: l1!.signature, identity: 'future', uuid: uuidFrom('future'), created_at: Math.floor(Date.now() / 1000) + 86400 });
    const r = await post(`${d.url}/v1/links`, {
      links: [
        { ...l0!, avatar: a.id }, { ...l1!, avatar: a.id }, forged, { ...fork, avatar: a.id }, { ...tampered, avatar: a.id },
        { ...dup, avatar: a.id }, { ...future, avatar: a.id }, { ...l2!, avatar: a.id }, { ...l2!, avatar: 'nope' }, { avatar: a.id, action: 'create' },
        { ...l2!, avatar: a.id, signature: 'garbage' }, { ...l2!, avatar: a.id, action: 'rename' },
        { ...l2!, avatar: a.id, prev: l2!.signature, uuid: uuidFrom('garbled'), signature_payload: '', signature: 'garbage' },
      ],
    });
    expect(r.status).toBe(200);
    // The judge's one order: chain steps before the link's own verification. So the forged link
    // that also claims prev = null on a non-empty chain is a FORK, and the garbled copy of l2
    // (its uuid already used) a DUPLICATE_UUID; a garbled link at the head is the encoding error.
    expect(r.body.results.map((x: { status: string; code?: string }) => x.code ?? x.status)).toEqual([
      'accepted', 'accepted', 'FORK', 'FORK', 'SIGNATURE_MISMATCH', 'DUPLICATE_UUID', 'BAD_CREATED_AT', 'accepted',
      'BAD_PUBLIC_KEY', 'BAD_REQUEST', 'DUPLICATE_UUID', 'UNKNOWN_ACTION', 'BAD_SIGNATURE_ENCODING',
    ]);
    const c = await json(`${d.url}/v1/proofchain?avatar=${a.id}`);
    expect(c.body.proof_chain.map((x: { uuid: string }) => x.uuid)).toEqual([l0!.uuid, l1!.uuid, l2!.uuid]);
  });

  it('accepts a real legacy (pre-2022) link and a v=27 prev from another service', async () => {
    const vectors = loadNextIdVectors();
    const legacy = vectors.sign_payload_vectors.find((v: { id: string }) => v.id === 'sp-legacy-4field-twitter');
    const r = await post(`${d.url}/v1/links`, {
      links: [{ avatar: legacy.expected_avatar, prev: null, action: 'create', platform: 'twitter', identity: 'yeiwb', proof_location: '1469221200140574720', created_at: 1648023422, uuid: '', signature: legacy.signature_base64, signature_payload: '', extra: {} }],
    });
    expect(r.body.results[0]).toMatchObject({ status: 'accepted' });
    // A later link whose prev spells the legacy signature with v=28 still chains on.
    const a = new TestAvatar('links-v27');
    const [g] = a.chain(1);
    const sig = Buffer.from(g!.signature, 'base64');
    sig[64] = sig[64]! + 27;
    const next = a.link({ prev: sig.toString('base64'), identity: 'second', uuid: uuidFrom('v27-next'), created_at: 1_700_000_500 });
    const r2 = await post(`${d.url}/v1/links`, { links: withAvatar(a, [g!, next]) });
    expect(r2.body.results.map((x: { status: string }) => x.status)).toEqual(['accepted', 'accepted']);
    // A prev spelled as the high-s twin of the head's signature names the same link; a fork
    // spelled that way is still a fork.
    const twinPrev = twinSignature(decodeSignature(next.signature));
    const third = a.link({ prev: twinPrev, identity: 'third', uuid: uuidFrom('twin-next'), created_at: 1_700_000_600 });
    const forkTwin = a.link({ prev: twinSignature(decodeSignature(g!.signature)), identity: 'forktwin', uuid: uuidFrom('twin-fork'), created_at: 1_700_000_700 });
    const r3 = await post(`${d.url}/v1/links`, { links: withAvatar(a, [third, forkTwin]) });
    expect(r3.body.results.map((x: { status: string; code?: string }) => x.code ?? x.status)).toEqual(['accepted', 'FORK']);
  });

  it('rejects bodies that are not link lists and too many links', async () => {
    for (const body of [[], { links: 'x' }, { nolinks: [] }, 'x']) {
      const r = await post(`${d.url}/v1/links`, body);
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('BAD_REQUEST');
    }
    const small = await startDaemon({ 'server.bulkMaxLinks': 2 });
    try {
      const r = await post(`${small.url}/v1/links`, { links: [{}, {}, {}] });
      expect([r.status, r.body.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    } finally {
      await small.stop();
    }
  });
});

describe('chain reads', () => {
  it('paginates /v1/proofchain by 40 and the feed by count, in order', async () => {
    const a = new TestAvatar('links-pages');
    const chain = a.chain(45);
    const first = await json(`${d.url}/v1/proofchain/changes?count=1&last_id=999999`);
    expect(first.body.links).toEqual([]);
    expect((await post(`${d.url}/v1/links`, { links: withAvatar(a, chain) })).body.accepted).toBe(45);
    const p1 = await json(`${d.url}/v1/proofchain?avatar=${a.id}`);
    expect(p1.body.pagination).toEqual({ total: 45, per: 40, current: 1, next: 2 });
    const p2 = await json(`${d.url}/v1/proofchain?avatar=${a.id}&page=2`);
    expect(p2.body.pagination).toEqual({ total: 45, per: 40, current: 2, next: 0 });
    expect([...p1.body.proof_chain, ...p2.body.proof_chain].map((x: { uuid: string }) => x.uuid)).toEqual(chain.map((l) => l.uuid));

    // The feed, walked by last_id, lists every link once in acceptance order with its avatar.
    const seen: Array<{ id: number; avatar: string; uuid: string; prev: string | null }> = [];
    let last = 0;
    for (let i = 0; i < 100; i++) {
      const page = await json(`${d.url}/v1/proofchain/changes?last_id=${last}&count=100`);
      if (page.body.links.length === 0) break;
      seen.push(...page.body.links);
      last = page.body.links.at(-1).id;
    }
    const mine = seen.filter((l) => l.avatar === a.id);
    expect(mine.map((l) => l.uuid)).toEqual(chain.map((l) => l.uuid));
    expect(mine.map((l) => l.prev)).toEqual(chain.map((l) => l.prev));
    expect(seen.map((l) => l.id)).toEqual([...seen.map((l) => l.id)].sort((x, y) => x - y));
  });
});

describe('concurrent appends on one Avatar', () => {
  it('a race of many submits against one head leaves exactly one linear chain', async () => {
    const a = new TestAvatar('race');
    expect((await a.bind(d.url, 'twitter', 'racehead')).status).toBe(201);
    // Every client fetches its payload first (same head), then all submit at once.
    const N = 24;
    const bodies = await Promise.all(
      Array.from({ length: N }, async (_, i) => {
        const p = await post(`${d.url}/v1/proof/payload`, { action: 'create', platform: 'twitter', identity: `racer${i}`, public_key: a.id });
        return { action: 'create', platform: 'twitter', identity: `racer${i}`, public_key: a.id, uuid: p.body.uuid, created_at: p.body.created_at, extra: { signature: a.sign(p.body.sign_payload) } };
      }),
    );
    const results = await Promise.all(bodies.map((b) => post(`${d.url}/v1/proof`, b)));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status !== 201).every((r) => r.status === 409 && r.body.code === 'FORK')).toBe(true);

    // Same race through bulk import: many documents extending the same head at once.
    const c = await json(`${d.url}/v1/proofchain?avatar=${a.id}`);
    const head = c.body.proof_chain.at(-1).signature;
    const racers = Array.from({ length: 10 }, (_, i) => a.link({ prev: head, identity: `bulk${i}`, uuid: uuidFrom(`bulkrace${i}`), created_at: 1_700_000_000 + i }));
    const bulk = await Promise.all(racers.map((l) => post(`${d.url}/v1/links`, { links: [{ ...l, avatar: a.id }] })));
    expect(bulk.filter((r) => r.body.accepted === 1)).toHaveLength(1);

    const doc = JSON.parse(await (await fetch(`${d.url}/v1/chain/${a.id}`)).text());
    expect(doc.links).toHaveLength(3);
    const v = verifyChain(parsePublicKey(a.id), doc.links, { backend: nobleBackend });
    expect(v.problems).toEqual([]);
    expect(v.verified).toHaveLength(3);
  });
});
