/**
 * One link's verification as the pool runs it — the same function on the calling thread and in
 * every worker, so pooled and inline results are identical by construction. It wraps the one
 * verifier of src/core (`parsePublicKey` + `verifyLink`); nothing here decides a verdict.
 */
import { parsePublicKey, ProofError, verifyLink, type AvatarKey, type ErrorCode, type Link, type RecoveryBackend } from '../core/index.js';

export interface VerifyItem {
  /** the Avatar in any key form (attacker-controlled), or an already parsed key */
  avatar: string | AvatarKey;
  link: Link;
  /** accept legacy 4-field links (chains made elsewhere); never for POST /v1/proof */
  allowLegacy: boolean;
}

export type VerifyResult = { ok: true; link: Link } | { ok: false; code: ErrorCode; message: string };

/** Verify one item; never throws. A non-ProofError means a defect, reported as INTERNAL. */
export function verifyItem(item: VerifyItem, backend: RecoveryBackend): VerifyResult {
  try {
    const key = typeof item.avatar === 'string' ? parsePublicKey(item.avatar) : parsePublicKey(item.avatar.id);
    return { ok: true, link: verifyLink(key, item.link, { backend, allowLegacy: item.allowLegacy }) };
  } catch (err) {
    if (err instanceof ProofError) return { ok: false, code: err.code, message: err.message };
    return { ok: false, code: 'INTERNAL', message: `link could not be verified: ${(err as Error)?.message ?? String(err)}` };
  }
}

/** Items sent to a worker carry the avatar as a string (an AvatarKey's id): cheaper to clone. */
export function toWire(item: VerifyItem): VerifyItem {
  return typeof item.avatar === 'string' ? item : { avatar: item.avatar.id, link: item.link, allowLegacy: item.allowLegacy };
}
