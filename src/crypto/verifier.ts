/**
 * The one verify contract: every path (submit, import, mirror, auditor) verifies through a
 * `BulkVerifier`, inline or pooled. Item, result and the per-link function are core's
 * (`VerifyItem`, `VerifyResult`, `verifyItem`: never throws, a non-ProofError is INTERNAL), so a
 * link gets the same verdict on every thread. Verification only judges a link's own form and
 * signatures; its place in the chain is the judge's (core `judgeLink`).
 */
import { verifyItem, type RecoveryBackend, type VerifyItem, type VerifyResult } from '../core/index.js';

export type { VerifyItem, VerifyResult } from '../core/index.js';

export interface BulkVerifier {
  /** the calling thread's backend (inline re-checks, e.g. submit's fork re-decision) */
  readonly backend: RecoveryBackend;
  /** outcome i belongs to items[i]; rejects only when stopped or aborted, never for a bad link */
  verifyLinks(items: readonly VerifyItem[], signal?: AbortSignal): Promise<VerifyResult[]>;
  /** one link (the pool coalesces concurrent calls off the calling thread); same verdict as verifyLinks */
  verifyOne(item: VerifyItem, signal?: AbortSignal): Promise<VerifyResult>;
  /** for /healthz: backend name, workers, … */
  health?(): Record<string, unknown>;
}

/** Links verified between yields to the event loop on the calling thread. */
export const INLINE_SLICE = 64;

/** Verify on the calling thread, yielding now and then so a big batch does not stall requests. */
export async function verifyInline(backend: RecoveryBackend, items: readonly VerifyItem[], signal?: AbortSignal, alive: () => boolean = () => true): Promise<VerifyResult[]> {
  const out: VerifyResult[] = [];
  for (let i = 0; i < items.length; i += INLINE_SLICE) {
    if (i > 0) await new Promise((r) => setImmediate(r));
    signal?.throwIfAborted();
    if (!alive()) throw new Error('verify pool stopped');
    const end = Math.min(items.length, i + INLINE_SLICE);
    for (let j = i; j < end; j++) out.push(verifyItem(items[j]!, backend));
  }
  return out;
}

/** The contract on the calling thread alone (tests, embedders, `crypto.workers = 1` semantics). */
export function inlineVerifier(backend: RecoveryBackend): BulkVerifier {
  return {
    backend,
    verifyLinks: (items, signal) => verifyInline(backend, items, signal),
    async verifyOne(item, signal) {
      signal?.throwIfAborted();
      return verifyItem(item, backend);
    },
  };
}

/** Items sent to a worker carry the avatar as a string (an AvatarKey's id): cheaper to clone. */
export function toWire(item: VerifyItem): VerifyItem {
  return typeof item.avatar === 'string' ? item : { avatar: item.avatar.id, link: item.link, allowLegacy: item.allowLegacy };
}
