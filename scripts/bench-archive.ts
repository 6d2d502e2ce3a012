/**
 * Archive throughput with real parts: N Avatars get one link each in one burst; the worker
 * (embedded Helia + in-process arlocal devnet) archives every version. Prints JSON.
 * Run: node --import tsx scripts/bench-archive.ts [avatars=100] [concurrency=4]
 */
import '../src/polyfills.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createHash } from 'node:crypto';
import { buildSignPayload, bytesToBase64, bytesToHex, parsePublicKey, personalSign, publicKeyOf } from '../src/core/index.js';
import { SCHEMA } from '../src/schema.js';
import { openDatabase, Store } from '../src/store/index.js';
import { ArweaveClient } from '../src/archive/arweave.js';
import { archiveConfig } from '../src/archive/config.js';
import { startDevnet } from '../src/archive/devnet.js';
import { IpfsNode } from '../src/archive/ipfs.js';
import { OutboxStore } from '../src/archive/outbox-store.js';
import { ArchiveWorker } from '../src/archive/worker.js';

const n = Number(process.argv[2] ?? 100);
const concurrency = Number(process.argv[3] ?? 4);
const dir = mkdtempSync(join(tmpdir(), 'pk-bench-archive-'));
try {
  const db = openDatabase({ file: join(dir, 'db.sqlite'), migrations: SCHEMA });
  const store = new Store(db);
  const outbox = new OutboxStore(db, store.read);
  store.onAppend((ev) => outbox.enqueue(ev));
  const ipfs = await IpfsNode.open({ dir: join(dir, 'ipfs'), listen: [] });
  const devnet = await startDevnet({ dir: join(dir, 'arlocal'), persist: false, port: 0, mineIntervalMs: 0 });
  const client = new ArweaveClient({ url: devnet.url, jwk: devnet.jwk, timeoutMs: 30_000 });
  const items = Array.from({ length: n }, (_, i) => {
    const secret = new Uint8Array(createHash('sha256').update(`bench-archive:${i}`).digest());
    const id = `0x${bytesToHex(publicKeyOf(secret, true))}`;
    const uuid = '00000000-0000-4000-8000-' + String(i).padStart(12, '0');
    const payload = buildSignPayload({ action: 'create', created_at: '1700000000', identity: `u${i}`, platform: 'twitter', prev: null, uuid });
    const link = { prev: null, action: 'create' as const, platform: 'twitter', identity: `u${i}`, proof_location: '1', created_at: 1700000000, uuid, signature: bytesToBase64(personalSign(payload, secret)), signature_payload: payload, extra: {} };
    return { avatar: parsePublicKey(id), link };
  });
  await store.appendLinks(items);
  const cfg = archiveConfig({ coalesceMs: 0, pollMs: 10, concurrency, rateLimit: { intervalMs: 1000, perInterval: 100_000 } });
  const worker = new ArchiveWorker(outbox, { ipfs, kubo: null, arweave: client, arweaveOwner: devnet.address }, cfg, pino({ level: 'silent' }));
  const t0 = performance.now();
  worker.start();
  while (outbox.summary().jobs > 0) await new Promise((r) => setTimeout(r, 20));
  const seconds = (performance.now() - t0) / 1000;
  await worker.stop();
  await devnet.stop();
  await ipfs.stop();
  store.close();
  console.log(JSON.stringify({ bench: 'archive', avatars: n, concurrency, seconds: +seconds.toFixed(2), versionsPerSecond: +(n / seconds).toFixed(1), node: process.version }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
