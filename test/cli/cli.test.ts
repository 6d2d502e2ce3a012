import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { parsePublicKey } from '../../src/core/index.js';
import { TestAvatar } from '../helpers/avatar.js';
import { exited, runCli, startServe } from '../helpers/cli.js';
import { json, post } from '../helpers/daemon.js';
import { loadNextIdVectors } from '../core/helpers.js';
import { waitFor } from '../archive/helpers.js';

const dirs: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'proofkeep-cli-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/**
 * A POST whose headers the daemon has parsed and routed (it answered `100 Continue`, which Node
 * writes in the same tick it hands the request to fastify) but whose body is held back until
 * `send()`: a request provably in flight, on a condition rather than a sleep.
 */
function heldPost(url: string, body: unknown): { inFlight: Promise<void>; send(): void; response: Promise<{ status: number; body: any }> } {
  const bytes = Buffer.from(JSON.stringify(body));
  const req = request(`${url}/v1/links`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': bytes.length, expect: '100-continue' } });
  const inFlight = new Promise<void>((resolve) => req.once('continue', () => resolve()));
  const response = new Promise<{ status: number; body: any }>((resolve, reject) => {
    req.once('response', (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.once('error', reject);
  });
  req.flushHeaders();
  return { inFlight, send: () => req.end(bytes), response };
}

async function archiveReady(url: string): Promise<void> {
  await waitFor('archive ready', async () => ((await json(`${url}/healthz`)).body.archive?.ready === true));
}

describe('proofkeep serve', () => {
  // Every default component loaded, the way users run `npm start`: the archive (Helia + the
  // arlocal devnet) is on and has finished loading before the signal (its dependencies install
  // signal-exit handlers that once turned SIGTERM into exit 143).
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    it(`on ${sig} with the archive loaded: answers the in-flight request, stops cleanly, exits 0`, async () => {
      const dir = temp();
      const { child, url, logs } = await startServe(['--port', '0', '--host', '127.0.0.1', '--data-dir', dir], { PROOFKEEP_SERVER_WRITE_RATE_LIMIT: '0' });
      try {
        expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect((await json(`${url}/healthz`)).body.hello).toBe('proof service');
        await archiveReady(url);
        const a = new TestAvatar(`cli-inflight-${sig}`);
        const held = heldPost(url, { links: a.chain(100).map((l) => ({ ...l, avatar: a.id })) });
        await held.inFlight;
        child.kill(sig);
        await waitFor('shutting down logged', () => logs().includes('"shutting down"'));
        held.send();
        const res = await held.response;
        expect(res.status).toBe(200);
        expect(res.body.accepted).toBe(100);
        expect(await exited(child)).toBe(0);
        expect(child.signalCode).toBeNull();
        expect(logs()).toContain('"proofkeep stopped"');
      } finally {
        child.kill('SIGKILL');
      }
      // Closed cleanly: the WAL was checkpointed away and every accepted link is in the file.
      const db = new Database(join(dir, 'proofkeep.sqlite'), { readonly: true });
      expect(db.prepare('SELECT count(*) AS n FROM links').get()).toEqual({ n: 100 });
      db.close();
    }, 240_000);
  }

  it('a second signal during shutdown forces exit', async () => {
    const dir = temp();
    const { child, url, logs } = await startServe(['--port', '0', '--host', '127.0.0.1', '--data-dir', dir], { PROOFKEEP_SERVER_WRITE_RATE_LIMIT: '0', PROOFKEEP_SERVER_SHUTDOWN_GRACE_MS: '600000' });
    try {
      await archiveReady(url);
      const a = new TestAvatar('cli-forced');
      // Never sent: the graceful stop would wait for it (up to the ten-minute grace).
      const held = heldPost(url, { links: a.chain(1).map((l) => ({ ...l, avatar: a.id })) });
      held.response.catch(() => undefined);
      await held.inFlight;
      child.kill('SIGTERM');
      await waitFor('shutting down logged', () => logs().includes('"shutting down"'));
      child.kill('SIGTERM');
      expect(await exited(child)).toBe(143);
      expect(logs()).toContain('second signal during shutdown');
      expect(logs()).not.toContain('"proofkeep stopped"');
    } finally {
      child.kill('SIGKILL');
    }
  }, 240_000);

  it('exits 2 naming an unknown config key or bad flag', async () => {
    const dir = temp();
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ server: { colour: 'blue' } }));
    const r = await runCli(['serve', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown key server\.colour/);
    const r2 = await runCli(['serve', '--port', 'x']);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/--port must be a number/);
    const r3 = await runCli(['serve', '--bogus']);
    expect([r3.code, /unknown option --bogus/.test(r3.stderr)]).toEqual([2, true]);
    const r4 = await runCli(['frobnicate']);
    expect([r4.code, /unknown command/.test(r4.stderr)]).toEqual([2, true]);
  });
});

describe('proofkeep keygen and sign', () => {
  it('keygen prints a usable key pair; --out writes it 0600 and never overwrites', async () => {
    const r = await runCli(['keygen']);
    expect(r.code).toBe(0);
    const k = JSON.parse(r.stdout);
    expect(k.secret_key).toMatch(/^[0-9a-f]{64}$/);
    const parsed = parsePublicKey(k.public_key_uncompressed);
    expect(parsed.id).toBe(k.public_key);
    expect(parsed.address).toBe(k.address);
    const dir = temp();
    const file = join(dir, 'avatar.json');
    expect((await runCli(['keygen', '--out', file])).code).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect((await runCli(['keygen', '--out', file])).code).toBe(1);
  });

  it('sign reproduces the published personal_sign vector from a key file', async () => {
    const vectors = loadNextIdVectors();
    const v = vectors.personal_sign_vectors[0];
    const dir = temp();
    const file = join(dir, 'k.json');
    writeFileSync(file, JSON.stringify({ secret_key: v.secret_key_hex }), { mode: 0o600 });
    const b64 = await runCli(['sign', '--key', file], { stdin: `${v.message}\n` });
    expect(b64).toMatchObject({ code: 0, stdout: `${v.signature_base64}\n` });
    const hex = await runCli(['sign', '--key', file, '--hex'], { stdin: v.message });
    expect(hex.stdout.trim()).toBe(v.signature_hex);
    writeFileSync(join(dir, 'bad'), 'xyz');
    expect((await runCli(['sign', '--key', join(dir, 'bad')], { stdin: 'x' })).code).toBe(2);
  });
});
