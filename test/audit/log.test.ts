/**
 * `proofkeep audit --log`: the checkpoint is verified with the key the auditor brings, every
 * link of the audited chains must be included, a state file proves growth between runs, and a
 * service that drops a link from its log (a proxy answering 404 for its receipt) is caught.
 * Offline: a tlog-proof file with its chain document.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { run } from '../../src/cli/audit.js';
import { json, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { health, populate, until } from '../mirror/helpers.js';

let origin: TestDaemon;
let proxy: Server;
let proxyUrl = '';
let dropUuid = '';
const dir = mkdtempSync(join(tmpdir(), 'proofkeep-auditlog-'));

beforeAll(async () => {
  origin = await startDaemon({ 'crypto.workers': 1, 'tlog.checkpointIntervalMs': 50 });
  // A service that omits one link from its log: its receipt is "not found".
  proxy = createServer((req, res) => {
    if (dropUuid && req.url?.startsWith('/v1/log/receipt') && req.url.includes(dropUuid)) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"no","code":"NOT_FOUND"}');
      return;
    }
    void fetch(`${origin.url}${req.url}`).then(async (r) => {
      res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/octet-stream' });
      res.end(Buffer.from(await r.arrayBuffer()));
    }).catch(() => res.writeHead(502).end());
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
}, 120_000);
afterAll(async () => {
  await origin?.stop();
  await new Promise((r) => proxy?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

async function audit(args: string[]): Promise<{ code: number; out: any; err: string }> {
  let out = '';
  let err = '';
  const sink = (f: (s: string) => void) => new Writable({ write: (c, _e, cb) => (f(String(c)), cb()) });
  const code = await run([...args, '--json'], { stdout: sink((s) => (out += s)), stderr: sink((s) => (err += s)), isTTY: false, env: {} } as never);
  let parsed: unknown = out;
  try {
    parsed = JSON.parse(out);
  } catch {
    /* text */
  }
  return { code, out: parsed, err };
}

it('verifies the checkpoint and the inclusion of every link, and that the log grew between runs', async () => {
  const pop = await populate(origin.url, 'al', 2, 3);
  const vkey = (await health(origin.url)).tlog.verifier_key as string;
  const size = (await health(origin.url)).tlog.size as number;
  await until('checkpointed', () => health(origin.url), (h) => h.tlog.checkpoint?.size === size);
  const state = join(dir, 'state');
  const avatars = pop.avatars.flatMap((a) => ['--avatar', a]);
  const first = await audit(['--log', origin.url, '--log-key', vkey, '--state', state, ...avatars]);
  expect(first.err).toBe('');
  expect(first.code).toBe(0);
  expect(first.out).toMatchObject({ ok: true, size, links: 6, grewFrom: null, problems: [] });
  expect(readFileSync(state, 'utf8')).toBe(first.out.checkpoint);

  await populate(origin.url, 'al2', 1, 2);
  const grown = (await health(origin.url)).tlog.size as number;
  await until('checkpointed', () => health(origin.url), (h) => h.tlog.checkpoint?.size === grown);
  const second = await audit(['--log', origin.url, '--log-key', vkey, '--state', state, ...avatars]);
  expect(second.code).toBe(0);
  expect(second.out).toMatchObject({ ok: true, size: grown, grewFrom: size });

  // Another log's key: the checkpoint does not verify.
  const other = await startDaemon({ 'crypto.workers': 1, 'tlog.origin': 'other.test/log' });
  try {
    const wrong = await audit(['--log', origin.url, '--log-key', (await health(other.url)).tlog.verifier_key, ...avatars]);
    expect(wrong.code).toBe(2);
    // A checkpoint from another history under --since: not a prefix of this log.
    writeFileSync(join(dir, 'other'), await fetch(`${other.url}/checkpoint`).then((r) => r.text()));
    expect((await audit(['--log', origin.url, '--log-key', vkey, '--since', join(dir, 'other'), ...avatars])).code).toBe(2);
  } finally {
    await other.stop();
  }
});

it('catches a link the service serves in its chain but dropped from its log', async () => {
  const pop = await populate(origin.url, 'ad', 1, 3);
  const vkey = (await health(origin.url)).tlog.verifier_key as string;
  const chain = await json(`${origin.url}/v1/proofchain?avatar=${pop.avatars[0]}`);
  dropUuid = chain.body.proof_chain[1].uuid;
  const size = (await health(origin.url)).tlog.size as number;
  await until('checkpointed', () => health(origin.url), (h) => h.tlog.checkpoint?.size === size);
  const r = await audit(['--log', proxyUrl, '--log-key', vkey, '--avatar', pop.avatars[0]!]);
  expect(r.code).toBe(1);
  expect(r.out.problems).toEqual([expect.objectContaining({ code: 'NOT_IN_LOG', uuid: dropUuid })]);
});

it('checks a tlog-proof file against a chain document offline', async () => {
  const pop = await populate(origin.url, 'ao', 1, 2);
  const vkey = (await health(origin.url)).tlog.verifier_key as string;
  const size = (await health(origin.url)).tlog.size as number;
  await until('checkpointed', () => health(origin.url), (h) => h.tlog.checkpoint?.size === size);
  const uuid = (await json(`${origin.url}/v1/proofchain?avatar=${pop.avatars[0]}`)).body.proof_chain[0].uuid;
  const receipt = await json(`${origin.url}/v1/log/receipt?avatar=${pop.avatars[0]}&uuid=${uuid}`);
  writeFileSync(join(dir, 'proof'), receipt.body.tlog_proof);
  writeFileSync(join(dir, 'doc.json'), await fetch(`${origin.url}/v1/chain/${pop.avatars[0]}`).then((r) => r.text()));
  const ok = await audit(['--tlog-proof', join(dir, 'proof'), '--document', join(dir, 'doc.json'), '--log-key', vkey]);
  expect(ok.code).toBe(0);
  expect(ok.out).toMatchObject({ ok: true, uuid, index: receipt.body.index });
  // Another Avatar's document: the proof proves none of its links.
  const other = await populate(origin.url, 'ao2', 1, 1);
  writeFileSync(join(dir, 'doc2.json'), await fetch(`${origin.url}/v1/chain/${other.avatars[0]}`).then((r) => r.text()));
  expect((await audit(['--tlog-proof', join(dir, 'proof'), '--document', join(dir, 'doc2.json'), '--log-key', vkey])).code).toBe(2);
});
