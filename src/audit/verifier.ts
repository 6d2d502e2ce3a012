/**
 * The auditor's one signature-verification step, behind a small function type so that a
 * worker pool (src/crypto/pool.ts `verifyLinks`) can replace the in-thread loop without
 * touching the sources. It only checks a link's own signatures (core `verifyLink`); the chain
 * rule is applied afterwards, in order, by the caller.
 */
import { createRequire } from 'node:module';
import { nobleBackend, ProofError, verifyLink, type AvatarKey, type ErrorCode, type Link, type RecoveryBackend } from '../core/index.js';

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

export function verifyOne(backend: RecoveryBackend, { avatar, link }: VerifyItem): VerifyOutcome {
  try {
    return { ok: true, link: verifyLink(avatar, link, { backend, allowLegacy: true }) };
  } catch (err) {
    if (err instanceof ProofError) return { ok: false, code: err.code, message: err.message };
    return { ok: false, code: 'INTERNAL', message: (err as Error)?.message ?? String(err) };
  }
}

export type BackendName = 'auto' | 'native' | 'noble';

let nativeBackend: RecoveryBackend | null | undefined;

/**
 * libsecp256k1 (the `secp256k1` package's addon, ~50× faster than pure JS here) when it loads,
 * else noble. Loaded from `secp256k1/bindings.js` on purpose: the package main silently falls
 * back to the pure-JS `elliptic`. Replace with src/crypto's backend selection once it is on main.
 */
function loadNative(): RecoveryBackend | null {
  if (nativeBackend !== undefined) return nativeBackend;
  try {
    const require = createRequire(import.meta.url);
    const lib = require('secp256k1/bindings.js') as {
      ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed: boolean): Uint8Array;
    };
    nativeBackend = {
      name: 'native',
      recover(digest, compact, recovery) {
        try {
          if (digest.length !== 32 || compact.length !== 64) return null;
          return lib.ecdsaRecover(compact, recovery, digest, false);
        } catch {
          return null;
        }
      },
    };
  } catch {
    nativeBackend = null;
  }
  return nativeBackend;
}

export function selectBackend(name: BackendName = 'auto'): RecoveryBackend {
  if (name === 'noble') return nobleBackend;
  const native = loadNative();
  if (native) return native;
  if (name === 'native') throw new ProofError('UNAVAILABLE', 'the native secp256k1 backend did not load');
  return nobleBackend;
}
