/**
 * Check on submit (checkers.verifyOnSubmit): POST /v1/proof fetches and checks the proof post
 * before the link is accepted. A permanent failure is a 400 PROOF_CHECK_FAILED naming the
 * check's code; a transient one is a 503 UNAVAILABLE (try again), never an acceptance. The
 * evidence of a passed check waits here (bounded, short-lived) for the append hook, which
 * stores it in the same transaction as the link.
 */
import { isWalletPlatform, ProofError, type AvatarKey, type Link } from '../core/index.js';
import type { CheckRunner } from './runner.js';
import { CheckCancelled, type Evidence } from './types.js';

const MAX_PENDING = 10_000;
const PENDING_TTL_MS = 10 * 60_000;

export interface SubmitOutcome {
  status: 'valid' | 'unchecked';
  alt_id?: string;
  evidence?: Evidence;
}

export class SubmitChecks {
  private readonly pending = new Map<string, { evidence: Evidence | null; at: number }>();

  constructor(
    private readonly runner: CheckRunner,
    private readonly timeoutMs: number,
  ) {}

  async check({ avatar, link, signal }: { avatar: AvatarKey; link: Link; signal: AbortSignal }): Promise<SubmitOutcome> {
    if (link.action !== 'create' || isWalletPlatform(link.platform)) return { status: 'valid' };
    // No checker for the platform (or no token configured): accepted unchecked, checked later if one appears.
    if (!this.runner.canCheck(link.platform)) return { status: 'unchecked' };
    // A platform that told us to wait longer than we may take: say so now instead of hanging.
    const gated = this.runner.http.get(link.platform)?.gatedFor() ?? 0;
    if (gated > this.timeoutMs) {
      throw new ProofError('UNAVAILABLE', `${link.platform} is rate-limiting proofkeep for another ${Math.ceil(gated / 1000)} s; try again later`, { details: { check_code: 'RATE_LIMITED' } });
    }
    const timeout = AbortSignal.timeout(this.timeoutMs);
    let r;
    try {
      r = await this.runner.run({ avatar, link, altId: null }, { signal: AbortSignal.any([signal, timeout]), priority: 10 });
    } catch (err) {
      if (err instanceof CheckCancelled) {
        const why = timeout.aborted ? `the proof check did not finish within ${this.timeoutMs} ms` : 'request cancelled';
        throw new ProofError('UNAVAILABLE', `${why}; try again later`);
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
    this.remember(avatar.id, link.uuid, r.evidence);
    return { status: 'valid', ...(r.altId ? { alt_id: r.altId } : {}), ...(r.evidence ? { evidence: r.evidence } : {}) };
  }

  private remember(avatar: string, uuid: string, evidence: Evidence | null): void {
    const now = Date.now();
    if (this.pending.size >= MAX_PENDING) {
      for (const [k, v] of this.pending) if (now - v.at > PENDING_TTL_MS) this.pending.delete(k);
      if (this.pending.size >= MAX_PENDING) this.pending.delete(this.pending.keys().next().value as string);
    }
    this.pending.set(`${avatar}|${uuid}`, { evidence, at: now });
  }

  /** The submit-time result of this link, once (called by the append hook). */
  take(avatar: string, uuid: string): { evidence: Evidence | null } | undefined {
    const key = `${avatar}|${uuid}`;
    const v = this.pending.get(key);
    if (!v) return undefined;
    this.pending.delete(key);
    return Date.now() - v.at > PENDING_TTL_MS ? undefined : v;
  }
}
