import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { chainDocumentBytes, parsePublicKey } from '../../src/core/index.js';
import { openAll } from '../helpers/db.js';
import { KuboPinner } from '../../src/archive/kubo.js';
import { documentCid } from '../../src/archive/ipfs.js';
import { archiveConfig } from '../../src/archive/config.js';
import { OutboxStore } from '../../src/archive/outbox-store.js';
import { ArchiveWorker } from '../../src/archive/worker.js';
import { Signer, waitFor } from './helpers.js';

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

describe('archive worker with Kubo only (embedded IPFS and Arweave off)', () => {
  it('pins each version on Kubo and unpins the superseded one after the new one is pinned', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pk-kubo-'));
    const { db, store } = openAll(join(dir, 'db.sqlite'), { groupCommitMs: 1 });
    const outbox = new OutboxStore(db, store.read);
    store.onAppend((ev) => outbox.enqueue(ev));
    const cfg = archiveConfig({ coalesceMs: 0, pollMs: 20, ipfs: { enabled: false, keepHistory: false } });
    const worker = new ArchiveWorker(outbox, { ipfs: null, kubo: new KuboPinner(url, 5000), arweave: null, arweaveOwner: null }, cfg, pino({ level: 'silent' }));
    worker.start();
    try {
      const s = new Signer('kubo-worker');
      const id = () => store.avatarRow(s.id)!.id;
      const pending = () => outbox.pendingOf(id()).jobs === 0;
      await store.appendLinks([{ avatar: parsePublicKey(s.id), link: s.next() }]);
      await waitFor('v1', pending);
      await store.appendLinks([{ avatar: parsePublicKey(s.id), link: s.next() }]);
      await waitFor('v2', pending);
      const [v1, v2] = outbox.versionsOf(id());
      expect([v1!.kubo_status, v2!.kubo_status]).toEqual(['unpinned', 'pinned']);
      expect([v2!.ipfs_status, v2!.arweave_status]).toEqual(['disabled', 'disabled']);
      expect(pins.has(v2!.cid)).toBe(true);
      expect(pins.has(v1!.cid)).toBe(false);
      expect(blocks.get(v2!.cid)!.equals(Buffer.from(chainDocumentBytes(s.uncompressed, s.chain())))).toBe(true);
      // the pin of v2 came before the unpin of v1
      const at = (op: string, cid: string) => seen.findIndex((x) => x.startsWith(`POST /api/v0/pin/${op}?`) && x.includes(cid));
      expect(at('add', v2!.cid)).toBeGreaterThanOrEqual(0);
      expect(at('rm', v1!.cid)).toBeGreaterThan(at('add', v2!.cid));
    } finally {
      await worker.stop();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
