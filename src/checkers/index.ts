/**
 * The checkers component (issue 3): builds the platform checkers and their rate-limited
 * clients, schedules a binding's first check inside its append transaction, runs the
 * background re-check loop, provides the submit-time check and the read-path early queueing
 * to the API, and adds the evidence and admin routes.
 */
import type { Component, DaemonContext } from '../daemon.js';
import { isWalletPlatform } from '../core/index.js';
import { CheckStore } from './check-store.js';
import { checkerRoutes } from './routes.js';
import { CheckRunner } from './runner.js';
import { Scheduler } from './scheduler.js';
import type { Resolver } from './ssrf.js';
import { SubmitChecks } from './submit.js';
import type { Evidence } from './types.js';

export { checkersDefaults, checkersSection, type CheckersConfig } from './config.js';

const MAX_EARLY_IDS = 2000;

export interface CheckersOptions {
  /** tests: resolve activitypub hosts without system DNS */
  resolver?: Resolver;
  /** tests: unix seconds */
  now?: () => number;
}

export function checkersComponent(ctx: DaemonContext, opts: CheckersOptions = {}): Component & { scheduler: Scheduler; runner: CheckRunner; checks: CheckStore } {
  const cfg = ctx.config.checkers;
  const log = ctx.log.child({ part: 'checkers' });
  const now = opts.now ?? (() => Math.floor(Date.now() / 1000));
  const runner = new CheckRunner({ config: cfg, backend: ctx.verifier.backend, log, now, ...(opts.resolver ? { resolver: opts.resolver } : {}) });
  const checks = new CheckStore(ctx.store.db);
  const scheduler = new Scheduler({ cfg, store: checks, runner, log, now });
  const submit = new SubmitChecks(runner, cfg.submitTimeoutMs);

  // First check, atomically with the append: a checked-on-submit or wallet binding is next due
  // after one interval; an unchecked one is due at once.
  ctx.store.onAppend((ev) => {
    if (ev.bindingId === null || ev.link.action !== 'create') return;
    const t = now();
    // A check that passed on submit arrives with the append itself (the item's initial state).
    const atSubmit = ev.initial?.status === 'valid' ? ev.initial : undefined;
    const verdictNow = atSubmit !== undefined || isWalletPlatform(ev.link.platform);
    checks.schedule(ev.bindingId, ev.linkId, ev.link.platform, verdictNow ? scheduler.policy.nextAfterVerdict(t) : t, verdictNow ? t : null);
    if (atSubmit?.evidence) checks.writeEvidence(ev.bindingId, ev.linkId, atSubmit.evidence as Evidence, 'valid');
  });

  if (cfg.verifyOnSubmit) {
    ctx.api.submitCheck = (args) => submit.check(args);
    // A create sent without extra.signature (Next.ID's SDK): take it from the post, like Next.ID.
    ctx.api.signatureFromPost = (args) => submit.fromPost(args);
  }
  ctx.api.onProofsRead = (ids) => {
    // After the response: a cheap UPDATE that moves already-due bindings to the front.
    setImmediate(() => {
      try {
        if (checks.queueEarly(ids.slice(0, MAX_EARLY_IDS), now()) > 0) scheduler.kick();
      } catch (err) {
        log.warn({ err }, 'queueing overdue bindings failed');
      }
    });
  };

  return {
    name: 'checkers',
    scheduler,
    runner,
    checks,
    async start() {
      // bindings that predate this component's hook (none normally): schedule them, spread out
      let n: number;
      do n = checks.backfill(now(), Math.min(cfg.intervalSeconds, 3600), 5000);
      while (n === 5000);
      if (cfg.enabled) scheduler.start();
      log.info({ ready: [...runner.checkers.keys()].filter((p) => runner.canCheck(p)), scheduler: cfg.enabled, verifyOnSubmit: cfg.verifyOnSubmit }, 'checkers started');
    },
    async stop() {
      await scheduler.stop();
      await runner.close();
    },
    health() {
      return {
        scheduler: cfg.enabled,
        ready: [...runner.checkers.keys()].filter((p) => runner.canCheck(p)),
        in_flight: scheduler.inFlight(),
        checks: scheduler.stats.checks,
        valid: scheduler.stats.valid,
        invalid: scheduler.stats.invalid,
        transient: scheduler.stats.transient,
      };
    },
    routes(app) {
      checkerRoutes(app, { store: ctx.store, checks, runner, scheduler, adminToken: ctx.config.server.adminToken, now });
    },
  };
}
