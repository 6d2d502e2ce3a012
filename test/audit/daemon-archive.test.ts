/**
 * End to end with a real daemon's archive (embedded Helia + in-process arlocal devnet): the
 * auditor checks an Avatar's pinned chain by CID through the daemon's own trustless gateway,
 * and its archived history by Arweave tx id through the devnet's gateway.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/audit.js';
import { json, post, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { until } from '../mirror/helpers.js';
import { avatarOf, captureIo, makeChain, secretKey } from './helpers.js';

let daemon: TestDaemon;
const sk = secretKey('daemon-archive');
const avatar = avatarOf(sk).id;
const chain = makeChain(sk, 5, 'da');

const archiveView = async () => (await json(`${daemon.url}/v1/chain/${avatar}/archive`)).body;
const allConfirmed = (v: any, links: number) =>
  v?.pending?.jobs === 0 && v.versions.length > 0 && v.versions.at(-1).links === links && v.versions.every((x: any) => x.arweave_status === 'confirmed' && x.ipfs_status === 'pinned');

beforeAll(async () => {
  daemon = await startDaemon({
    'crypto.workers': 1,
    'archive.enabled': true,
    'archive.coalesceMs': 50,
    'archive.pollMs': 50,
    'archive.arweave.devnet.mineIntervalMs': 300,
    'archive.arweave.confirmPollMs': 200,
  });
  // two archived versions: 3 links, then 5
  expect((await post(`${daemon.url}/v1/links`, { links: chain.slice(0, 3).map((l) => ({ avatar, ...l })) })).body.accepted).toBe(3);
  await until('first version archived', archiveView, (v) => allConfirmed(v, 3), 90_000, 100);
  expect((await post(`${daemon.url}/v1/links`, { links: chain.slice(3).map((l) => ({ avatar, ...l })) })).body.accepted).toBe(2);
  await until('second version archived', archiveView, (v) => allConfirmed(v, 5), 90_000, 100);
}, 180_000);
afterAll(async () => {
  await daemon?.stop();
});

async function audit(args: string[]) {
  const c = captureIo();
  const code = await run(['--workers', '1', '--json', '--retries', '0', ...args], c.io);
  return { code, rep: JSON.parse(c.stdout()) };
}

describe('audit: a daemon\'s archive', () => {
  it('a CID through the daemon\'s /ipfs/:cid gateway', async () => {
    const newest = (await archiveView()).versions.at(-1);
    expect(newest.cid).toMatch(/^bagaaiera/);
    const r = await audit(['--ipfs-gateway', daemon.url, newest.cid]);
    expect(r.rep.problems).toEqual([]);
    expect(r.rep.totals).toEqual({ avatars: 1, links: 5, verified: 5, problems: 0 });
    expect(r.code).toBe(0);
  });

  it('the Arweave history the daemon posted, walked back through Previous-Tx', async () => {
    const view = await archiveView();
    const newest = view.versions.at(-1);
    const devnet = (await json(`${daemon.url}/healthz`)).body.archive.arweave.url as string;
    expect(devnet).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
    const r = await audit(['--arweave-gateway', devnet, `ar://${newest.arweave_tx}`]);
    expect(r.rep.problems).toEqual([]);
    expect(r.rep.errors).toEqual([]);
    expect(r.rep.sources[0].notes.versions).toBe(view.versions.length);
    expect(view.versions.length).toBeGreaterThanOrEqual(2);
    expect(r.code).toBe(0);
  });
});
