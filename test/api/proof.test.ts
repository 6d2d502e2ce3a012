import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainDocumentString } from '../../src/core/index.js';
import { TestAvatar } from '../helpers/avatar.js';
import { json, post, startDaemon, type TestDaemon } from '../helpers/daemon.js';

let d: TestDaemon;
beforeAll(async () => {
  d = await startDaemon();
});
afterAll(async () => d?.stop());

describe('Next.ID-compatible proof routes', () => {
  it('GET /healthz says hello and lists platforms', async () => {
    const r = await json(`${d.url}/healthz`);
    expect(r.status).toBe(200);
    expect(r.body.hello).toBe('proof service');
    expect(r.body.platforms).toContain('twitter');
    expect(r.body.crypto.backend).toBeTypeOf('string');
  });

  it('binds a twitter identity end to end and serves it on every read route', async () => {
    const a = new TestAvatar('proof-e2e');
    const p = await post(`${d.url}/v1/proof/payload`, { action: 'create', platform: 'twitter', identity: 'Alice_E2E', public_key: a.uncompressed });
    expect(p.status).toBe(200);
    const payload = JSON.parse(p.body.sign_payload);
    expect(payload).toEqual({ action: 'create', created_at: p.body.created_at, identity: 'alice_e2e', platform: 'twitter', prev: null, uuid: p.body.uuid });
    expect(p.body.post_content.default).toContain('%SIG_BASE64%');
    expect(p.body.post_content.default).toContain(`Misc: ${p.body.uuid}|${p.body.created_at}|`);
    const sig = a.sign(p.body.sign_payload);
    const r = await post(`${d.url}/v1/proof`, {
      action: 'create', platform: 'twitter', identity: 'Alice_E2E', public_key: a.id.toUpperCase().replace('0X', '0x'),
      proof_location: '1415362679095635970', uuid: p.body.uuid, created_at: p.body.created_at, extra: { signature: sig },
    });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({});

    const q = await json(`${d.url}/v1/proof?platform=twitter&identity=alice_e2e&exact=true`);
    expect(q.status).toBe(200);
    expect(q.body.pagination).toEqual({ total: 1, per: 40, current: 1, next: 0 });
    expect(q.body.ids[0]).toMatchObject({ avatar: a.id, persona: a.id, activated_at: p.body.created_at });
    expect(q.body.ids[0].proofs).toEqual([
      expect.objectContaining({ platform: 'twitter', identity: 'alice_e2e', is_valid: false, status: 'unchecked', last_checked_at: '0', created_at: p.body.created_at }),
    ]);
    expect(q.body.ids[0].proofs[0].invalid_reason).toMatch(/not checked/);

    const ex = await json(`${d.url}/v1/proof/exists?platform=twitter&identity=ALICE_E2E&public_key=${a.uncompressed.slice(2)}`);
    expect(ex.status).toBe(200);
    expect(ex.body).toMatchObject({ created_at: p.body.created_at, is_valid: false });

    const c = await json(`${d.url}/v1/proofchain?avatar=${a.uncompressed}`);
    expect(c.body.pagination.total).toBe(1);
    expect(c.body.proof_chain[0]).toMatchObject({
      action: 'create', platform: 'twitter', identity: 'alice_e2e', proof_location: '1415362679095635970', created_at: p.body.created_at,
      signature: sig, signature_payload: p.body.sign_payload, uuid: p.body.uuid, extra: {}, arweave_id: '', alt_id: '',
    });

    const doc = await fetch(`${d.url}/v1/chain/${a.uncompressed}`);
    expect(doc.headers.get('content-type')).toMatch(/application\/json/);
    const text = await doc.text();
    expect(text).toBe(
      chainDocumentString(a.uncompressed, [{
        prev: null, action: 'create', platform: 'twitter', identity: 'alice_e2e', proof_location: '1415362679095635970',
        created_at: Number(p.body.created_at), uuid: p.body.uuid, signature: sig, signature_payload: p.body.sign_payload, extra: {},
      }]),
    );

    // The next payload carries the head's signature as prev.
    const p2 = await post(`${d.url}/v1/proof/payload`, { action: 'create', platform: 'github', identity: 'alice-e2e', public_key: a.id });
    expect(JSON.parse(p2.body.sign_payload).prev).toBe(sig);
    expect(JSON.parse(p2.body.post_content.default)).toMatchObject({ github_username: 'alice-e2e', persona: a.id, signature: '%SIG_BASE64%' });
  });

  it('binds an ethereum wallet (valid at once) and deletes it with the wallet alone', async () => {
    const a = new TestAvatar('proof-eth');
    const w = new TestAvatar('proof-eth-wallet');
    const r = await a.bind(d.url, 'ethereum', w.address.toUpperCase().replace('0X', '0x'), { wallet: w });
    expect(r.status).toBe(201);
    const q = await json(`${d.url}/v1/proof?platform=ethereum&identity=${w.address}&exact=true`);
    expect(q.body.ids[0].proofs[0]).toMatchObject({ identity: w.address, is_valid: true, status: 'valid', alt_id: w.address });
    const c = await json(`${d.url}/v1/proofchain?avatar=${a.id}`);
    expect(c.body.proof_chain[0].extra.wallet_signature).toMatch(/^[A-Za-z0-9+/]{87}=$/);
    expect(JSON.parse(c.body.proof_chain[0].signature_payload).persona).toBe(a.id);

    const del = await a.bind(d.url, 'ethereum', w.address, { action: 'delete', wallet: w, walletOnly: true });
    expect(del.status).toBe(201);
    const ex = await json(`${d.url}/v1/proof/exists?platform=ethereum&identity=${w.address}&public_key=${a.id}`);
    expect(ex.status).toBe(404);
    expect(ex.body.code).toBe('NOT_FOUND');
    const c2 = await json(`${d.url}/v1/proofchain?avatar=${a.id}`);
    expect(c2.body.proof_chain).toHaveLength(2);
    expect(c2.body.proof_chain[1].action).toBe('delete');
  });

  it('finds avatars by fuzzy identity, by exact identity and by avatar key (platform=nextid)', async () => {
    const a = new TestAvatar('proof-query-1');
    const b = new TestAvatar('proof-query-2');
    expect((await a.bind(d.url, 'twitter', 'queryfoo1')).status).toBe(201);
    expect((await b.bind(d.url, 'twitter', 'queryfoo2')).status).toBe(201);
    const fuzzy = await json(`${d.url}/v1/proof?platform=twitter&identity=queryfoo`);
    expect(fuzzy.body.ids.map((i: { avatar: string }) => i.avatar).sort()).toEqual([a.id, b.id].sort());
    const exact = await json(`${d.url}/v1/proof?platform=twitter&identity=queryfoo&exact=true`);
    expect(exact.body.ids).toEqual([]);
    const both = await json(`${d.url}/v1/proof?platform=twitter&identity=queryfoo1,queryfoo2&exact=true&order=asc`);
    expect(both.body.pagination.total).toBe(2);
    const byKey = await json(`${d.url}/v1/proof?platform=nextid&identity=${b.uncompressed}`);
    expect(byKey.body.ids.map((i: { avatar: string }) => i.avatar)).toEqual([b.id]);
    const like = await json(`${d.url}/v1/proof?platform=twitter&identity=query%25`);
    expect(like.body.ids).toEqual([]); // % is matched literally, not as a wildcard
  });

  it('delete removes the binding but keeps the chain', async () => {
    const a = new TestAvatar('proof-delete');
    expect((await a.bind(d.url, 'dns', 'example.org')).status).toBe(201);
    expect((await a.bind(d.url, 'dns', 'example.org', { action: 'delete' })).status).toBe(201);
    const q = await json(`${d.url}/v1/proof?platform=dns&identity=example.org&exact=true`);
    expect(q.body.ids).toEqual([]);
    const c = await json(`${d.url}/v1/proofchain?avatar=${a.id}`);
    expect(c.body.proof_chain.map((l: { action: string }) => l.action)).toEqual(['create', 'delete']);
  });
});
