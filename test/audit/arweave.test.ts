/**
 * Arweave histories on a real arlocal: versions of one Avatar's chain document linked by
 * `Previous-Tx` tags (protocol: the chain document). A history where every version extends the previous one is OK;
 * one where a later version drops or replaces an archived link is HISTORY_REWRITTEN, even
 * though the newest version is on its own a valid chain.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Arweave from 'arweave';
import type { JWKInterface } from 'arweave/node/lib/wallet.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/audit.js';
import { chainDocumentBytes, type Link } from '../../src/core/index.js';
import { avatarOf, captureIo, makeChain, secretKey, signLink, uuidFor } from './helpers.js';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const sk = secretKey('arweave');
const avatar = avatarOf(sk);
const chain = makeChain(sk, 5, 'ar');
// Same key, another chain from link 1 on: a valid chain that rewrites archived history.
const rewritten: Link[] = [chain[0]!];
for (let i = 1; i < 5; i++) {
  rewritten.push(signLink(sk, rewritten[i - 1]!.signature, { identity: `rw_${i}`, uuid: uuidFor(`rw:${i}`), created_at: 1_700_001_000 + i }));
}

let arlocal: { start(): Promise<void>; stop(): Promise<void> };
let arweave: Arweave;
let wallet: JWKInterface;
let gateway: string;
let workDir: string;
let oldCwd: string;
const tx: Record<string, string> = {};

async function post(links: readonly Link[], previous?: string): Promise<string> {
  const t = await arweave.createTransaction({ data: chainDocumentBytes(avatar.uncompressedHex, links) }, wallet);
  t.addTag('Content-Type', 'application/json');
  t.addTag('App-Name', 'proofkeep');
  t.addTag('Chain-Version', '1');
  t.addTag('Avatar', avatar.id);
  t.addTag('Links', String(links.length));
  t.addTag('Head-UUID', links[links.length - 1]!.uuid);
  if (previous) t.addTag('Previous-Tx', previous);
  await arweave.transactions.sign(t, wallet);
  const res = await arweave.transactions.post(t);
  if (res.status !== 200) throw new Error(`post: ${res.status}`);
  return t.id;
}

beforeAll(async () => {
  oldCwd = process.cwd();
  workDir = mkdtempSync(join(tmpdir(), 'pk-arlocal-'));
  process.chdir(workDir); // arlocal writes ./logs on every request
  const port = await freePort();
  const mod = (await import('arlocal')) as unknown as { default: { default?: unknown } };
  const ArLocal = ((mod.default as { default?: unknown }).default ?? mod.default) as new (port: number, showLogs: boolean, dbPath: string) => typeof arlocal;
  arlocal = new ArLocal(port, false, join(workDir, 'db'));
  await arlocal.start();
  gateway = `http://127.0.0.1:${port}`;
  arweave = Arweave.init({ host: '127.0.0.1', port, protocol: 'http', logging: false });
  wallet = await arweave.wallets.generate();
  await fetch(`${gateway}/mint/${await arweave.wallets.jwkToAddress(wallet)}/1000000000000000`);
  // honest history: 2 → 3 → 5 links
  tx['v1'] = await post(chain.slice(0, 2));
  tx['v2'] = await post(chain.slice(0, 3), tx['v1']);
  tx['v3'] = await post(chain, tx['v2']);
  // rewritten: after v2 (3 links), a version that replaces link 1 and 2
  tx['r3'] = await post(rewritten, tx['v2']);
  // truncated: a later version with fewer links than the one before it
  tx['t3'] = await post(chain.slice(0, 2), tx['v2']);
  await fetch(`${gateway}/mine`);
}, 120_000);

afterAll(async () => {
  await arlocal?.stop().catch(() => undefined);
  process.chdir(oldCwd);
  rmSync(workDir, { recursive: true, force: true });
});

async function audit(...args: string[]) {
  const c = captureIo();
  const code = await run(['--workers', '1', '--json', '--arweave-gateway', gateway, '--retries', '0', ...args], c.io);
  return { code, rep: JSON.parse(c.stdout()) };
}

describe('audit: Arweave histories (arlocal)', () => {
  it('an honest history verifies and walks every version back to the first', async () => {
    const r = await audit(tx['v3']!);
    expect(r.rep.problems).toEqual([]);
    expect(r.rep.errors).toEqual([]);
    expect(r.rep.sources[0].notes.versions).toBe(3);
    expect(r.rep.totals.verified).toBe(5);
    expect(r.code).toBe(0);
  });

  it('a rewritten history is HISTORY_REWRITTEN at the first changed link, though the newest chain is valid', async () => {
    const r = await audit(`ar://${tx['r3']!}`);
    expect(r.rep.totals.verified).toBe(5); // the newest version on its own is fine
    expect(r.rep.problems).toHaveLength(1);
    const p = r.rep.problems[0];
    expect(p.code).toBe('HISTORY_REWRITTEN');
    expect(p.avatar).toBe(avatar.id);
    expect(p.index).toBe(1);
    expect(p.uuid).toBe(chain[1]!.uuid);
    expect(p.message).toContain(tx['v2']);
    expect(r.code).toBe(1);
  });

  it('a later version that drops links is HISTORY_REWRITTEN', async () => {
    const r = await audit(tx['t3']!);
    expect(r.rep.problems.map((p: { code: string; index: number }) => `${p.index}:${p.code}`)).toEqual(['2:HISTORY_REWRITTEN']);
    expect(r.code).toBe(1);
  });

  it('a bare id that begins with "-" is read as a SOURCE, not an option (one id in 64 does)', async () => {
    const r = await audit(`-${'A'.repeat(42)}`);
    expect(r.rep.errors[0].code).toBe('NOT_FOUND');
    expect(r.code).toBe(2);
  });

  it('an unknown transaction exits 2', async () => {
    const r = await audit('A'.repeat(43));
    expect(r.rep.errors[0].code).toBe('NOT_FOUND');
    expect(r.code).toBe(2);
  });
});
