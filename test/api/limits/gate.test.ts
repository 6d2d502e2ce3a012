/** Operator-only bulk import, proxies that cannot be forged past, and byte budgets. */
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { TestAvatar } from '../../helpers/avatar.js';
import { Client } from '../../helpers/clients.js';
import { startDaemon, type TestDaemon } from '../../helpers/daemon.js';

const daemons: TestDaemon[] = [];
const clients: Client[] = [];
async function daemon(overrides: Record<string, unknown>): Promise<TestDaemon> {
  const d = await startDaemon(overrides);
  daemons.push(d);
  return d;
}
function client(d: TestDaemon, from: string): Client {
  const c = new Client(d.url, from, 2);
  clients.push(c);
  return c;
}
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  for (const d of daemons.splice(0)) await d.stop();
});

const batch = (label: string, n = 2) => {
  const a = new TestAvatar(label);
  return { a, body: { links: a.chain(n).map((l) => ({ ...l, avatar: a.id })) } };
};

describe('POST /v1/links is an operator tool', () => {
  it('needs the admin token when bulk import is not open; refused before the body is looked at, nothing stored', async () => {
    const d = await daemon({ 'server.bulkImport': 'admin', 'server.adminToken': 'op-secret' });
    const c = client(d, '127.0.0.2');
    const { a, body } = batch('gate-admin');
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: 'op-secret' }] as Array<Record<string, string>>) {
      const r = await c.post('/v1/links', body, headers);
      expect([r.status, r.body.code]).toEqual([401, 'UNAUTHORIZED']);
    }
    expect(d.daemon.store.avatarRow(a.id)).toBeUndefined();
    // not even a body is read: garbage gets the same answer
    expect((await c.post('/v1/links', '{not json')).status).toBe(401);
    const ok = await c.post('/v1/links', body, { authorization: 'Bearer op-secret' });
    expect([ok.status, ok.body.accepted]).toEqual([200, 2]);
    // single submits stay open to everyone
    const p = await c.post('/v1/proof/payload', { action: 'create', platform: 'twitter', identity: 'gate', public_key: a.id });
    expect(p.status).toBe(200);
  });

  it('without an admin token configured, a gated bulk import is refused with a message saying how to open it', async () => {
    const d = await daemon({ 'server.bulkImport': 'admin' });
    const r = await client(d, '127.0.0.2').post('/v1/links', batch('gate-none').body);
    expect([r.status, r.body.code]).toEqual([401, 'UNAUTHORIZED']);
    expect(r.body.message).toMatch(/server\.adminToken|server\.bulkImport/);
  });

  it('is open on a loopback listener by default (auto), and anywhere when configured open', async () => {
    for (const mode of ['auto', 'open']) {
      const d = await daemon({ 'server.bulkImport': mode });
      const r = await client(d, '127.0.0.2').post('/v1/links', batch(`gate-${mode}`).body);
      expect([mode, r.status, r.body.accepted]).toEqual([mode, 200, 2]);
    }
  });

  it('the operator is not budgeted', async () => {
    const d = await daemon({ 'server.bulkImport': 'admin', 'server.adminToken': 'op-secret', 'server.limits.recoveriesPerMinute': 1, 'server.limits.recoveryBurst': 1 });
    const c = client(d, '127.0.0.2');
    for (let i = 0; i < 3; i++) {
      const r = await c.post('/v1/links', batch(`op-${i}`, 5).body, { authorization: 'Bearer op-secret' });
      expect([r.status, r.body.accepted]).toEqual([200, 5]);
    }
  });
});

describe('limits apply to the real client', () => {
  const tight = { 'server.limits.recoveriesPerMinute': 1, 'server.limits.recoveryBurst': 2 };

  it('a forged X-Forwarded-For from a client that is not a trusted proxy changes nothing', async () => {
    const d = await daemon({ ...tight, 'server.trustProxy': ['127.0.0.1'] });
    const c = client(d, '127.0.0.2');
    expect((await c.post('/v1/links', batch('xff-1').body)).status).toBe(200);
    const r = await c.post('/v1/links', batch('xff-2').body, { 'x-forwarded-for': '198.51.100.1' });
    expect([r.status, r.body.code]).toEqual([429, 'RATE_LIMITED']);
    expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('behind a trusted proxy each forwarded client has its own budget, and prepending entries does not dodge it', async () => {
    const d = await daemon({ ...tight, 'server.trustProxy': ['127.0.0.1'] });
    const proxy = client(d, '127.0.0.1');
    const as = (xff: string, label: string) => proxy.post('/v1/links', batch(label).body, { 'x-forwarded-for': xff });
    expect((await as('198.51.100.7', 'p-1')).status).toBe(200);
    expect((await as('198.51.100.7', 'p-2')).status).toBe(429);
    expect((await as('203.0.113.1, 198.51.100.7', 'p-3')).status).toBe(429);
    expect((await as('198.51.100.8', 'p-4')).status).toBe(200);
  });

  it('X-Real-IP when that is the configured header', async () => {
    const d = await daemon({ ...tight, 'server.trustProxy': ['127.0.0.1'], 'server.proxyHeader': 'x-real-ip' });
    const proxy = client(d, '127.0.0.1');
    expect((await proxy.post('/v1/links', batch('r-1').body, { 'x-real-ip': '198.51.100.7' })).status).toBe(200);
    expect((await proxy.post('/v1/links', batch('r-2').body, { 'x-real-ip': '198.51.100.7' })).status).toBe(429);
    expect((await proxy.post('/v1/links', batch('r-3').body, { 'x-real-ip': '198.51.100.9' })).status).toBe(200);
  });
});

describe('byte budgets', () => {
  it('are charged from Content-Length before the body is read; other clients are unaffected', async () => {
    const d = await daemon({ 'server.limits.bytesPerMinute': 60_000, 'server.limits.byteBurst': 50_000 });
    const c = client(d, '127.0.0.2');
    const { a, body } = batch('bytes', 60);
    const size = Buffer.byteLength(JSON.stringify(body));
    expect(size).toBeGreaterThan(25_000);
    expect(size).toBeLessThan(50_000);
    expect((await c.post('/v1/links', body)).status).toBe(200);
    const r = await c.post('/v1/links', body);
    expect([r.status, r.body.code]).toEqual([429, 'RATE_LIMITED']);
    expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(d.daemon.store.avatarRow(a.id)).toBeDefined();
    expect((await client(d, '127.0.0.3').post('/v1/links', batch('bytes-other', 60).body)).status).toBe(200);
  });

  it('a chunked body (no Content-Length) is counted as it arrives', async () => {
    const d = await daemon({ 'server.limits.bytesPerMinute': 60_000, 'server.limits.byteBurst': 50_000 });
    const c = client(d, '127.0.0.2');
    const text = JSON.stringify(batch('chunked', 60).body);
    const chunked = async () => {
      const { request } = await import('undici');
      // A stream of unknown length: undici sends it chunked, without Content-Length.
      const body = Readable.from([Buffer.from(text.slice(0, 1000)), Buffer.from(text.slice(1000))]);
      const r = await request(`${d.url}/v1/links`, { method: 'POST', dispatcher: c.agent, headers: { 'content-type': 'application/json' }, body });
      return { status: r.statusCode, body: (await r.body.json()) as { code?: string } };
    };
    expect((await chunked()).status).toBe(200);
    const r = await chunked();
    expect([r.status, r.body.code]).toEqual([429, 'RATE_LIMITED']);
  });
});
