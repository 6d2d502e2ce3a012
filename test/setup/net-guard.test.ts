/** The loopback guard itself: refusals fail the caller, send nothing, and are recorded. */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import dns from 'node:dns';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { request as undiciRequest } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript module
import { forwardedCount, isLoopbackHost, takeViolations } from './net-guard.mjs';

const OUTSIDE = '10.255.255.1';
const count = (): number => forwardedCount() as number;
const taken = (): string[] => (takeViolations() as Array<{ what: string }>).map((v) => v.what);

function failure(s: net.Socket): Promise<NodeJS.ErrnoException> {
  return new Promise((resolve, reject) => {
    s.once('error', resolve);
    s.once('connect', () => reject(new Error('connected')));
  });
}

afterEach(() => {
  // Whatever a test here provoked on purpose must not fail it through the setup file's check.
  takeViolations();
});

describe('loopback guard', () => {
  it('knows loopback', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST']) expect([h, isLoopbackHost(h)]).toEqual([h, true]);
    for (const h of [OUTSIDE, '0.0.0.0', '::', '192.168.1.1', '::ffff:10.0.0.1', 'example.com', 'localhost.example.com', '', undefined]) expect([h, isLoopbackHost(h)]).toEqual([h, false]);
  });

  it('refuses a TCP connection to a non-loopback address before opening a socket', async () => {
    const before = count();
    const s = net.connect(80, OUTSIDE);
    const err = await failure(s);
    expect(err.code).toBe('ERR_LOOPBACK_ONLY');
    expect(err.message).toContain(`${OUTSIDE}:80`);
    expect((s as unknown as { _handle: unknown })._handle).toBeNull();
    expect(count()).toBe(before);
    expect(taken()).toEqual([`TCP connection to ${OUTSIDE}:80`]);
  });

  it('refuses a host name without looking it up (net, tls, http, fetch, undici)', async () => {
    const before = count();
    expect((await failure(net.connect({ host: 'example.com', port: 443 }))).code).toBe('ERR_LOOPBACK_ONLY');
    const t = tls.connect({ host: 'example.com', port: 443, servername: 'example.com' });
    expect((await failure(t)).code).toBe('ERR_LOOPBACK_ONLY');
    const httpErr = await new Promise<NodeJS.ErrnoException>((resolve) => http.get('http://example.com/', () => resolve(new Error('answered'))).once('error', resolve));
    expect(httpErr.code).toBe('ERR_LOOPBACK_ONLY');
    const fetchErr = (await fetch(`http://${OUTSIDE}/`).catch((e: unknown) => e)) as Error & { cause?: NodeJS.ErrnoException };
    expect(fetchErr.cause?.code).toBe('ERR_LOOPBACK_ONLY');
    const undiciErr = (await undiciRequest('https://example.com/').catch((e: unknown) => e)) as NodeJS.ErrnoException;
    expect(undiciErr.code).toBe('ERR_LOOPBACK_ONLY');
    expect(count()).toBe(before);
    expect(taken()).toEqual(['TCP connection to example.com:443', 'TCP connection to example.com:443', 'TCP connection to example.com:80', `TCP connection to ${OUTSIDE}:80`, 'TCP connection to example.com:443']);
  });

  it('refuses DNS lookups and queries of anything but localhost', async () => {
    const before = count();
    const cbErr = await new Promise<NodeJS.ErrnoException | null>((resolve) => dns.lookup('example.com', (e) => resolve(e)));
    expect(cbErr?.code).toBe('ERR_LOOPBACK_ONLY');
    await expect(dns.promises.lookup('example.com')).rejects.toMatchObject({ code: 'ERR_LOOPBACK_ONLY' });
    await expect(dns.promises.resolveTxt('example.com')).rejects.toMatchObject({ code: 'ERR_LOOPBACK_ONLY' });
    await expect(new dns.promises.Resolver().resolve4('example.com')).rejects.toMatchObject({ code: 'ERR_LOOPBACK_ONLY' });
    const qErr = await new Promise<NodeJS.ErrnoException | null>((resolve) => new dns.Resolver().resolve6('example.com', (e) => resolve(e)));
    expect(qErr?.code).toBe('ERR_LOOPBACK_ONLY');
    expect(count()).toBe(before);
    expect(taken()).toHaveLength(5);
    // localhost is answered from the hosts file, no name server involved.
    expect((await dns.promises.lookup('localhost')).address).toMatch(/^(127\.|::1$)/);
    expect(count()).toBe(before + 1);
  });

  it('refuses UDP to a non-loopback address', async () => {
    const sock = dgram.createSocket('udp4');
    try {
      const before = count();
      const err = await new Promise<Error | null>((resolve) => sock.send(Buffer.from('x'), 53, OUTSIDE, (e) => resolve(e)));
      expect((err as NodeJS.ErrnoException).code).toBe('ERR_LOOPBACK_ONLY');
      expect(count()).toBe(before);
      expect(taken()).toEqual([`UDP datagram to ${OUTSIDE}:53`]);
    } finally {
      sock.close();
    }
  });

  it('lets loopback through', async () => {
    const server = net.createServer((c) => c.end('hi'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const before = count();
      const { port } = server.address() as net.AddressInfo;
      const data = await new Promise<string>((resolve, reject) => {
        const c = net.connect(port, '127.0.0.1');
        let got = '';
        c.on('data', (d) => (got += d)).on('end', () => resolve(got)).on('error', reject);
      });
      expect(data).toBe('hi');
      expect(count()).toBe(before + 1);
      expect(taken()).toEqual([]);
    } finally {
      server.close();
    }
  });

  it('is in every Node child a test starts (NODE_OPTIONS) and reports refusals to the parent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'proofkeep-guard-'));
    try {
      const file = join(dir, 'log');
      const script = `require('node:net').connect(80, '${OUTSIDE}').on('error', (e) => { console.log(e.code); });`;
      const out = await new Promise<string>((resolve) => {
        const child = spawn(process.execPath, ['-e', script], { env: { ...process.env, LOOPBACK_GUARD_LOG: file } });
        let s = '';
        child.stdout.on('data', (d) => (s += d));
        child.on('close', () => resolve(s));
      });
      expect(out.trim()).toBe('ERR_LOOPBACK_ONLY');
      expect(readFileSync(file, 'utf8')).toMatch(new RegExp(`^\\d+\\tTCP connection to ${OUTSIDE.replace(/\./g, '\\.')}:80\\n$`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
