/**
 * The bulk verification interface the API, the mirror and the auditor call. `inlineVerifier`
 * runs on the calling thread; the worker pool (src/crypto/pool.ts) implements the same shape.
 */
import { parsePublicKey, ProofError, verifyLink, type ErrorCode, type Link, type RecoveryBackend } from '../core/index.js';

export interface VerifyItem {
  /** any key spelling */
  avatar: string;
  link: Link;
  allowLegacy: boolean;
}

export type VerifyResult = { ok: true; link: Link } | { ok: false; code: ErrorCode; message: string };

export interface BulkVerifier {
  readonly backend: RecoveryBackend;
  verifyLinks(items: VerifyItem[], signal?: AbortSignal): Promise<VerifyResult[]>;
  /** one link off the calling thread (the pool coalesces concurrent calls); same verdict as verifyLinks */
  verifyOne?(item: VerifyItem, signal?: AbortSignal): Promise<VerifyResult>;
  /** for /healthz: backend name, workers, … */
  health?(): Record<string, unknown>;
}

export function verifyOne(backend: RecoveryBackend, item: VerifyItem): VerifyResult {
  try {
    const key = parsePublicKey(item.avatar);
    return { ok: true, link: verifyLink(key, item.link, { backend, allowLegacy: item.allowLegacy }) };
  } catch (err) {
    if (err instanceof ProofError) return { ok: false, code: err.code, message: err.message };
    throw err;
  }
}

export function inlineVerifier(backend: RecoveryBackend): BulkVerifier {
  return {
    backend,
    async verifyLinks(items, signal) {
      const out: VerifyResult[] = [];
      for (let i = 0; i < items.length; i++) {
        // Yield now and then so a big import does not stall every other request.
        if (i > 0 && i % 64 === 0) await new Promise((r) => setImmediate(r));
        signal?.throwIfAborted();
        out.push(verifyOne(backend, items[i]!));
      }
      return out;
    },
  };
}
