/**
 * Per-client budgets of work, refilled over time: each client has one token bucket per resource
 * (signature recoveries, request bytes). A request is charged what it costs before any of that
 * work is done; over budget it is refused with how long to wait. A client whose bucket is full
 * may overdraw it once (a single request bigger than the burst, e.g. a large bulk import, is
 * admitted and then repaid by refill), so no budget setting makes a request impossible, only slow.
 *
 * Memory is bounded: idle buckets are swept, and under a flood of distinct clients the oldest
 * are forgotten (a forgotten client starts full, which only ever favours the honest one).
 */
export type Resource = 'recoveries' | 'bytes';
export type Cost = Partial<Record<Resource, number>>;

export interface BucketSpec {
  /** tokens refilled per minute; 0 = this resource is not limited */
  perMinute: number;
  /** bucket size (most a client can spend at once) */
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** `retryAfter` in whole seconds (≥ 1), for the Retry-After header. */
export type Verdict = { ok: true } | { ok: false; resource: Resource; retryAfter: number };

export class Budgets {
  private readonly clients = new Map<string, Partial<Record<Resource, Bucket>>>();
  private sweepAt = 0;

  constructor(
    private readonly specs: Readonly<Record<Resource, BucketSpec>>,
    private readonly now: () => number = Date.now,
    private readonly maxClients = 100_000,
  ) {}

  /** Whether `client` could pay `cost` now, charging nothing. */
  check(client: string, cost: Cost): Verdict {
    return this.charge(client, cost, true);
  }

  /** Charge `cost` to `client` if every resource allows it (all or nothing). */
  charge(client: string, cost: Cost, dryRun = false): Verdict {
    const now = this.now();
    if (now > this.sweepAt || this.clients.size > this.maxClients) this.sweep(now);
    const entry = this.clients.get(client) ?? {};
    let worst: Verdict = { ok: true };
    const touched: Array<[Resource, Bucket, number]> = [];
    for (const [r, amount] of Object.entries(cost) as Array<[Resource, number]>) {
      const spec = this.specs[r];
      if (!(amount > 0) || spec.perMinute <= 0) continue;
      const b = this.refill(entry[r] ?? { tokens: spec.burst, at: now }, spec, now);
      entry[r] = b;
      // Admit what fits, or anything at all from a full bucket (paid back as debt).
      if (b.tokens >= amount || b.tokens >= spec.burst) {
        touched.push([r, b, amount]);
        continue;
      }
      const need = Math.min(amount, spec.burst) - b.tokens;
      const retryAfter = Math.max(1, Math.ceil((need * 60) / spec.perMinute));
      if (worst.ok || retryAfter > worst.retryAfter) worst = { ok: false, resource: r, retryAfter };
    }
    if (worst.ok && !dryRun) for (const [, b, amount] of touched) b.tokens -= amount;
    // Re-inserted at the end: the map's order is least recently used first (for the sweep).
    this.clients.delete(client);
    this.clients.set(client, entry);
    return worst;
  }

  /** Tokens `client` has now (tests, /healthz). */
  available(client: string, r: Resource): number {
    const spec = this.specs[r];
    const b = this.clients.get(client)?.[r];
    return b ? this.refill({ ...b }, spec, this.now()).tokens : spec.burst;
  }

  get size(): number {
    return this.clients.size;
  }

  private refill(b: Bucket, spec: BucketSpec, now: number): Bucket {
    b.tokens = Math.min(spec.burst, b.tokens + (Math.max(0, now - b.at) * spec.perMinute) / 60_000);
    b.at = now;
    return b;
  }

  private sweep(now: number): void {
    this.sweepAt = now + 60_000;
    // A bucket that has refilled completely is as good as a new one: forget it.
    for (const [k, entry] of this.clients) {
      const full = Object.entries(entry).every(([r, b]) => {
        const spec = this.specs[r as Resource];
        return b.tokens + ((now - b.at) * spec.perMinute) / 60_000 >= spec.burst;
      });
      if (full) this.clients.delete(k);
    }
    while (this.clients.size > this.maxClients) this.clients.delete(this.clients.keys().next().value as string);
  }
}
