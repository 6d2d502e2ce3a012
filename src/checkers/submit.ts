/**
 * Check on submit (checkers.verifyOnSubmit): POST /v1/proof fetches and checks the proof post
 * before the link is accepted. A permanent failure is a 400 PROOF_CHECK_FAILED naming the
 * check's code; a transient one is a 503 UNAVAILABLE (try again), never an acceptance. The
 * evidence of a passed check travels with the append (its initial binding state), and the
 * checkers' append hook stores it in the same transaction as the link.
 */
import { isWalletPlatform, ProofError, type AvatarKey, type Link } from '../core/index.js';
import type { CheckRunner } from './runner.js';
import { CheckCancelled, type Evidence } from './types.js';

export interface SubmitOutcome {
  status: 'valid' | 'unchecked';
  alt_id?: string;
  evidence?: Evidence;
  /** the signature found in the post (and verified over the link's payload) */
  signature?: string;
}

export class SubmitChecks {
  constructor(
    private readonly runner: CheckRunner,
    private readonly timeoutMs: number,
  ) {}

  async check({ avatar, link, signal }: { avatar: AvatarKey; link: Link; signal: AbortSignal }): Promise<SubmitOutcome> {
    if (link.action !== 'create' || isWalletPlatform(link.platform)) return { status: 'valid' };
    // No checker for the platform (or no token configured): accepted unchecked, checked later if one appears.
    if (!this.runner.canCheck(link.platform)) return { status: 'unchecked' };
    // The caller verified the link (API contract): a post carrying its very signature is not recovered again.
    return this.run(avatar, link, signal, true);
  }

  /**
   * A create sent without `extra.signature` (Next.ID's SDK does that for post-based platforms):
   * fetch the proof post and take the signature from it, as Next.ID does. `link.signature` is ''.
   * The post's signature is verified over this link's payload here, and again by the caller's
   * verify path. SIGNATURE_REQUIRED when no checker can fetch the post.
   */
  async fromPost({ avatar, link, signal }: { avatar: AvatarKey; link: Link; signal: AbortSignal }): Promise<SubmitOutcome & { signature: string }> {
    if (link.action !== 'create' || isWalletPlatform(link.platform) || !this.runner.canCheck(link.platform)) {
      const why = link.action !== 'create' ? 'a delete has no proof post to take it from'
        : isWalletPlatform(link.platform) ? `${link.platform} bindings are proven by signatures, not posts`
        : `this proofkeep has no ${link.platform} checker configured to fetch the proof post`;
      throw new ProofError('SIGNATURE_REQUIRED', `extra.signature is required: ${why}`);
    }
    const r = await this.run(avatar, link, signal, false);
    if (!r.signature) throw new ProofError('SIGNATURE_REQUIRED', `extra.signature is required: the ${link.platform} checker cannot read a signature from the post`);
    return { ...r, signature: r.signature };
  }

  private async run(avatar: AvatarKey, link: Link, signal: AbortSignal, verified: boolean): Promise<SubmitOutcome> {
    // A platform that told us to wait longer than we may take: say so now instead of hanging.
    const gated = this.runner.http.get(link.platform)?.gatedFor() ?? 0;
    if (gated > this.timeoutMs) {
      throw new ProofError('UNAVAILABLE', `${link.platform} is rate-limiting proofkeep for another ${Math.ceil(gated / 1000)} s; try again later`, { details: { check_code: 'RATE_LIMITED' } });
    }
    const timeout = AbortSignal.timeout(this.timeoutMs);
    let r;
    try {
      r = await this.runner.run({ avatar, link, altId: null, verified }, { signal: AbortSignal.any([signal, timeout]), priority: 10 });
    } catch (err) {
      if (err instanceof CheckCancelled) {
        const why = timeout.aborted ? `the proof check did not finish within ${this.timeoutMs} ms` : 'request cancelled';
        throw new ProofError('UNAVAILABLE', `${why}; try again later`, { cause: err });
      }
      throw err;
    }
    if (r.kind === 'invalid') {
      throw new ProofError('PROOF_CHECK_FAILED', `proof post check failed (${r.code}): ${r.reason}`, { details: { check_code: r.code } });
    }
    if (r.kind === 'transient') {
      throw new ProofError('UNAVAILABLE', `the ${link.platform} proof post could not be checked right now (${r.code}: ${r.reason}); try again later`, {
        details: { check_code: r.code },
      });
    }
    return { status: 'valid', ...(r.altId ? { alt_id: r.altId } : {}), ...(r.evidence ? { evidence: r.evidence } : {}), ...(r.signature ? { signature: r.signature } : {}) };
  }
}
