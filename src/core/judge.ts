/**
 * The one judge (SPEC §4): whether an entry may join its chain, decided against a view of that
 * chain in ONE order, with one code. Submit, bulk import, the mirror, the auditor (feeds and
 * whole documents) and the store's in-transaction re-check all call it, so the same input gets
 * the same code everywhere. Pure: the caller supplies the view and the entry's own verdict.
 *
 * The order (first failure wins; cheap checks before the entry's own verification, so a replay
 * or a fork costs no signature recovery, and a forged link that also forks is a FORK everywhere):
 *   1. ancestor   prev names an entry the view knows was rejected (and
 *                 that is not in the chain)                              → BROKEN_ANCESTOR
 *   2. time       created_at beyond now + skew, or older than max age    → BAD_CREATED_AT
 *   3. replay     uuid already used by this chain                        → DUPLICATE_UUID
 *                 (unless the identical entry is already stored and the view accepts replays:
 *                 then steps 3–4 are skipped and the entry's own verdict decides)
 *   4. position   prev null on a non-empty chain, or naming an entry
 *                 that already has a successor                           → FORK
 *                 prev naming nothing of this chain (or non-null first)  → PREV_MISMATCH
 *   5. own        the entry's own verification (form, payload, signatures), computed wherever
 *                 (a worker, the calling thread) and passed in: its code, e.g. SIGNATURE_MISMATCH
 *
 * The shape is entry-agnostic: a proof link and a KV write (SPEC §8, `previous` for `prev`, one
 * chain per Avatar) both reduce to a `ChainEntry` and an own verdict; `judgeLink` is the proof
 * link's instance, a KV judge maps its write the same way.
 */
import type { ErrorCode } from './errors.js';
import { ProofError } from './errors.js';
import type { Link } from './link.js';
import { prevKey } from './signature.js';

/** A rejected entry: the one code and why. Results of verification and judging share it. */
export interface Rejection {
  ok: false;
  code: ErrorCode;
  message: string;
}

/** What the judge needs of any chained entry (attacker-controlled). */
export interface ChainEntry {
  /** the previous entry's stored signature (a link's `prev`, a KV write's `previous`); null first */
  prev: string | null;
  /** '' for legacy links (never checked for reuse) */
  uuid: string;
  /** unix seconds */
  created_at: number;
  signature: string;
}

/** The accepted created_at range. `now` is injected: the judge never reads a clock. */
export interface TimeWindow {
  /** unix seconds */
  now: number;
  /** how far in the future created_at may be */
  skewSeconds: number;
  /** how old created_at may be; 0 = no limit (only fresh submissions set one) */
  maxAgeSeconds: number;
}

/** Default clock skew for paths without a daemon config (the auditor): the daemon's default. */
export const DEFAULT_CREATED_AT_SKEW_SECONDS = 600;

/** An Avatar's chain as the judge sees it. Keys are `prevKey` forms (v and s spellings equal). */
export interface ChainView {
  /** stored signature of the chain's last accepted entry, or null for an empty chain */
  head: string | null;
  /** is this (prevKey form) signature one of the chain's entries? */
  hasSignature(key: string): boolean;
  hasUuid(uuid: string): boolean;
  /** ancestor state: was the entry with this (prevKey form) signature rejected? absent: none known */
  isRejected?(key: string): boolean;
  /** is this very entry (signature and uuid) already stored? absent: replays are DUPLICATE_UUID */
  isStored?(entry: ChainEntry): boolean;
  /** absent: no time check (the store's in-transaction re-check of an already judged entry) */
  window?: TimeWindow;
}

const reject = (code: ErrorCode, message: string): Rejection => ({ ok: false, code, message });

/**
 * Steps 1–4 of the order: the entry's place in its chain. Null when the entry may join (then
 * its own verdict decides). Allocates nothing on success: this runs for every link of every path.
 */
export function judgeChain(view: ChainView, entry: ChainEntry): Rejection | null {
  return judgePlace(view, entry.prev === null ? null : prevKey(entry.prev), view.head === null ? null : prevKey(view.head), entry);
}

/**
 * `judgeChain` for a caller that holds the entry's `prev` and the chain's head in `prevKey` form
 * already (the auditor's ordering thread: its workers computed the keys). The same steps, the
 * same codes: `judgeChain` is this with the keys computed on the spot.
 */
export function judgePlace(view: Omit<ChainView, 'head'>, key: string | null, headKey: string | null, entry: ChainEntry): Rejection | null {
  // A rejected entry may carry the signature of an accepted one (a bad copy of a good link): the
  // accepted one stands, so only a signature that is not in the chain marks an ancestor rejected.
  if (key !== null && view.isRejected?.(key) && !view.hasSignature(key)) return reject('BROKEN_ANCESTOR', 'link hangs off a link that was rejected');
  const w = view.window;
  if (w) {
    if (entry.created_at > w.now + w.skewSeconds) return reject('BAD_CREATED_AT', 'created_at is in the future');
    if (w.maxAgeSeconds > 0 && entry.created_at < w.now - w.maxAgeSeconds) {
      return reject('BAD_CREATED_AT', `created_at is older than ${w.maxAgeSeconds}s; request a new payload`);
    }
  }
  if (entry.uuid !== '' && view.hasUuid(entry.uuid)) {
    if (view.isStored?.(entry)) return null;
    return reject('DUPLICATE_UUID', `uuid ${entry.uuid} was already used by this avatar`);
  }
  if (headKey === null) return key === null ? null : reject('PREV_MISMATCH', 'first link of an avatar must have prev = null');
  if (key === null) return reject('FORK', 'avatar already has a first link (prev = null)');
  if (key === headKey) return null;
  if (view.hasSignature(key)) return reject('FORK', 'prev points at a link that already has a successor');
  return reject('PREV_MISMATCH', "prev does not match the avatar's last link");
}

/** The whole order: the chain steps, then the entry's own verdict (any result type with `ok`). */
export function judge<R extends { ok: true } | Rejection>(view: ChainView, entry: ChainEntry, own: R): R | Rejection {
  return judgeChain(view, entry) ?? own;
}

/** A proof link's verdict: the judge with verifyLink's outcome as the own verdict. */
export function judgeLink<R extends { ok: true; link: Link } | Rejection>(view: ChainView, link: Link, own: R): R | Rejection {
  return judgeChain(view, link) ?? own;
}

/** Steps 3–4 as a throw (DUPLICATE_UUID, FORK or PREV_MISMATCH), for callers without a verdict. */
export function checkAppend(view: ChainView, link: Pick<Link, 'prev' | 'uuid'> & Partial<Pick<Link, 'created_at' | 'signature'>>): void {
  const r = judgeChain(view, { prev: link.prev, uuid: link.uuid, created_at: link.created_at ?? 0, signature: link.signature ?? '' });
  if (r) throw new ProofError(r.code, r.message);
}

/** The time window at `nowMs` (ms, as Date.now() gives). */
export function timeWindow(nowMs: number, skewSeconds: number, maxAgeSeconds = 0): TimeWindow {
  return { now: Math.floor(nowMs / 1000), skewSeconds, maxAgeSeconds };
}
