import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { parsePublicKey } from '../../src/core/index.js';
import { TestAvatar } from '../helpers/avatar.js';
import { exited, runCli, startServe } from '../helpers/cli.js';
import { json, post } from '../helpers/daemon.js';
import { loadNextIdVectors } from '../core/helpers.js';

const dirs: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'proofkeep-cli-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('proofkeep serve', () => {
  it('prints the ready line, serves, and on SIGTERM finishes in-flight requests and closes the database', async () => {
    const dir = temp();
    const { child, url } = await startServe(['--port', '0', '--host', '127.0.0.1', '--data-dir', dir], { PROOFKEEP_SERVER_WRITE_RATE_LIMIT: '0' });
    try {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await json(`${url}/healthz`)).body.hello).toBe('proof service');
      const a = new TestAvatar('cli-inflight');
      // ~100 pure-JS signature recoveries: long enough to be in flight when the signal lands.
      const links = a.chain(100).map((l) => ({ ...l, avatar: a.id }));
      const pending = post(`${url}/v1/links`, { links });
      await new Promise((r) => setTimeout(r, 50));
      child.kill('SIGTERM');
      const res = await pending;
      expect(res.status).toBe(200);
      expect(res.body.accepted).toBe(100);
      const code = await exited(child);
      expect(code).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
    // Closed cleanly: the WAL was checkpointed away and every accepted link is in the file.
    const db = new Database(join(dir, 'proofkeep.sqlite'), { readonly: true });
    expect(db.prepare('SELECT count(*) AS n FROM links').get()).toEqual({ n: 100 });
    db.close();
  });

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
