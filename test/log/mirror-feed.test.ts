/**
 * The feed is the log: a proofkeep mirror following a proofkeep upstream meets subkey (and
 * validity, KV) entries between the links. It stores the links, quarantines nothing, and its
 * cursor reaches the upstream's log size.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TestAvatar } from '../helpers/avatar.js';
import { json, post, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { health, until } from '../mirror/helpers.js';

let origin: TestDaemon;
let mirror: TestDaemon;

beforeAll(async () => {
  // no checkpoint after the one at start: receipts here are of entries not checkpointed yet
  origin = await startDaemon({ 'crypto.workers': 1, 'tlog.checkpointIntervalMs': 86_400_000 });
  mirror = await startDaemon({ 'crypto.workers': 1, 'mirror.upstream': `${origin.url}/`, 'mirror.pollIntervalMs': 50 });
}, 120_000);
afterAll(async () => {
  await mirror?.stop();
  await origin?.stop();
});

it('skips non-link entries of the upstream log and stores every link', async () => {
  const a = new TestAvatar('tlog-mirror-a');
  const [l1, l2] = a.chain(2, 1_700_000_000, 'mf');
  expect((await post(`${origin.url}/v1/links`, { links: [{ avatar: a.id, ...l1 }] })).body.accepted).toBe(1);
  const fields = { avatar: a.id, algorithm: 'secp256k1', public_key: new TestAvatar('tlog-mirror-sub').id, rp_id: 'app.example' };
  const p = await post(`${origin.url}/v1/subkey/payload`, fields);
  expect((await post(`${origin.url}/v1/subkey`, { ...fields, name: 'k', signature: a.sign(p.body.sign_payload) })).status).toBe(200);
  expect((await post(`${origin.url}/v1/links`, { links: [{ avatar: a.id, ...l2 }] })).body.accepted).toBe(1);
  const feed = await json(`${origin.url}/v1/proofchain/changes?last_id=0&count=10`);
  expect(feed.body.links.map((e: { id: number; kind: string }) => [e.id, e.kind])).toEqual([[1, 'link'], [2, 'subkey'], [3, 'link']]);

  const h = await until('mirror caught up', () => health(mirror.url), (b) => b.mirror?.cursor === 3);
  expect(h.mirror.faults).toBe(0);
  expect(h.store.links).toBe(2);
  const chain = await json(`${mirror.url}/v1/proofchain?avatar=${a.id}`);
  expect(chain.body.proof_chain.map((l: { uuid: string }) => l.uuid)).toEqual([l1!.uuid, l2!.uuid]);
});

it('gives the receipt of a link before any checkpoint covers it: the index, no proof yet', async () => {
  const b = new TestAvatar('tlog-mirror-b');
  const r = await b.bind(origin.url, 'ethereum', b.address, { wallet: b });
  expect(r.status).toBe(201);
  const index = Number(r.headers.get('x-proofkeep-log-index'));
  const uuid = (await json(`${origin.url}/v1/proofchain?avatar=${b.id}`)).body.proof_chain[0].uuid;
  const rc = await json(`${origin.url}/v1/log/receipt?avatar=${b.id}&uuid=${uuid}`);
  expect(rc.status).toBe(200);
  expect(rc.body).toMatchObject({ index, tree_size: null, proof: null, checkpoint: null, tlog_proof: null });
  expect((await fetch(`${origin.url}/checkpoint`).then((x) => x.text())).split('\n')[1]).toBe('0');
});
