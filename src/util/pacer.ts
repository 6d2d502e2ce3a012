/**
 * Pacing of background work against the API. The archive's and the checkers' work runs on the
 * API's event loop in short steps; before each step the worker asks for a turn, which it gets at
 * once while the loop has room, and otherwise after the loop has been below `maxUtilization` for
 * a window, or after `maxWaitMs` at the latest: while reads keep the loop busy background work
 * slows down to about one step per `maxWaitMs` per lane, so it still progresses, and takes the
 * idle time again as soon as there is some. `busy()` is the same measure for a caller that
 * lowers its own concurrency instead of waiting (the checkers' scheduler).
 *
 * The measure is event-loop utilisation (the share of time the loop was not waiting for I/O),
 * sampled every `windowMs`.
 */
import { performance } from 'node:perf_hooks';
import { sleep as realSleep, type Sleep } from './sleep.js';

export interface PacerOptions {
  /** loop utilisation (0..1) above which background steps wait */
  maxUtilization: number;
  /** sampling window, ms */
  windowMs: number;
  /** the longest a step waits for room; then it runs anyway */
  maxWaitMs: number;
}

type Elu = ReturnType<typeof performance.eventLoopUtilization>;

export interface PacerClock {
  /** utilisation since `since` (performance.eventLoopUtilization's two-argument form) and a new mark */
  elu(since?: Elu): Elu;
  now(): number;
  sleep: Sleep;
}

const REAL: PacerClock = {
  elu: (since) => (since ? performance.eventLoopUtilization(performance.eventLoopUtilization(), since) : performance.eventLoopUtilization()),
  now: () => performance.now(),
  sleep: realSleep,
};

export class LoopPacer {
  private mark: Elu;
  private markAt: number;
  private last = 0;
  private sampled = false;
  /** steps that waited for room, and that ran at maxWaitMs without it (health, tests) */
  waited = 0;
  forced = 0;

  constructor(
    private readonly opts: PacerOptions,
    private readonly clock: PacerClock = REAL,
  ) {
    this.mark = clock.elu();
    this.markAt = clock.now();
  }

  /** The loop's utilisation over the last complete window. */
  utilization(): number {
    const now = this.clock.now();
    // The first call measures from construction even if a whole window has not passed: a pacer
    // made while start-up work held the loop must not report an idle loop for its first window.
    if (now - this.markAt >= this.opts.windowMs || (!this.sampled && now > this.markAt)) {
      this.sampled = true;
      const d = this.clock.elu(this.mark);
      this.last = d.utilization;
      this.mark = this.clock.elu();
      this.markAt = now;
    }
    return this.last;
  }

  /** Whether the loop was above `maxUtilization` over the last complete window. */
  busy(): boolean {
    return this.utilization() > this.opts.maxUtilization;
  }

  /** Resolves when a background step may run (at the latest after maxWaitMs, or on abort). */
  async turn(signal?: AbortSignal): Promise<void> {
    if (this.utilization() <= this.opts.maxUtilization) return;
    this.waited++;
    const until = this.clock.now() + this.opts.maxWaitMs;
    while (this.clock.now() < until) {
      if (!(await this.clock.sleep(this.opts.windowMs, signal))) return;
      if (this.utilization() <= this.opts.maxUtilization) return;
    }
    this.forced++;
  }
}
