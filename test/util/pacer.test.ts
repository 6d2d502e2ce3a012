import { describe, expect, it } from 'vitest';
import { LoopPacer, type PacerClock } from '../../src/util/pacer.js';

/** A clock whose loop utilisation the test sets; sleep advances it. */
function fakeClock(): PacerClock & { t: number; busy: number; slept: number[] } {
  const c = {
    t: 0,
    busy: 0,
    slept: [] as number[],
    elu: (since?: { utilization: number }) => ({ idle: 0, active: 0, utilization: since ? c.busy : 0 }),
    now: () => c.t,
    sleep: async (ms: number, signal?: AbortSignal) => {
      c.slept.push(ms);
      c.t += ms;
      return !signal?.aborted;
    },
  };
  return c;
}

describe('LoopPacer', () => {
  const opts = { maxUtilization: 0.5, windowMs: 50, maxWaitMs: 1000 };

  it('lets a step run at once while the loop has room', async () => {
    const c = fakeClock();
    const p = new LoopPacer(opts, c);
    c.t = 60;
    c.busy = 0.2;
    await p.turn();
    expect(c.slept).toEqual([]);
    expect([p.waited, p.forced]).toEqual([0, 0]);
  });

  it('waits while the loop is busy and goes as soon as it has room', async () => {
    const c = fakeClock();
    const p = new LoopPacer(opts, c);
    c.t = 60;
    c.busy = 0.9;
    const turn = p.turn();
    // the wait re-measures every window; room appears after three windows
    const origSleep = c.sleep;
    let n = 0;
    c.sleep = async (ms, s) => {
      if (++n === 3) c.busy = 0.1;
      return origSleep(ms, s);
    };
    await turn;
    expect(c.slept.length).toBeGreaterThanOrEqual(3);
    expect(c.slept.length).toBeLessThanOrEqual(4);
    expect([p.waited, p.forced]).toEqual([1, 0]);
  });

  it('runs the step anyway after maxWaitMs, so the archive always drains', async () => {
    const c = fakeClock();
    const p = new LoopPacer(opts, c);
    c.t = 60;
    c.busy = 1;
    await p.turn();
    expect(c.slept.reduce((a, b) => a + b, 0)).toBe(1000);
    expect([p.waited, p.forced]).toEqual([1, 1]);
  });

  it('stops waiting when the signal aborts', async () => {
    const c = fakeClock();
    const p = new LoopPacer(opts, c);
    c.t = 60;
    c.busy = 1;
    const ac = new AbortController();
    ac.abort();
    await p.turn(ac.signal);
    expect(c.slept).toEqual([50]);
  });

  it('measures the real loop: a window spent spinning counts as busy, one spent waiting as less busy', async () => {
    const p = new LoopPacer({ maxUtilization: 0.5, windowMs: 20, maxWaitMs: 0 });
    const spin = Date.now() + 60;
    while (Date.now() < spin) {
      /* keep the loop busy */
    }
    const busy = p.utilization();
    expect(busy).toBeGreaterThan(0.8);
    // (not "idle": the test runner's own work shares this loop on a loaded machine)
    await new Promise((r) => setTimeout(r, 200));
    expect(p.utilization()).toBeLessThan(busy);
  });
});
