import { describe, expect, it } from 'vitest';
import { Budgets } from '../../../src/api/limits/budget.js';

function clock(start = 1_000_000) {
  const c = { t: start, now: () => c.t };
  return c;
}

describe('per-client budgets', () => {
  const specs = { recoveries: { perMinute: 600, burst: 200 }, bytes: { perMinute: 60_000, burst: 10_000 } };

  it('admits up to the burst, then refuses with the wait until enough has refilled', () => {
    const c = clock();
    const b = new Budgets(specs, c.now);
    expect(b.charge('a', { recoveries: 150 })).toEqual({ ok: true });
    expect(b.charge('a', { recoveries: 50 })).toEqual({ ok: true });
    // empty: 10 per second refill, one recovery needs 0.1 s → rounded up to 1 s
    expect(b.charge('a', { recoveries: 1 })).toEqual({ ok: false, resource: 'recoveries', retryAfter: 1 });
    expect(b.charge('a', { recoveries: 100 })).toEqual({ ok: false, resource: 'recoveries', retryAfter: 10 });
    c.t += 10_000;
    expect(b.charge('a', { recoveries: 100 })).toEqual({ ok: true });
    expect(b.available('a', 'recoveries')).toBeCloseTo(0, 6);
  });

  it('keeps clients apart', () => {
    const c = clock();
    const b = new Budgets(specs, c.now);
    expect(b.charge('a', { recoveries: 200 }).ok).toBe(true);
    expect(b.charge('a', { recoveries: 1 }).ok).toBe(false);
    expect(b.charge('b', { recoveries: 200 }).ok).toBe(true);
  });

  it('a full bucket may be overdrawn once; the debt is waited off', () => {
    const c = clock();
    const b = new Budgets(specs, c.now);
    expect(b.charge('a', { recoveries: 1000 })).toEqual({ ok: true });
    expect(b.available('a', 'recoveries')).toBe(-800);
    // 800 of debt plus 1 at 10/s
    expect(b.charge('a', { recoveries: 1 })).toEqual({ ok: false, resource: 'recoveries', retryAfter: 81 });
    c.t += 81_000;
    expect(b.charge('a', { recoveries: 1 }).ok).toBe(true);
    // not full again yet: a second big request waits for the whole burst
    expect(b.charge('a', { recoveries: 1000 })).toMatchObject({ ok: false, retryAfter: 20 });
  });

  it('charges all resources or none, and reports the longest wait', () => {
    const c = clock();
    const b = new Budgets(specs, c.now);
    expect(b.charge('a', { bytes: 10_000 }).ok).toBe(true);
    expect(b.charge('a', { recoveries: 10, bytes: 5000 })).toEqual({ ok: false, resource: 'bytes', retryAfter: 5 });
    expect(b.available('a', 'recoveries')).toBe(200);
  });

  it('an unlimited resource (perMinute 0) is never charged', () => {
    const b = new Budgets({ recoveries: { perMinute: 0, burst: 1 }, bytes: specs.bytes }, clock().now);
    for (let i = 0; i < 1000; i++) expect(b.charge('a', { recoveries: 1_000_000 }).ok).toBe(true);
  });

  it('memory is bounded: refilled buckets are forgotten, and the least recently used beyond the cap', () => {
    const c = clock();
    const b = new Budgets(specs, c.now, 100);
    for (let i = 0; i < 500; i++) b.charge(`c${i}`, { recoveries: 1 });
    expect(b.size).toBeLessThanOrEqual(101);
    c.t += 120_000;
    b.charge('late', { recoveries: 1 });
    expect(b.size).toBe(1);
  });
});

describe('checking without charging', () => {
  it('says whether a cost could be paid now and leaves the bucket alone', () => {
    const c = clock();
    const b = new Budgets({ recoveries: { perMinute: 60, burst: 2 }, bytes: { perMinute: 0, burst: 1 } }, c.now);
    expect(b.check('a', { recoveries: 1 })).toEqual({ ok: true });
    expect(b.available('a', 'recoveries')).toBe(2);
    b.charge('a', { recoveries: 2 });
    expect(b.check('a', { recoveries: 1 })).toEqual({ ok: false, resource: 'recoveries', retryAfter: 1 });
  });
});
