import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArweaveClient, archiveTags } from '../../src/archive/arweave.js';
import { startDevnet, type Devnet } from '../../src/archive/devnet.js';
import { loadWallet } from '../../src/archive/wallet.js';

let dir: string;
let devnet: Devnet;
let client: ArweaveClient;
const cwdLogsBefore = existsSync(join(process.cwd(), 'logs'));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pk-ar-'));
  devnet = await startDevnet({ dir: join(dir, 'arlocal'), persist: true, port: 0, mineIntervalMs: 0 });
  client = new ArweaveClient({ url: devnet.url, jwk: devnet.jwk, timeoutMs: 10_000 });
});

afterAll(async () => {
  await devnet?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const data = new TextEncoder().encode('{"version":"1","links":[]}');
const tagsFor = (links: number, previousTx: string | null) =>
  archiveTags({ avatar: '0x02' + 'cd'.repeat(32), links, headUuid: `uuid-${links}`, cid: `bagaaiera-test-${links}`, previousTx });

describe('local devnet + Arweave client', () => {
  it('is bound to 127.0.0.1 only and leaves no ./logs in the cwd', async () => {
    expect(devnet.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // Bound to 127.0.0.1 alone, another loopback address is refused (a wildcard bind would accept
    // it): this proves the bind without sending anything off loopback.
    const refused = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.2', port: devnet.port }, () => { s.destroy(); resolve(false); });
      s.on('error', () => resolve(true));
    });
    expect(refused).toBe(true);
    await (await fetch(`${devnet.url}/info`)).arrayBuffer();
    if (!cwdLogsBefore) expect(existsSync(join(process.cwd(), 'logs'))).toBe(false);
  });

  it('signs before posting, posts idempotently, tracks confirmations and finds the tx by tags', async () => {
    const signed = await client.sign(data, tagsFor(1, null));
    expect(signed.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(signed.json.data).toBe('');
    expect(await client.status(signed.id)).toEqual({ state: 'not_found' });
    await client.post(signed, data);
    expect((await client.status(signed.id)).state).toBe('pending');
    await client.post(signed, data); // a re-post after a crash: no error, no second tx
    await devnet.mine();
    const s1 = await client.status(signed.id);
    expect(s1).toMatchObject({ state: 'mined', confirmations: 0 });
    await devnet.mine();
    await devnet.mine();
    expect(await client.status(signed.id)).toMatchObject({ state: 'mined', confirmations: 2 });
    const ids = await client.findByTags([{ name: 'App-Name', value: 'proofkeep' }, { name: 'Links', value: '1' }], devnet.address);
    expect(ids).toEqual([signed.id]);
    const body = await (await fetch(`${devnet.url}/tx/${signed.id}/data`)).text();
    expect(Buffer.from(body, 'base64url').equals(Buffer.from(data))).toBe(true);
  });

  it('links versions through Previous-Tx', async () => {
    const first = await client.sign(data, tagsFor(5, null));
    await client.post(first, data);
    const second = await client.sign(data, tagsFor(6, first.id));
    await client.post(second, data);
    await devnet.mine();
    expect(await client.findByTags([{ name: 'Previous-Tx', value: first.id }], null)).toEqual([second.id]);
  });

  it('keeps its chain and dev wallet across a restart (persistent devnet)', async () => {
    const signed = await client.sign(data, tagsFor(9, null));
    await client.post(signed, data);
    await devnet.mine();
    const { address, port } = devnet;
    await devnet.stop();
    devnet = await startDevnet({ dir: join(dir, 'arlocal'), persist: true, port, mineIntervalMs: 0 });
    expect(devnet.address).toBe(address);
    client = new ArweaveClient({ url: devnet.url, jwk: devnet.jwk, timeoutMs: 10_000 });
    const before = await client.status(signed.id);
    expect(before.state).toBe('mined');
    // the restarted devnet still mines and accepts new transactions (no stale DB handles)
    await devnet.mine();
    expect(await client.status(signed.id)).toMatchObject({ confirmations: (before as { confirmations: number }).confirmations + 1 });
    const after = await client.sign(data, tagsFor(10, null));
    await client.post(after, data);
    await devnet.mine();
    expect((await client.status(after.id)).state).toBe('mined');
    const found9 = await client.findByTags([{ name: 'Links', value: '9' }], null);
    expect(found9, found9.join(' ') + ' vs ' + signed.id).toEqual([signed.id]);
  });

  it('reports an unreachable gateway as UNAVAILABLE', async () => {
    const dead = new ArweaveClient({ url: 'http://127.0.0.1:1', jwk: devnet.jwk, timeoutMs: 2000 });
    await expect(dead.sign(data, tagsFor(1, null))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await expect(dead.status('x'.repeat(43))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});

describe('wallet file', () => {
  it('refuses a world-readable wallet and never echoes its contents', () => {
    const f = join(dir, 'w.json');
    writeFileSync(f, JSON.stringify(devnet.jwk));
    chmodSync(f, 0o644);
    expect(() => loadWallet(f)).toThrow(/all users/);
    // an operator's file problem, not a client's authorization
    expect(() => loadWallet(f)).toThrow(expect.objectContaining({ code: 'BAD_CONFIG' }));
    chmodSync(f, 0o600);
    expect(loadWallet(f).n).toBe(devnet.jwk.n);
    writeFileSync(f, '{"kty":"RSA","d":"SECRETSECRET"', { mode: 0o600 });
    let msg = '';
    try { loadWallet(f); } catch (e) { msg = String((e as Error).message) + String((e as Error).cause ?? ''); }
    expect(msg).toMatch(/not valid JSON/);
    expect(msg).not.toContain('SECRET');
  });
});
