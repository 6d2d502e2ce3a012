import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { CarReader } from '@ipld/car';
import { multiaddr } from '@multiformats/multiaddr';
import { CID } from 'multiformats/cid';
import { sha256 } from 'multiformats/hashes/sha2';
import { base32 } from 'multiformats/bases/base32';
import { chainDocumentBytes, type Link } from '../../src/core/index.js';
import { IpfsNode, documentCid } from '../../src/archive/ipfs.js';
import { registerGateway } from '../../src/archive/gateway.js';

const PUB = `0x04${'ab'.repeat(64)}`;
function link(i: number, prev: string | null): Link {
  return {
    prev, action: 'create', platform: 'twitter', identity: `alice${i}`, proof_location: String(1000 + i),
    created_at: 1700000000 + i, uuid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    signature: `sig${i}`, signature_payload: `{"payload":${i}} <&> é`, extra: {},
  };
}
const doc1 = chainDocumentBytes(PUB, [link(0, null)]);
const doc2 = chainDocumentBytes(PUB, [link(0, null), link(1, 'sig0')]);

/** CIDv1 json/sha2-256 computed without multiformats' CID class: an independent check. */
function expectedCid(bytes: Uint8Array): string {
  const digest = createHash('sha256').update(bytes).digest();
  // version 1, codec 0x0200 as varint (0x80 0x04), sha2-256 (0x12) of 32 bytes (0x20)
  return base32.encode(new Uint8Array(Buffer.concat([Buffer.from([0x01, 0x80, 0x04, 0x12, 0x20]), digest])));
}

let dir: string;
let a: IpfsNode;
let app: FastifyInstance;
let base: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pk-ipfs-'));
  a = await IpfsNode.open({ dir: join(dir, 'a'), listen: ['/ip4/127.0.0.1/tcp/0'] });
  app = Fastify();
  registerGateway(app, () => a);
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await app?.close();
  await a?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('embedded IPFS node', () => {
  it('stores the exact document bytes under the protocol: the chain document CID and pins them', async () => {
    const cid = await a.put(doc1);
    expect(cid.toString()).toMatch(/^bagaaiera/);
    expect(cid.toString()).toBe(expectedCid(doc1));
    expect((await documentCid(doc1)).toString()).toBe(expectedCid(doc1));
    expect(await a.isPinned(cid)).toBe(false);
    await a.pin(cid);
    await a.pin(cid); // idempotent
    expect(await a.isPinned(cid)).toBe(true);
    expect(Buffer.from((await a.getLocalBlock(cid))!).equals(Buffer.from(doc1))).toBe(true);
    expect(await a.getJson(cid)).toEqual(JSON.parse(Buffer.from(doc1).toString()));
  });

  it('listens on loopback only', () => {
    const addrs = a.multiaddrs();
    expect(addrs.length).toBeGreaterThan(0);
    for (const m of addrs) expect(m.startsWith('/ip4/127.0.0.1/tcp/')).toBe(true);
  });

  it('serves a pinned block to an independent Helia node over libp2p (TCP + bitswap)', async () => {
    const cid = await a.put(doc2);
    await a.pin(cid);
    const b = await IpfsNode.open({ dir: join(dir, 'b'), listen: ['/ip4/127.0.0.1/tcp/0'] });
    try {
      expect(await b.getLocalBlock(cid)).toBeNull();
      await b.helia.libp2p!.dial(multiaddr(a.multiaddrs()[0]!), { signal: AbortSignal.timeout(10_000) });
      const got = await b.getJson(cid, AbortSignal.timeout(15_000));
      expect(got).toEqual(JSON.parse(Buffer.from(doc2).toString()));
      // the fetched block is the exact bytes (bitswap verifies them against the CID)
      expect(Buffer.from((await b.getLocalBlock(cid))!).equals(Buffer.from(doc2))).toBe(true);
    } finally {
      await b.stop();
    }
  });

  it('keeps pins and blocks across a restart (persistent level stores)', async () => {
    const cid = await a.put(doc1);
    await a.pin(cid);
    const other = mkdtempSync(join(tmpdir(), 'pk-ipfs-re-'));
    try {
      const n1 = await IpfsNode.open({ dir: other, listen: [] });
      const c = await n1.put(doc2);
      await n1.pin(c);
      await n1.stop();
      const n2 = await IpfsNode.open({ dir: other, listen: [] });
      expect(await n2.isPinned(c)).toBe(true);
      expect(Buffer.from((await n2.getLocalBlock(c))!).equals(Buffer.from(doc2))).toBe(true);
      await n2.unpin(c);
      expect(await n2.isPinned(c)).toBe(false);
      await n2.stop();
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

describe('trustless gateway GET /ipfs/:cid', () => {
  it('returns the raw block by Accept header and by ?format=raw', async () => {
    const cid = await a.put(doc1);
    await a.pin(cid);
    for (const [url, headers] of [
      [`${base}/ipfs/${cid}`, { accept: 'application/vnd.ipld.raw' }],
      [`${base}/ipfs/${cid}?format=raw`, {}],
    ] as const) {
      const res = await fetch(url, { headers });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/vnd.ipld.raw');
      const body = new Uint8Array(await res.arrayBuffer());
      expect(Buffer.from(body).equals(Buffer.from(doc1))).toBe(true);
      expect(expectedCid(body)).toBe(cid.toString());
    }
  });

  it('returns a CAR whose root and block verify', async () => {
    const cid = await a.put(doc2);
    await a.pin(cid);
    const res = await fetch(`${base}/ipfs/${cid}?format=car`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/vnd\.ipld\.car/);
    const car = await CarReader.fromBytes(new Uint8Array(await res.arrayBuffer()));
    const roots = await car.getRoots();
    expect(roots.map(String)).toEqual([cid.toString()]);
    const block = await car.get(cid as unknown as Parameters<typeof car.get>[0]);
    expect(Buffer.from(block!.bytes).equals(Buffer.from(doc2))).toBe(true);
    const res2 = await fetch(`${base}/ipfs/${cid}`, { headers: { accept: 'application/vnd.ipld.car' } });
    expect(res2.headers.get('content-type')).toMatch(/^application\/vnd\.ipld\.car/);
  });

  it('answers 400 for garbage, 404 for content it does not pin', async () => {
    expect((await fetch(`${base}/ipfs/not-a-cid`)).status).toBe(400);
    const bad = await fetch(`${base}/ipfs/${'b'.repeat(90)}`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { code: string }).code).toBe('BAD_REQUEST');
    const unknown = await documentCid(new TextEncoder().encode('{"never":"stored"}'));
    const res = await fetch(`${base}/ipfs/${unknown}?format=raw`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: string }).code).toBe('NOT_FOUND');
    const cid = await a.put(doc1);
    expect((await fetch(`${base}/ipfs/${cid}?format=zip`)).status).toBe(400);
    void CID;
  });

  it('answers 406 NOT_ACCEPTABLE (not BAD_REQUEST) for a non-json block asked for without a format', async () => {
    const bytes = new TextEncoder().encode('raw bytes, not a chain document');
    const raw = CID.create(1, 0x55, await sha256.digest(bytes));
    await a.helia.blockstore.put(raw, bytes);
    await a.pin(raw);
    const res = await fetch(`${base}/ipfs/${raw}`);
    expect(res.status).toBe(406);
    expect(await res.json()).toEqual({ code: 'NOT_ACCEPTABLE', message: 'ask for format=raw or format=car' });
    expect((await fetch(`${base}/ipfs/${raw}?format=raw`)).status).toBe(200);
  });
});
