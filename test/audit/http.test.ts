import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchBytes, type FetchPolicy } from '../../src/audit/http.js';
import type { Sleep } from '../../src/util/sleep.js';

// A remote on loopback that answers from a script: each request takes the next reply.
let server: Server;
let base = '';
let script: Array<{ status: number; headers?: Record<string, string>; body?: string }> = [];
let hits = 0;

beforeAll(async () => {
  server = createServer((_req, res) => {
    const r = script[Math.min(hits++, script.length - 1)]!;
    res.writeHead(r.status, r.headers ?? {}).end(r.body ?? '');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const policy: FetchPolicy = { timeoutMs: 5000, retries: 3, retryBaseMs: 100, maxBodyBytes: 1024 };
function fakeSleep(): { sleep: Sleep; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms) => (waits.push(ms), true) };
}
function play(...replies: typeof script): void {
  script = replies;
  hits = 0;
}

describe('auditor fetch: the one retry policy', () => {
  it('retries 5xx and 429 with doubling delays, honouring Retry-After', async () => {
    play({ status: 503 }, { status: 429, headers: { 'retry-after': '7' } }, { status: 200, body: 'ok' });
    const { sleep, waits } = fakeSleep();
    const r = await fetchBytes(`${base}/x`, policy, { sleep });
    expect([r.status, Buffer.from(r.body).toString(), hits]).toEqual([200, 'ok', 3]);
    expect(waits).toEqual([100, 7000]);
  });

  it('gives up after the retries with UNAVAILABLE naming the attempts', async () => {
    play({ status: 500 });
    const { sleep, waits } = fakeSleep();
    await expect(fetchBytes(`${base}/x`, policy, { sleep })).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/failed after 4 attempt\(s\): HTTP 500/) });
    expect(waits).toEqual([100, 200, 400]);
  });

  it('does not retry a 4xx or an oversized body', async () => {
    play({ status: 403 });
    const { sleep, waits } = fakeSleep();
    await expect(fetchBytes(`${base}/x`, policy, { sleep })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    play({ status: 200, body: 'x'.repeat(2000) });
    await expect(fetchBytes(`${base}/x`, policy, { sleep })).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect([waits, hits]).toEqual([[], 1]);
  });

  it('clamps a hostile Retry-After', async () => {
    play({ status: 429, headers: { 'retry-after': '999999' } }, { status: 200 });
    const { sleep, waits } = fakeSleep();
    await fetchBytes(`${base}/x`, policy, { sleep });
    expect(waits).toEqual([60_000]);
  });
});
