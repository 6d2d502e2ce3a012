/**
 * ethereum / solana: no post. The wallet's own signature (extra.wallet_signature) is the
 * proof, so a check is the core verifier run again over the stored link — nothing is fetched.
 */
import { isProofError, verifyLink } from '../../core/index.js';
import type { PlatformCommon } from '../config.js';
import { PermanentFailure, type Checker } from '../types.js';

export function walletChecker(platform: 'ethereum' | 'solana', cfg: PlatformCommon): Checker {
  return {
    platform,
    ready: cfg.enabled,
    validate() {},
    async check(t, ctx) {
      try {
        verifyLink(t.avatar, t.link, { backend: ctx.backend, allowLegacy: true });
      } catch (err) {
        if (!isProofError(err)) throw err;
        const code = err.code === 'PAYLOAD_MISMATCH' ? 'PAYLOAD_MISMATCH' : 'SIGNATURE_MISMATCH';
        throw new PermanentFailure(code, `${platform} link does not verify: ${err.message}`);
      }
      return { altId: t.link.identity, evidence: null };
    },
  };
}
