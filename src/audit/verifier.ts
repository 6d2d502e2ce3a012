/**
 * The auditor's one signature-verification step, behind a small function type so that the
 * worker pool (src/crypto/pool.ts) or the calling thread can do it without the sources
 * knowing. It only checks a link's own signatures (core `verifyLink`); the chain rule is
 * applied afterwards, in order, by the caller.
 */
import type { BulkVerifier } from '../crypto/verifier.js';
import { ProofError, verifyLink, type AvatarKey, type ErrorCode, type Link, type RecoveryBackend } from '../core/index.js';

export interface VerifyItem {
  avatar: AvatarKey;
  link: Link;
}

export type VerifyOutcome = { ok: true; link: Link } | { ok: false; code: ErrorCode; message: string };

/** Verify a batch; outcomes are in item order. Must not throw for bad links. */
export type VerifyLinks = (items: readonly VerifyItem[]) => Promise<VerifyOutcome[]>;

/** In-thread verification with one recovery backend (legacy links accepted: chains made elsewhere). */
export function inlineVerifier(backend: RecoveryBackend): VerifyLinks {
  return async (items) => items.map((it) => verifyOne(backend, it));
}

/** Through a BulkVerifier (the worker pool): same verdicts, other threads. */
export function bulkVerifier(bulk: BulkVerifier, signal?: AbortSignal): VerifyLinks {
  return (items) => bulk.verifyLinks(items.map((i) => ({ avatar: i.avatar.id, link: i.link, allowLegacy: true })), signal);
}

export function verifyOne(backend: RecoveryBackend, { avatar, link }: VerifyItem): VerifyOutcome {
  try {
    return { ok: true, link: verifyLink(avatar, link, { backend, allowLegacy: true }) };
  } catch (err) {
    if (err instanceof ProofError) return { ok: false, code: err.code, message: err.message };
    return { ok: false, code: 'INTERNAL', message: (err as Error)?.message ?? String(err) };
  }
}
