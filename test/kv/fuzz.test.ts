/**
 * No input to the KV routes may produce a 5xx or change state when refused: seeded random
 * bodies and queries. Every answer is a 2xx, or a 4xx whose body carries a known code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/core/index.js';
import { TestAvatar } from '../helpers/avatar.js';
import { json, post, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { kvWrite } from '../helpers/kv.js';
import { prng } from '../helpers/prng.js';

let d: TestDaemon;
beforeAll(async () => {
  d = await startDaemon();
});
afterAll(async () => d?.stop());


describe('fuzzed KV requests', () => {
  it('never answer 5xx, every error names a known code, and refused writes store nothing', async () => {
    const rnd = prng(20261201);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const a = new TestAvatar('kv-fuzz');
    expect((await kvWrite(d.url, a, 'nextid', a.id, { seed: 1 })).status).toBe(201);
    const writesBefore = (await json(`${d.url}/healthz`)).body.kv.writes;
    const strings = ['', 'x', 'nextid', 'twitter', a.id, a.uncompressed, a.uncompressed.slice(2), '0x', '\u0000', '\ud800', '<>&', '\u2028', 'é'.repeat(300),
      'a'.repeat(5000), '__proto__', 'constructor', '7f3a2b1c-0000-4000-8000-000000000001', 'AAAA', 'A'.repeat(88)];
    const values = (depth = 0): unknown => {
      const r = rnd();
      if (r < 0.4) return pick(strings);
      if (r < 0.55) return pick([0, -1, 1.5, 2 ** 53, -(2 ** 60), Number.MAX_SAFE_INTEGER, 1_700_000_000, 1e300]);
      if (r < 0.65) return pick([null, true, false]);
      if (depth > 3) return 'leaf';
      if (r < 0.8) return [values(depth + 1), values(depth + 1)];
      return { [pick(strings)]: values(depth + 1), k: values(depth + 1) };
    };
    const fields = ['avatar', 'persona', 'platform', 'identity', 'uuid', 'created_at', 'signature', 'patch'];
    const body = (): unknown => {
      if (rnd() < 0.1) return values();
      const o: Record<string, unknown> = {};
      for (const f of fields) if (rnd() < 0.75) o[f] = values();
      return o;
    };
    let n = 0;
    for (let i = 0; i < 300; i++) {
      const r = rnd();
      let res;
      if (r < 0.7) {
        res = await post(`${d.url}${pick(['/v1/kv', '/v1/kv/payload'])}`, JSON.stringify(body()));
      } else {
        const q = new URLSearchParams();
        for (const k of ['avatar', 'persona', 'platform', 'identity', 'last_id', 'count']) if (rnd() < 0.5) q.set(k, String(values()));
        res = await json(`${d.url}${pick(['/v1/kv', '/v1/kv/by_identity', '/v1/kv/changes', `/v1/kv/chain/${encodeURIComponent(String(pick(strings)).replace(/[\ud800-\udfff]/g, '') || 'x')}`])}?${q}`);
      }
      n++;
      expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBeLessThan(500);
      if (res.status >= 400) expect(ERROR_CODES).toContain(res.body.code);
    }
    expect(n).toBe(300);
    // random bodies cannot carry a valid signature: nothing was written
    expect((await json(`${d.url}/healthz`)).body.kv.writes).toBe(writesBefore);
  });
});
