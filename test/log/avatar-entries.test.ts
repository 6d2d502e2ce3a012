/**
 * GET /v1/log/avatar over real HTTP: an Avatar's KV writes and subkeys in the log, each with the
 * fields that rebuild its entry bytes (checked here against the log's own entry and leaf hash);
 * other Avatars' entries stay out; bad input is a 4xx with a stable code and changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeEntry, fromBase64, leafHash, toBase64, type KvEntry, type SubkeyEntry } from '../../src/core/tlog/index.js';
import { parsePublicKey } from '../../src/core/index.js';
import { TestAvatar } from '../helpers/avatar.js';
import { json, post, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { kvWrite } from '../helpers/kv.js';

let d: TestDaemon;
const alice = new TestAvatar('tlog-avatar-alice');
const bob = new TestAvatar('tlog-avatar-bob');
const sub = new TestAvatar('tlog-avatar-sub');

beforeAll(async () => {
  d = await startDaemon({ 'tlog.checkpointIntervalMs': 50 });
});
afterAll(() => d?.stop());

async function addSubkey(a: TestAvatar): Promise<string> {
  const fields = { avatar: a.id, algorithm: 'secp256k1', public_key: sub.id, rp_id: 'app.example' };
  const p = await post(`${d.url}/v1/subkey/payload`, fields);
  expect((await post(`${d.url}/v1/subkey`, { ...fields, name: '<b>phone</b>', signature: a.sign(p.body.sign_payload) })).status).toBe(200);
  return p.body.sign_payload as string;
}

describe('GET /v1/log/avatar', () => {
  it("lists an Avatar's KV and subkey entries, in order, with what rebuilds their bytes", async () => {
    expect((await kvWrite(d.url, alice, 'nextid', alice.id, { bio: '<script>x</script>' })).status).toBe(201);
    expect((await kvWrite(d.url, bob, 'nextid', bob.id, { bio: 'bob' })).status).toBe(201);
    const payload = await addSubkey(alice);
    expect((await kvWrite(d.url, alice, 'nextid', alice.id, { bio: null })).status).toBe(201);

    const r = await json(`${d.url}/v1/log/avatar?avatar=${alice.id}`);
    expect(r.status).toBe(200);
    expect(r.body.avatar).toBe(alice.id);
    const entries = r.body.entries as Array<Record<string, unknown> & { index: number; kind: string }>;
    expect(entries.map((e) => e.kind)).toEqual(['kv', 'subkey', 'kv']);
    expect(entries.map((e) => e.index)).toEqual([...entries.map((e) => e.index)].sort((a, b) => a - b));
    expect(entries[1]).toMatchObject({ algorithm: 'secp256k1', public_key: sub.id, rp_id: 'app.example', name: '<b>phone</b>', sign_payload: payload });

    // the listed fields, with the signed data a client holds, give the log's exact bytes
    const chain = (await json(`${d.url}/v1/kv/chain/${alice.id}`)).body.writes as Array<{ uuid: string; signature: string; sign_payload: string }>;
    for (const e of entries) {
      let bytes: Uint8Array;
      if (e.kind === 'kv') {
        const w = chain.find((x) => x.uuid === e.uuid && x.signature === e.signature)!;
        expect(w).toBeDefined();
        bytes = encodeEntry({ kind: 'kv', avatar: alice.id, platform: e.platform, identity: e.identity, uuid: e.uuid, created_at: e.created_at, sign_payload: w.sign_payload, signature: e.signature } as KvEntry);
      } else {
        const { index: _i, kind: _k, ...rest } = e;
        bytes = encodeEntry({ kind: 'subkey', avatar: alice.id, ...rest } as SubkeyEntry);
      }
      for (;;) {
        const inc = await json(`${d.url}/v1/log/inclusion?index=${e.index}`);
        if (inc.status === 200) {
          expect(inc.body.entry).toBe(toBase64(bytes));
          expect(toBase64(leafHash(fromBase64(inc.body.entry)!))).toBe(inc.body.leaf_hash);
          break;
        }
        expect(inc.body.code).toBe('NOT_FOUND'); // not yet covered by a checkpoint
        await new Promise((res) => setTimeout(res, 20));
      }
    }
    // another spelling of the key finds the same entries; an Avatar with none gets an empty list
    expect((await json(`${d.url}/v1/log/avatar?avatar=${parsePublicKey(alice.id).uncompressedHex}`)).body.entries).toEqual(entries);
    expect((await json(`${d.url}/v1/log/avatar?avatar=${sub.id}`)).body.entries).toEqual([]);
  });

  it('bad input is a 400 with a stable code, and changes nothing', async () => {
    const size = (await json(`${d.url}/healthz`)).body.tlog.size;
    for (const q of ['', '?avatar=', '?avatar=0xnot-a-key', `?avatar=${'f'.repeat(5000)}`, '?avatar=%3Cscript%3E']) {
      const r = await json(`${d.url}/v1/log/avatar${q}`);
      expect(r.status, q).toBe(400);
      expect(typeof r.body.code, q).toBe('string');
      expect(typeof r.body.message, q).toBe('string');
    }
    expect((await json(`${d.url}/v1/log/avatar`)).body.code).toBe('BAD_REQUEST');
    expect((await json(`${d.url}/v1/log/avatar?avatar=0xnot-a-key`)).body.code).toBe('BAD_PUBLIC_KEY');
    expect((await json(`${d.url}/healthz`)).body.tlog.size).toBe(size);
  });
});
