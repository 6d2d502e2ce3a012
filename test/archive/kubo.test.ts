import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KuboPinner } from '../../src/archive/kubo.js';
import { documentCid } from '../../src/archive/ipfs.js';

/** A tiny stand-in for Kubo's RPC API (block/put, pin/add, pin/rm), answering like Kubo does. */
const pins = new Set<string>();
const blocks = new Map<string, Buffer>();
const seen: string[] = [];
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const u = new URL(req.url!, 'http://x');
      seen.push(`${req.method} ${u.pathname}?${u.searchParams}`);
      res.setHeader('content-type', 'application/json');
      if (u.pathname === '/api/v0/block/put') {
        const body = Buffer.concat(chunks);
        const boundary = /boundary=(.+)$/.exec(String(req.headers['content-type']))![1]!;
        const start = body.indexOf('\r\n\r\n') + 4;
        const end = body.indexOf(Buffer.from(`\r\n--${boundary}`), start);
        const data = body.subarray(start, end);
        if (u.searchParams.get('cid-codec') !== 'json') { res.statusCode = 500; res.end('{"Message":"wrong codec","Code":0,"Type":"error"}'); return; }
        const cid = (await documentCid(new Uint8Array(data))).toString();
        blocks.set(cid, data);
        res.end(JSON.stringify({ Key: cid, Size: data.length }));
      } else if (u.pathname === '/api/v0/pin/add') {
        const cid = u.searchParams.get('arg')!;
        if (!blocks.has(cid)) { res.statusCode = 500; res.end('{"Message":"block not found","Code":0,"Type":"error"}'); return; }
        pins.add(cid);
        res.end(JSON.stringify({ Pins: [cid] }));
      } else if (u.pathname === '/api/v0/pin/rm') {
        const cid = u.searchParams.get('arg')!;
        if (!pins.delete(cid)) { res.statusCode = 500; res.end('{"Message":"not pinned or pinned indirectly","Code":0,"Type":"error"}'); return; }
        res.end(JSON.stringify({ Pins: [cid] }));
      } else { res.statusCode = 404; res.end('{}'); }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('Kubo pinning', () => {
  it('puts the exact bytes as a json block, pins the same CID, unpins idempotently', async () => {
    const bytes = new TextEncoder().encode('{"version":"1","links":[]}');
    const cid = await documentCid(bytes);
    const kubo = new KuboPinner(url, 5000);
    await kubo.pin(cid, bytes);
    expect(pins.has(cid.toString())).toBe(true);
    expect(blocks.get(cid.toString())!.equals(Buffer.from(bytes))).toBe(true);
    expect(seen.some((s) => s.startsWith('POST /api/v0/block/put') && s.includes('mhtype=sha2-256'))).toBe(true);
    await kubo.unpin(cid);
    expect(pins.has(cid.toString())).toBe(false);
    await kubo.unpin(cid); // already unpinned: fine
  });

  it('reports an unreachable Kubo as UNAVAILABLE', async () => {
    const bytes = new TextEncoder().encode('{}');
    await expect(new KuboPinner('http://127.0.0.1:1', 2000).pin(await documentCid(bytes), bytes)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});
