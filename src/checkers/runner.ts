/**
 * Builds one checker + one rate-limited PlatformHttp per platform from config, and runs a
 * check to a CheckResult. Anything unexpected (a bug) is transient: only a
 * checker's explicit PermanentFailure can make a binding invalid.
 */
import type { RecoveryBackend } from '../core/index.js';
import type { CheckersConfig, CheckerPlatform } from './config.js';
import { originsAllowed, PlatformHttp } from './http.js';
import { activitypubChecker } from './platforms/activitypub.js';
import { discordChecker } from './platforms/discord.js';
import { dnsChecker } from './platforms/dns.js';
import { githubChecker } from './platforms/github.js';
import { keybaseAllowed, keybaseChecker } from './platforms/keybase.js';
import { mindsChecker } from './platforms/minds.js';
import { twitterChecker } from './platforms/twitter.js';
import { walletChecker } from './platforms/wallet.js';
import { systemResolver, type Resolver } from './ssrf.js';
import { CheckCancelled, PermanentFailure, TransientFailure, type Checker, type CheckResult, type CheckTarget } from './types.js';

export interface RunnerDeps {
  config: CheckersConfig;
  backend: RecoveryBackend;
  resolver?: Resolver;
  /** unix seconds */
  now?: () => number;
  log?: { warn(obj: object, msg: string): void; info?(obj: object, msg: string): void };
}

export class CheckRunner {
  readonly checkers = new Map<string, Checker>();
  readonly http = new Map<string, PlatformHttp>();
  private readonly now: () => number;

  constructor(private readonly deps: RunnerDeps) {
    const c = deps.config;
    const p = c.platforms;
    this.now = deps.now ?? (() => Math.floor(Date.now() / 1000));
    const timeout = (pc: { timeoutMs: number }) => pc.timeoutMs || c.requestTimeoutMs;
    const add = (name: CheckerPlatform, checker: Checker, allowed: (u: URL) => boolean) => {
      this.checkers.set(name, checker);
      this.http.set(
        name,
        new PlatformHttp({
          platform: name,
          limit: p[name].limit,
          timeoutMs: timeout(p[name]),
          maxBodyBytes: c.maxBodyBytes,
          maxRetryAfterMs: c.maxRetryAfterSeconds * 1000,
          allowed,
          onRateLimited: (info) => deps.log?.warn(info, 'platform rate limit: pausing'),
        }),
      );
    };
    add('twitter', twitterChecker(p.twitter), originsAllowed(p.twitter.baseUrl));
    add('github', githubChecker(p.github), originsAllowed(p.github.baseUrl));
    add('keybase', keybaseChecker(p.keybase), keybaseAllowed(p.keybase.urlTemplate));
    add('dns', dnsChecker(p.dns), originsAllowed(p.dns.dohUrl));
    add('discord', discordChecker(p.discord), originsAllowed(p.discord.baseUrl));
    add('minds', mindsChecker(p.minds), originsAllowed(p.minds.baseUrl));
    const ap = p.activitypub;
    add('activitypub', activitypubChecker(ap, deps.resolver ?? systemResolver, timeout(ap)), (u) => u.protocol === `${ap.scheme}:` && (ap.port ? u.port === String(ap.port) : u.port === ''));
    add('ethereum', walletChecker('ethereum', p.ethereum), () => false);
    add('solana', walletChecker('solana', p.solana), () => false);
  }

  /** Is there a checker for this platform that can run (enabled, token configured)? */
  canCheck(platform: string): boolean {
    return this.checkers.get(platform)?.ready === true;
  }

  /**
   * Check one binding. Throws CheckCancelled when `signal` fires (nothing to record). Returns
   * transient DISABLED for a platform without a ready checker.
   */
  async run(target: CheckTarget, opts: { signal: AbortSignal; priority?: number }): Promise<CheckResult> {
    const checker = this.checkers.get(target.link.platform);
    const http = this.http.get(target.link.platform);
    if (!checker || !http || !checker.ready) return { kind: 'transient', code: 'DISABLED', reason: `no ${target.link.platform} checker is configured` };
    try {
      checker.validate(target);
      const r = await checker.check(target, { signal: opts.signal, http, backend: this.deps.backend, now: this.now, priority: opts.priority ?? 0 });
      return { kind: 'valid', ...(r.altId ? { altId: r.altId } : {}), evidence: r.evidence, ...(r.signature ? { signature: r.signature } : {}) };
    } catch (err) {
      if (err instanceof CheckCancelled || opts.signal.aborted) throw new CheckCancelled();
      if (err instanceof PermanentFailure) return { kind: 'invalid', code: err.code, reason: err.message, evidence: err.evidence };
      if (err instanceof TransientFailure) return { kind: 'transient', code: err.code, reason: err.message, ...(err.retryAfterMs ? { retryAfterMs: err.retryAfterMs } : {}) };
      this.deps.log?.warn({ err, platform: target.link.platform }, 'checker failed unexpectedly');
      return { kind: 'transient', code: 'BAD_RESPONSE', reason: `checker error: ${(err as Error).message}` };
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.http.values()].map((h) => h.close()));
  }
}
