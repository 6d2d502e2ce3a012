/** Per-client token bucket for write routes. Memory is bounded: idle buckets are swept. */
import { ProofError } from '../core/index.js';

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly perMs: number;
  private sweepAt = 0;

  constructor(private readonly perMinute: number, private readonly maxClients = 100_000) {
    this.perMs = perMinute / 60_000;
  }

  /** Throws RATE_LIMITED when `client` has no token left. */
  take(client: string, now = Date.now()): void {
    if (this.perMinute <= 0) return;
    if (now > this.sweepAt || this.buckets.size > this.maxClients) this.sweep(now);
    const b = this.buckets.get(client) ?? { tokens: this.perMinute, at: now };
    b.tokens = Math.min(this.perMinute, b.tokens + (now - b.at) * this.perMs);
    b.at = now;
    if (b.tokens < 1) {
      this.buckets.set(client, b);
      const retryAfter = Math.ceil((1 - b.tokens) / this.perMs / 1000);
      throw new ProofError('RATE_LIMITED', `too many write requests; retry in ${retryAfter}s`, { details: { retryAfter } });
    }
    b.tokens -= 1;
    this.buckets.set(client, b);
  }

  private sweep(now: number): void {
    this.sweepAt = now + 60_000;
    for (const [k, b] of this.buckets) if (now - b.at > 60_000) this.buckets.delete(k);
    // Under a flood of distinct addresses, forget the oldest rather than grow without bound.
    while (this.buckets.size > this.maxClients) this.buckets.delete(this.buckets.keys().next().value as string);
  }
}
