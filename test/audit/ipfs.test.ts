/**
 * CIDs through a trustless gateway. Until the daemon's own `/ipfs/:cid` route is on main this is
 * a small local gateway serving real blocks (CIDv1, json codec, sha2-256 of the exact bytes), the
 * way a trustless gateway answers `Accept: application/vnd.ipld.raw`.
 */
import { CID } from 'multiformats/cid';
import * as json from 'multiformats/codecs/json';
import { sha256 } from 'multiformats/hashes/sha2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/audit.js';
import { chainDocumentBytes } from '../../src/core/index.js';
import { avatarOf, captureIo, makeChain, secretKey, serve, signLink, uuidFor, type TestServer } from './helpers.js';

async function cidOf(bytes: Uint8Array): Promise<CID> {
  return CID.createV1(json.code, await sha256.digest(bytes));
}

const sk = secretKey('ipfs');
const links = makeChain(sk, 4, 'ip');
const good = chainDocumentBytes(avatarOf(sk).uncompressedHex, links);
const forged = chainDocumentBytes(avatarOf(sk).uncompressedHex, [
  ...links.slice(0, 2),
  { ...signLink(sk, links[1]!.signature, { identity: 'x', uuid: uuidFor('ipx'), created_at: 1_700_000_900 }), identity: 'y' },
]);
const blocks = new Map<string, Uint8Array>();
let gw: TestServer;
let goodCid: CID;
let forgedCid: CID;
let liarCid: CID;

beforeAll(async () => {
  goodCid = await cidOf(good);
  forgedCid = await cidOf(forged);
  liarCid = await cidOf(new TextEncoder().encode('{"other":"bytes"}'));
  blocks.set(goodCid.toString(), good);
  blocks.set(forgedCid.toString(), forged);
  blocks.set(liarCid.toString(), good); // a lying gateway: right CID, wrong bytes
  gw = await serve((req, res) => {
    const m = /^\/ipfs\/([a-z0-9]+)(\?.*)?$/.exec(req.url ?? '');
    const block = m ? blocks.get(m[1]!) : undefined;
    if (!block || req.headers.accept !== 'application/vnd.ipld.raw') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/vnd.ipld.raw' }).end(Buffer.from(block));
  });
});
afterAll(() => gw.close());

async function audit(args: string[]) {
  const c = captureIo();
  const code = await run(['--workers', '1', '--ipfs-gateway', gw.url, '--retries', '0', ...args], c.io);
  return { code, out: c.stdout(), err: c.stderr() };
}

describe('audit: IPFS CIDs through a trustless gateway', () => {
  it('a good chain document verifies, and the CID was requested as a raw block', async () => {
    expect(goodCid.toString()).toMatch(/^bagaaiera/);
    const r = await audit(['--json', goodCid.toString()]);
    const rep = JSON.parse(r.out);
    expect(rep.totals).toEqual({ avatars: 1, links: 4, verified: 4, problems: 0 });
    expect(r.code).toBe(0);
    expect(gw.requests.some((u) => u.startsWith(`/ipfs/${goodCid.toString()}`))).toBe(true);
  });

  it('accepts ipfs:// form and reports a forged link inside a correctly hashed block', async () => {
    const r = await audit(['--json', `ipfs://${forgedCid.toString()}`]);
    const rep = JSON.parse(r.out);
    expect(rep.problems.map((p: { index: number; code: string }) => `${p.index}:${p.code}`)).toEqual(['2:PAYLOAD_MISMATCH']);
    expect(r.code).toBe(1);
  });

  it('bytes that do not hash to the CID are a problem, never parsed as the chain', async () => {
    const r = await audit(['--json', liarCid.toString()]);
    const rep = JSON.parse(r.out);
    expect(rep.problems).toHaveLength(1);
    expect(rep.problems[0].code).toBe('PAYLOAD_MISMATCH');
    expect(rep.problems[0].message).toContain('do not hash');
    expect(rep.totals.links).toBe(0);
    expect(r.code).toBe(1);
  });

  it('a CID the gateway does not have, or an unreachable gateway, exits 2', async () => {
    const missing = await cidOf(new TextEncoder().encode('{"missing":true}'));
    expect((await audit([missing.toString()])).code).toBe(2);
    const c = captureIo();
    expect(await run(['--workers', '1', '--ipfs-gateway', 'http://127.0.0.1:9', '--retries', '0', '--timeout', '2000', goodCid.toString()], c.io)).toBe(2);
    expect(c.stdout()).toContain('UNAVAILABLE');
  });
});
