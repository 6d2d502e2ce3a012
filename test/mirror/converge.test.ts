/**
 * Two real daemons on 127.0.0.1: an origin and a mirror following its changes feed, both
 * archiving to their own embedded IPFS node. After links of many Avatars land on the origin,
 * the mirror converges to byte-identical chain documents and pins the same CIDs, keeps
 * following new links, and refuses writes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, json, post, type TestDaemon } from '../helpers/daemon.js';
import { chainDoc, cidOf, health, populate, until, type Population } from './helpers.js';

let origin: TestDaemon;
let mirror: TestDaemon;
let pop: Population;

// IPFS only: Arweave on two devnets would give different tx ids anyway; CIDs are the point.
const ARCHIVE = { 'archive.enabled': true, 'archive.arweave.enabled': false, 'archive.coalesceMs': 50, 'archive.pollMs': 50 };

beforeAll(async () => {
  origin = await startDaemon({ 'crypto.workers': 1, ...ARCHIVE });
  pop = await populate(origin.url, 'conv', 12, 9);
  mirror = await startDaemon({ 'crypto.workers': 1, ...ARCHIVE, 'mirror.upstream': `${origin.url}/`, 'mirror.pageSize': 20, 'mirror.pollIntervalMs': 50 });
}, 120_000);

/** The CID of the newest pinned version, once every link of the Avatar is archived. */
async function pinnedCid(url: string, avatar: string, links: number): Promise<string> {
  const v = await until(
    `archive of ${avatar} on ${url}`,
    async () => (await json(`${url}/v1/chain/${avatar}/archive`)).body,
    (b: any) => b?.pending?.jobs === 0 && b.versions.at(-1)?.links === links && b.versions.at(-1).ipfs_status === 'pinned',
    60_000,
    100,
  );
  return v.versions.at(-1).cid;
}
afterAll(async () => {
  await mirror?.stop();
  await origin?.stop();
});

describe('mirror: origin and mirror converge', () => {
  it('every Avatar\'s chain document (and so its CID) is identical on the mirror', async () => {
    const h = await until('mirror caught up', () => health(mirror.url), (b) => b.mirror?.caught_up === true && b.mirror.cursor === pop.links);
    expect(h.read_only).toBe(true);
    expect(h.mirror.behind).toBe(0);
    expect(h.mirror.faults).toBe(0);
    expect(h.store.links).toBe(pop.links);
    for (const a of pop.avatars) {
      const [o, m] = await Promise.all([chainDoc(origin.url, a), chainDoc(mirror.url, a)]);
      expect(o.status).toBe(200);
      expect(m.text).toBe(o.text);
      // both daemons pinned the same CID, and it is the CID of these bytes
      const [co, cm] = await Promise.all([pinnedCid(origin.url, a, pop.links / pop.avatars.length), pinnedCid(mirror.url, a, pop.links / pop.avatars.length)]);
      expect(cm).toBe(co);
      expect(cm).toBe(await cidOf(m.text));
    }
    // the Next.ID read API agrees too
    const [po, pm] = await Promise.all([json(`${origin.url}/v1/proofchain?avatar=${pop.avatars[3]}`), json(`${mirror.url}/v1/proofchain?avatar=${pop.avatars[3]}`)]);
    expect(pm.body).toEqual(po.body);
  });

  it('keeps following: links added later on the origin arrive', async () => {
    const more = await populate(origin.url, 'conv-later', 3, 4);
    const total = pop.links + more.links;
    await until('mirror caught up again', () => health(mirror.url), (b) => b.mirror.cursor === total && b.mirror.caught_up === true);
    for (const a of more.avatars) expect((await chainDoc(mirror.url, a)).text).toBe((await chainDoc(origin.url, a)).text);
  });

  it('refuses writes with 403 READ_ONLY', async () => {
    const r = await post(`${mirror.url}/v1/links`, { links: [] });
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('READ_ONLY');
    const p = await post(`${mirror.url}/v1/proof`, { action: 'create', platform: 'twitter', identity: 'x', public_key: pop.avatars[0], uuid: '8a6f7c34-8b1a-4c0e-9d38-2f1e5b7a9c01', created_at: '1700000000', proof_location: '1', extra: { signature: 'AA==' } });
    expect(p.status).toBe(403);
    expect(p.body.code).toBe('READ_ONLY');
    const f = await json(`${mirror.url}/v1/mirror/faults`);
    expect(f.status).toBe(200);
    expect(f.body.faults).toEqual([]);
  });
});
