import type { RetryPolicy } from './config.js';

/**
 * Delay before retry number `attempts + 1`: exponential, capped, with multiplicative jitter so
 * that many Avatars failing together (a gateway outage) do not retry in lockstep.
 */
export function backoffMs(policy: RetryPolicy, attempts: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxMs, policy.initialMs * Math.pow(policy.multiplier, Math.max(0, attempts)));
  const spread = 1 + policy.jitter * (2 * random() - 1);
  return Math.max(1, Math.round(Math.min(policy.maxMs, base * spread)));
}
