/**
 * The one interface every platform checker implements, and the two kinds of failure. A
 * permanent failure (the post or account is gone, the author or signature is wrong) makes a
 * binding `invalid`; a transient one (timeout, 5xx, 429, DNS error, reset, our own token
 * rejected) never does — it only delays the next attempt.
 */
import type { AvatarKey, Link, RecoveryBackend } from '../core/index.js';
import type { Evidence, InvalidCode, TransientCode } from './failures.js';
import type { PlatformHttp } from './http.js';

export { CheckCancelled, GuardRefused, INVALID_CODES, PermanentFailure, TRANSIENT_CODES, TransientFailure } from './failures.js';
export type { Evidence, InvalidCode, TransientCode } from './failures.js';

export type CheckResult =
  /** `signature`: the one found in the post and verified (absent for wallets: no post) */
  | { kind: 'valid'; altId?: string; evidence: Evidence | null; signature?: string }
  | { kind: 'invalid'; code: InvalidCode; reason: string; evidence: Evidence | null }
  | { kind: 'transient'; code: TransientCode; reason: string; retryAfterMs?: number };

/** One binding to check. `link` is the stored create link; everything in it is attacker-made. */
export interface CheckTarget {
  avatar: AvatarKey;
  link: Link;
  /** the platform's stable account id learnt by an earlier check ('' or null when unknown) */
  altId: string | null;
  /**
   * `link.signature` is known to verify over the link's payload with this Avatar's key: the
   * link is stored (every path verifies before it appends) or the caller verified it (submit).
   * A post carrying exactly that signature then needs no second recovery.
   */
  verified?: boolean;
}

export interface CheckContext {
  signal: AbortSignal;
  http: PlatformHttp;
  backend: RecoveryBackend;
  /** unix seconds, injectable for tests */
  now(): number;
  /** queue priority of this check's requests (submit-time checks jump the background queue) */
  priority: number;
}

export interface Checker {
  readonly platform: string;
  /** false when the platform is disabled or lacks a required token: bindings stay as they are */
  readonly ready: boolean;
  /** shape checks of identity and proof_location (attacker input); throws PermanentFailure */
  validate(target: CheckTarget): void;
  /** fetch and verify; throws PermanentFailure / TransientFailure; returns the valid result */
  check(target: CheckTarget, ctx: CheckContext): Promise<{ altId?: string; evidence: Evidence | null; signature?: string }>;
}
