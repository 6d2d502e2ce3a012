/** The KVService routes on a real daemon: shapes, statuses, aliases, bindings, bad input, races, durability. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kvChainDocumentString, nobleBackend, parseKvWrite, parsePublicKey, verifyKvChain } from '../../src/core/index.js';
import { TestAvatar, uuidFrom } from '../helpers/avatar.js';
import { json, post, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { kvPayload, kvWrite, kvWriteBody } from '../helpers/kv.js';

let d: TestDaemon;
beforeAll(async () => {
  d = await startDaemon({ 'server.bodyLimit': 8192 });
});
afterAll(async () => d?.stop());

const kvOf = (a: TestAvatar, alias = 'avatar') => json(`${d.url}/v1/kv?${alias}=${a.id}`);
const docOf = async (a: TestAvatar) => (await fetch(`${d.url}/v1/kv/chain/${a.id}`)).text();

describe('KV routes (Next.ID-compatible)', () => {
  it('writes the nextid namespace and serves it on every read route', async () => {
    const a = new TestAvatar('kv-nextid');
    const p = await kvPayload(d.url, a, 'nextid', a.id, { b: { y: [1, 2], x: 1 }, a: 'hello', del: null });
    expect(p.status).toBe(200);
    expect(Object.keys(p.body).sort()).toEqual(['created_at', 'sign_payload', 'uuid']);
    expect(typeof p.body.created_at).toBe('number');
    expect(p.body.sign_payload).toBe(
      `{"version":"1","uuid":"${p.body.uuid}","avatar":"${a.uncompressed.slice(2)}","platform":"nextid","identity":"${a.id}",` +
        `"patch":{"a":"hello","b":{"x":1,"y":[1,2]},"del":null},"created_at":${p.body.created_at},"previous":null}`,
    );
    const w = await post(`${d.url}/v1/kv`, kvWriteBody(a, p.body, 'nextid', a.id, { b: { y: [1, 2], x: 1 }, a: 'hello', del: null }));
    expect(w.status).toBe(201);
    const view = { persona: a.uncompressed, avatar: a.uncompressed, proofs: [{ platform: 'nextid', identity: a.id, content: { a: 'hello', b: { x: 1, y: [1, 2] } }, arweave_id: null }] };
    expect(w.body).toEqual(view);
    expect((await kvOf(a)).body).toEqual(view);
    expect((await kvOf(a, 'persona')).body).toEqual(view);
    // avatar wins over persona
    const other = new TestAvatar('kv-other');
    expect((await json(`${d.url}/v1/kv?avatar=${a.uncompressed}&persona=${other.id}`)).body).toEqual(view);
    const byId = await json(`${d.url}/v1/kv/by_identity?platform=nextid&identity=${a.id}`);
    expect(byId.body).toEqual({ values: [{ avatar: a.uncompressed, content: view.proofs[0]!.content }] });

    // A second write chains on the first and merges (null deletes, arrays replace).
    const w2 = await kvWrite(d.url, a, 'nextid', a.id, { a: null, b: { y: ['z'] } });
    expect(w2.status).toBe(201);
    expect(w2.body.proofs[0].content).toEqual({ b: { x: 1, y: ['z'] } });
    const doc = await docOf(a);
    const parsed = JSON.parse(doc) as { writes: unknown[] };
    const writes = parsed.writes.map(parseKvWrite);
    expect(writes[1]!.previous).toBe(writes[0]!.signature);
    expect(kvChainDocumentString(a.uncompressed, writes)).toBe(doc);
    expect(verifyKvChain(parsePublicKey(a.id), writes, { backend: nobleBackend }).problems).toEqual([]);
    expect(JSON.parse((await kvPayload(d.url, a, 'nextid', a.id, {})).body.sign_payload).previous).toBe(writes[1]!.signature);
  });

  it('answers 200 with empty proofs for an unknown avatar, 404 for its chain document', async () => {
    const u = new TestAvatar('kv-unknown');
    expect(await kvOf(u)).toMatchObject({ status: 200, body: { persona: u.uncompressed, avatar: u.uncompressed, proofs: [] } });
    expect(await json(`${d.url}/v1/kv/by_identity?platform=twitter&identity=nobody`)).toMatchObject({ status: 200, body: { values: [] } });
    expect(await json(`${d.url}/v1/kv/chain/${u.id}`)).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    expect(await json(`${d.url}/v1/kv`)).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } });
    expect(await json(`${d.url}/v1/kv?avatar=0x1234`)).toMatchObject({ status: 400, body: { code: 'BAD_PUBLIC_KEY' } });
    expect(await json(`${d.url}/v1/kv/by_identity?platform=twitter`)).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } });
  });

  it('needs the binding in this index for another namespace; Mask-style writes (persona, re-stringified payload) work', async () => {
    const a = new TestAvatar('kv-mask');
    const patch = { 'com.mask.plugin': { twitter_kv_mask: { nickname: 'ü <b> & /', tokenId: '84457744602723809043049191225279009657327463478214710277063869711841964851201' } } };
    const before = await kvWrite(d.url, a, 'twitter', 'kv_mask', patch, { persona: true });
    expect(before).toMatchObject({ status: 400, body: { code: 'NOT_BOUND' } });
    expect((await a.bind(d.url, 'twitter', 'KV_Mask')).status).toBe(201);
    // exact, case-sensitive: the binding's stored identity is lowercase
    expect(await kvWrite(d.url, a, 'twitter', 'KV_Mask', patch, { persona: true })).toMatchObject({ status: 400, body: { code: 'NOT_BOUND' } });
    const w = await kvWrite(d.url, a, 'twitter', 'kv_mask', patch, { persona: true, key: a.uncompressed.slice(2) });
    expect(w.status).toBe(201);
    expect(w.body.proofs).toEqual([{ platform: 'twitter', identity: 'kv_mask', content: patch, arweave_id: null }]);
    const n = await kvWrite(d.url, a, 'nextid', a.uncompressed, { theme: 'dark' }, { persona: true });
    expect(n.status).toBe(201);
    expect(n.body.proofs.map((p: { platform: string }) => p.platform)).toEqual(['twitter', 'nextid']);
    expect((await json(`${d.url}/v1/kv/by_identity?platform=twitter&identity=kv_mask`)).body.values).toEqual([{ avatar: a.uncompressed, content: patch }]);
    expect((await json(`${d.url}/v1/kv/by_identity?platform=twitter&identity=KV_MASK`)).body.values).toEqual([]);
  });
});

describe('bad KV input changes nothing', () => {
  const a = new TestAvatar('kv-bad');
  let payload: { uuid: string; sign_payload: string; created_at: number };
  const patch = { k: 'v' };
  beforeAll(async () => {
    expect((await kvWrite(d.url, a, 'nextid', a.id, { first: 1 })).status).toBe(201);
    payload = (await kvPayload(d.url, a, 'nextid', a.id, patch)).body;
  });
  const good = () => kvWriteBody(a, payload, 'nextid', a.id, patch);
  const intruder = new TestAvatar('kv-intruder');

  const cases: Array<[string, () => unknown, number, string]> = [
    ['a non-object body', () => [1, 2], 400, 'BAD_REQUEST'],
    ['no avatar', () => ({ ...good(), avatar: undefined }), 400, 'BAD_REQUEST'],
    ['a bad key', () => ({ ...good(), avatar: '0x02' + '00'.repeat(32) }), 400, 'BAD_PUBLIC_KEY'],
    ['nextid with another identity', () => ({ ...good(), identity: intruder.id }), 400, 'BAD_IDENTITY'],
    ['an empty platform', () => ({ ...good(), platform: '' }), 400, 'BAD_REQUEST'],
    ['no patch', () => ({ ...good(), patch: undefined }), 400, 'BAD_PATCH'],
    ['a fractional number in the patch', () => ({ ...good(), patch: { k: 1.5 } }), 400, 'BAD_PATCH'],
    ['an integer beyond 2^53 in the patch', () => ({ ...good(), patch: { k: 2 ** 60 } }), 400, 'BAD_PATCH'],
    ['a changed patch', () => ({ ...good(), patch: { k: 'w' } }), 400, 'SIGNATURE_MISMATCH'],
    ['a bad uuid', () => ({ ...good(), uuid: 'nope' }), 400, 'BAD_UUID'],
    ['created_at as a string', () => ({ ...good(), created_at: String(payload.created_at) }), 400, 'BAD_CREATED_AT'],
    ['created_at in the future', () => ({ ...good(), created_at: payload.created_at + 86_400 }), 400, 'BAD_CREATED_AT'],
    ['a signature that is not base64', () => ({ ...good(), signature: 'not a signature' }), 400, 'BAD_SIGNATURE_ENCODING'],
    ['another key\'s signature', () => ({ ...good(), signature: intruder.sign(payload.sign_payload) }), 400, 'SIGNATURE_MISMATCH'],
    ['a twitter namespace without binding', () => ({ ...good(), platform: 'twitter', identity: 'kv_bad' }), 400, 'NOT_BOUND'],
    ['a body over the limit', () => ({ ...good(), patch: { big: 'x'.repeat(10_000) } }), 413, 'PAYLOAD_TOO_LARGE'],
  ];

  it.each(cases)('%s', async (_n, body, status, code) => {
    const view = await kvOf(a);
    const doc = await docOf(a);
    const r = await post(`${d.url}/v1/kv`, body());
    expect(r.status).toBe(status);
    expect(r.body.code).toBe(code);
    expect(typeof r.body.message).toBe('string');
    expect((await kvOf(a)).body).toEqual(view.body);
    expect(await docOf(a)).toBe(doc);
  });

  it('a high-s twin of a good signature is refused', async () => {
    const b = good();
    const sig = Buffer.from(b['signature'] as string, 'base64');
    const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const s = BigInt(`0x${sig.subarray(32, 64).toString('hex')}`);
    Buffer.from((N - s).toString(16).padStart(64, '0'), 'hex').copy(sig, 32);
    sig[64] = sig[64]! ^ 1;
    const r = await post(`${d.url}/v1/kv`, { ...b, signature: sig.toString('base64') });
    expect(r).toMatchObject({ status: 400, body: { code: 'BAD_SIGNATURE_ENCODING' } });
  });

  it('the good write lands once; its replay is 409 DUPLICATE_UUID, and nothing changes', async () => {
    expect((await post(`${d.url}/v1/kv`, good())).status).toBe(201);
    const doc = await docOf(a);
    const again = await post(`${d.url}/v1/kv`, good());
    expect(again).toMatchObject({ status: 409, body: { code: 'DUPLICATE_UUID' } });
    expect(await docOf(a)).toBe(doc);
  });

  it('the payload route refuses what the write route would, and stores nothing', async () => {
    const fresh = new TestAvatar('kv-payload-only');
    expect(await kvPayload(d.url, fresh, 'nextid', fresh.id, { n: 0.1 })).toMatchObject({ status: 400, body: { code: 'BAD_PATCH' } });
    expect(await kvPayload(d.url, fresh, 'twitter', 'x', {})).toMatchObject({ status: 400, body: { code: 'NOT_BOUND' } });
    expect((await kvPayload(d.url, fresh, 'nextid', fresh.id, { n: 1 })).status).toBe(200);
    expect((await kvOf(fresh)).body.proofs).toEqual([]);
    expect((await json(`${d.url}/v1/kv/chain/${fresh.id}`)).status).toBe(404);
  });
});

describe('concurrent KV writes on one head', () => {
  it('exactly one wins, the others get 409 FORK, the chain stays linear', async () => {
    const a = new TestAvatar('kv-race');
    expect((await kvWrite(d.url, a, 'nextid', a.id, { n: 0 })).status).toBe(201);
    const patches = [1, 2, 3, 4].map((n) => ({ n }));
    const payloads = await Promise.all(patches.map((p) => kvPayload(d.url, a, 'nextid', a.id, p)));
    const results = await Promise.all(payloads.map((p, i) => post(`${d.url}/v1/kv`, kvWriteBody(a, p.body, 'nextid', a.id, patches[i]))));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    const losers = results.filter((r) => r.status !== 201);
    expect(losers).toHaveLength(3);
    for (const l of losers) expect(l).toMatchObject({ status: 409, body: { code: 'FORK' } });
    const writes = (JSON.parse(await docOf(a)) as { writes: unknown[] }).writes.map(parseKvWrite);
    expect(writes).toHaveLength(2);
    expect(verifyKvChain(parsePublicKey(a.id), writes, { backend: nobleBackend }).problems).toEqual([]);
  });
});

describe('the KV change feed', () => {
  it('lists every write once in acceptance order, in document form', async () => {
    const a = new TestAvatar('kv-feed');
    const w = await kvWrite(d.url, a, 'nextid', a.id, { feed: 1 });
    expect(w.status).toBe(201);
    const all: any[] = [];
    for (let last = 0; ; ) {
      const page = (await json(`${d.url}/v1/kv/changes?last_id=${last}&count=100`)).body;
      all.push(...page.writes);
      if (page.writes.length < 100) {
        expect(page.latest).toBe(all.at(-1).id);
        break;
      }
      last = page.writes.at(-1).id;
    }
    expect(all.map((x) => x.id)).toEqual([...all.map((x) => x.id)].sort((x, y) => x - y));
    const mine = all.filter((x) => x.avatar === a.id);
    expect(mine).toHaveLength(1);
    const doc = JSON.parse(await docOf(a)).writes[0];
    const { id: _id, avatar: _avatar, ...rest } = mine[0];
    expect(rest).toEqual(doc);
    expect(await json(`${d.url}/v1/kv/changes?last_id=-1`)).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } });
    expect(await json(`${d.url}/v1/kv/changes?count=101`)).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } });
  });
});

describe('the verifiable log', () => {
  it('holds every accepted KV write as a kv entry (written in the write\'s transaction); refused ones add nothing', async () => {
    const a = new TestAvatar('kv-log');
    const kvEntries = async () => {
      const out: any[] = [];
      for (let last = 0; ; ) {
        const page = (await json(`${d.url}/v1/proofchain/changes?last_id=${last}&count=100`)).body.links as any[];
        out.push(...page.filter((e) => e.kind === 'kv' && e.avatar === a.id));
        if (page.length < 100) return out;
        last = page.at(-1).id;
      }
    };
    const w = await kvWrite(d.url, a, 'nextid', a.id, { logged: true });
    expect(w.status).toBe(201);
    const doc = JSON.parse(await docOf(a)).writes[0];
    const entries = await kvEntries();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ platform: 'nextid', identity: a.id, uuid: doc.uuid, created_at: doc.created_at, sign_payload: doc.sign_payload, signature: doc.signature });
    expect((await kvWrite(d.url, a, 'nextid', a.id, { bad: 0.5 })).status).toBe(400);
    expect(await kvEntries()).toHaveLength(1);
  });
});

describe('durability', () => {
  it('a 201 survives a restart of the daemon', async () => {
    const dir = (await import('node:fs')).mkdtempSync(`${(await import('node:os')).tmpdir()}/proofkeep-kv-`);
    const one = await startDaemon({}, { dir });
    const a = new TestAvatar('kv-durable');
    const w = await kvWrite(one.url, a, 'nextid', a.id, { kept: true, uuid: uuidFrom('x') });
    expect(w.status).toBe(201);
    await one.stop();
    const two = await startDaemon({}, { dir });
    try {
      expect((await json(`${two.url}/v1/kv?avatar=${a.id}`)).body).toEqual(w.body);
    } finally {
      await two.stop();
      (await import('node:fs')).rmSync(dir, { recursive: true, force: true });
    }
  });
});
