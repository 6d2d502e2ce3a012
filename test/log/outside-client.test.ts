/**
 * The acceptance test: an outside client that knows only the log's verifier key
 * fetches /checkpoint and the tiles over real HTTP, recomputes the root from the entries,
 * verifies the inclusion of a link it submitted (from its receipt) and the consistency
 * between two checkpoints — all with test/log/minimal-verifier.ts, which shares no code with src/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestAvatar } from '../helpers/avatar.js';
import { json, post, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { leafHashOf, parseProofText, rootFromInclusion, rootsFromConsistency, TileClient, verifyCheckpoint, type Verified } from './minimal-verifier.js';

let d: TestDaemon;
let vkey: string;

async function checkpointOfAtLeast(size: number): Promise<{ note: string; cp: Verified }> {
  for (;;) {
    const res = await fetch(`${d.url}/checkpoint`);
    const note = await res.text();
    const cp = verifyCheckpoint(note, vkey);
    if (cp.size >= size) return { note, cp };
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  d = await startDaemon({ 'tlog.checkpointIntervalMs': 50, 'tlog.origin': 'proofs.test/log' });
  vkey = (await json(`${d.url}/healthz`)).body.tlog.verifier_key;
});
afterAll(() => d?.stop());

describe('an outside client with only the verifier key', () => {
  const alice = new TestAvatar('outside-alice');
  let first: { note: string; cp: Verified };
  let myIndex: number;

  it('submits a link and gets its log index in a header, the body staying {}', async () => {
    expect(vkey).toMatch(/^proofs\.test\/log\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
    const r = await alice.bind(d.url, 'ethereum', alice.address, { walletOnly: false, wallet: alice });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({});
    myIndex = Number(r.headers.get('x-proofkeep-log-index'));
    expect(Number.isInteger(myIndex)).toBe(true);
  });

  it('recomputes the checkpoint root from the tiles and finds its entry in the bundle', async () => {
    first = await checkpointOfAtLeast(myIndex + 1);
    const tiles = new TileClient(d.url, first.cp.size);
    expect((await tiles.mth(0, first.cp.size)).equals(first.cp.root)).toBe(true);
    const entries = await tiles.entries(0);
    expect(entries).toHaveLength(first.cp.size);
    const mine = JSON.parse(entries[myIndex]!.toString('utf8'));
    expect(mine).toMatchObject({ kind: 'link', avatar: alice.id, platform: 'ethereum' });
    expect(leafHashOf(entries[myIndex]!).equals(await tiles.subtree(0, myIndex))).toBe(true);
  });

  it('verifies the receipt (a C2SP tlog-proof) of its link', async () => {
    const chain = await json(`${d.url}/v1/proofchain?avatar=${alice.id}`);
    const uuid = chain.body.proof_chain[0].uuid;
    const r = await json(`${d.url}/v1/log/receipt?avatar=${alice.id}&uuid=${uuid}`);
    expect(r.status).toBe(200);
    expect(r.body.index).toBe(myIndex);
    const p = parseProofText(r.body.tlog_proof);
    const cp = verifyCheckpoint(p.note, vkey);
    const entry = Buffer.from(r.body.entry, 'base64');
    expect(JSON.parse(entry.toString('utf8')).uuid).toBe(uuid);
    expect(rootFromInclusion(p.index, cp.size, leafHashOf(entry), p.path).equals(cp.root)).toBe(true);
    // and the path is the one the tiles give
    const own = await new TileClient(d.url, cp.size).inclusionProof(p.index);
    expect(own.map((h) => h.toString('base64'))).toEqual(p.path.map((h) => h.toString('base64')));
  });

  it('lists the log entries of a binding: its link (a wallet binding needs no validity entry)', async () => {
    const r = await json(`${d.url}/v1/log/binding?avatar=${alice.id}&platform=ethereum&identity=${alice.address}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ link_index: myIndex, validity: [] });
    const none = await json(`${d.url}/v1/log/binding?avatar=${alice.id}&platform=twitter&identity=nobody`);
    expect([none.status, none.body.code]).toEqual([404, 'NOT_FOUND']);
    const bad = await json(`${d.url}/v1/log/binding?avatar=${alice.id}`);
    expect([bad.status, bad.body.code]).toEqual([400, 'BAD_REQUEST']);
  });

  it('verifies consistency between two checkpoints after the log grew past a full tile', async () => {
    const bob = new TestAvatar('outside-bob');
    const links = bob.chain(300);
    const imp = await post(`${d.url}/v1/links`, { links: links.map((l) => ({ avatar: bob.id, ...l })) });
    expect(imp.status).toBe(200);
    expect(imp.body.accepted).toBe(300);
    const second = await checkpointOfAtLeast(first.cp.size + 300);
    const c = await json(`${d.url}/v1/log/consistency?from=${first.cp.size}&to=${second.cp.size}`);
    expect(c.status).toBe(200);
    const proof = (c.body.proof as string[]).map((h) => Buffer.from(h, 'base64'));
    const roots = rootsFromConsistency(first.cp.size, second.cp.size, first.cp.root, proof);
    expect(roots.old.equals(first.cp.root)).toBe(true);
    expect(roots.new.equals(second.cp.root)).toBe(true);
    // the same proof does not tie a forged old root to the new checkpoint
    const forged = Buffer.alloc(32, 7);
    const f = rootsFromConsistency(first.cp.size, second.cp.size, forged, proof);
    expect(f.old.equals(forged) && f.new.equals(second.cp.root)).toBe(false);
    const tiles = new TileClient(d.url, second.cp.size);
    expect((await tiles.mth(0, second.cp.size)).equals(second.cp.root)).toBe(true);
    const full = await fetch(`${d.url}/tile/0/000`);
    expect(full.headers.get('cache-control')).toContain('immutable');
    expect((await full.arrayBuffer()).byteLength).toBe(8192);
  });
});

describe('log routes refuse bad input with a stable code', () => {
  it.each([
    ['/tile/0/1', 404, 'NOT_FOUND'],
    ['/tile/0/x000/001', 404, 'NOT_FOUND'],
    ['/tile/0/000.p/0', 404, 'NOT_FOUND'],
    ['/tile/64/000', 404, 'NOT_FOUND'],
    ['/tile/0/999', 404, 'NOT_FOUND'],
    ['/tile/entries/999', 404, 'NOT_FOUND'],
    ['/tile/5/000', 404, 'NOT_FOUND'],
    ['/v1/log/receipt', 400, 'BAD_REQUEST'],
    ['/v1/log/receipt?avatar=0x12&uuid=a', 400, 'BAD_PUBLIC_KEY'],
    [`/v1/log/receipt?avatar=${new TestAvatar('nobody').id}&uuid=8a6f7c34-8b1a-4c0e-9d38-000000000001`, 404, 'NOT_FOUND'],
    ['/v1/log/consistency', 400, 'BAD_REQUEST'],
    ['/v1/log/consistency?from=-1', 400, 'BAD_REQUEST'],
    ['/v1/log/consistency?from=5&to=2', 400, 'BAD_REQUEST'],
    ['/v1/log/consistency?from=1&to=99999999', 404, 'NOT_FOUND'],
    ['/v1/log/inclusion?index=abc', 400, 'BAD_REQUEST'],
    ['/v1/log/inclusion?index=99999999', 404, 'NOT_FOUND'],
  ])('GET %s → %i %s', async (path, status, code) => {
    const before = (await json(`${d.url}/healthz`)).body.tlog.size;
    const r = await json(`${d.url}${path}`);
    expect(r.status).toBe(status);
    expect(r.body.code).toBe(code);
    expect((await json(`${d.url}/healthz`)).body.tlog.size).toBe(before);
  });

  it('serves a validity-free feed of links with kind and log ids, and a partial tile is the prefix of the grown tile', async () => {
    const feed = await json(`${d.url}/v1/proofchain/changes?last_id=0&count=3`);
    expect(feed.body.links.map((l: { id: number; kind: string }) => [l.id, l.kind])).toEqual([[1, 'link'], [2, 'link'], [3, 'link']]);
    const p = Buffer.from(await (await fetch(`${d.url}/tile/0/000.p/3`)).arrayBuffer());
    const full = Buffer.from(await (await fetch(`${d.url}/tile/0/000`)).arrayBuffer());
    expect(p.equals(full.subarray(0, 96))).toBe(true);
  });
});

describe('every kind of accepted change is in the log', () => {
  it('a subkey authorization is one log entry, in the feed and the tiles', async () => {
    const a = new TestAvatar('tlog-subkey');
    const sub = new TestAvatar('tlog-subkey-key');
    const before = (await json(`${d.url}/healthz`)).body.tlog.size as number;
    const fields = { avatar: a.id, algorithm: 'secp256k1', public_key: sub.id, rp_id: 'app.example' };
    const p = await post(`${d.url}/v1/subkey/payload`, fields);
    const r = await post(`${d.url}/v1/subkey`, { ...fields, name: 'phone', signature: a.sign(p.body.sign_payload) });
    expect(r.status).toBe(200);
    const feed = await json(`${d.url}/v1/proofchain/changes?last_id=${before}&count=10`);
    expect(feed.body.links).toEqual([{
      id: before + 1, kind: 'subkey', avatar: a.id, algorithm: 'secp256k1', public_key: sub.id, rp_id: 'app.example', name: 'phone',
      created_at: expect.any(Number), sign_payload: p.body.sign_payload, signature: expect.any(String),
    }]);
    const { cp } = await checkpointOfAtLeast(before + 1);
    const entries = await new TileClient(d.url, cp.size).entries(Math.floor(before / 256));
    expect(JSON.parse(entries[before % 256]!.toString('utf8'))).toMatchObject({ kind: 'subkey', avatar: a.id, rp_id: 'app.example' });
  });
});
