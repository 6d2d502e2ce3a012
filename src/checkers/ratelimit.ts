/**
 * The request window of one platform: at most `cap` requests per `intervalMs`, counted the way
 * the platform sees them. A slot is taken when a request is sent and given back `intervalMs`
 * after its response has arrived (not after it was sent), so however the network delays
 * individual requests, request k+cap reaches the platform at least `intervalMs` after request
 * k did (it is sent after k's response, which the platform produced after receiving k). A gate
 * (429 Retry-After) holds every send until it opens. Timers can fire a little early, so each
 * wake-up re-checks against the clock.
 */
export class RequestWindow {
  /** times at which used slots free up; Infinity while a request is in flight */
  private frees: number[] = [];
  private gateUntil = 0;
  private waiters = new Set<() => void>();

  constructor(
    private readonly cap: number,
    private readonly intervalMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Close the gate until now + ms (longer gates win). */
  gate(ms: number): void {
    this.gateUntil = Math.max(this.gateUntil, this.now() + ms);
  }

  gatedFor(): number {
    return Math.max(0, this.gateUntil - this.now());
  }

  get inUse(): number {
    const t = this.now();
    return this.frees.filter((f) => f > t).length;
  }

  /** Wait for a free slot and an open gate; returns the release function. */
  async acquire(signal: AbortSignal): Promise<() => void> {
    for (;;) {
      if (signal.aborted) throw signal.reason;
      const t = this.now();
      this.frees = this.frees.filter((f) => f > t);
      const gateWait = this.gateUntil - t;
      if (gateWait <= 0 && this.frees.length < this.cap) {
        this.frees.push(Infinity);
        let released = false;
        return () => {
          if (released) return;
          released = true;
          // Any in-flight marker will do: markers are interchangeable.
          const i = this.frees.indexOf(Infinity);
          if (i >= 0) this.frees[i] = this.now() + this.intervalMs;
          this.wake();
        };
      }
      const finite = this.frees.filter(Number.isFinite);
      const slotWait = this.frees.length < this.cap ? 0 : finite.length ? Math.min(...finite) - t : Infinity;
      await this.sleep(Math.max(gateWait, slotWait, 1), signal);
    }
  }

  private wake(): void {
    for (const w of this.waiters) w();
  }

  /** Sleep `ms` (Infinity: until a release), cut short by a release or an abort. */
  private sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      if (Number.isFinite(ms)) timer = setTimeout(done, Math.ceil(ms));
      this.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
