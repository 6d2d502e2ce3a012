/**
 * The checkers component: builds the platform checkers and their rate-limited clients,
 * schedules a binding's first check inside its append transaction, runs the background
 * re-check loop, provides the submit-time check and the read hints to the API, and adds the
 * evidence and admin routes. Owns the tables of ./migration.ts (queried in ./check-store.ts);
 * a binding's state changes through the store's binding module.
 */
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Component } from '../component.js';
import { isWalletPlatform, type RecoveryBackend } from '../core/index.js';
import type { Bindings } from '../store/bindings.js';
import type { Reader } from '../store/read.js';
import type { Db } from '../store/sqlite.js';
import { LoopPacer } from '../util/pacer.js';
import { CheckStore } from './check-store.js';
import type { CheckersConfig } from './config.js';
import { checkerRoutes } from './routes.js';
import { CheckRunner } from './runner.js';
import { Scheduler } from './scheduler.js';
import type { Resolver } from './ssrf.js';
import { SubmitChecks } from './submit.js';
import type { Evidence } from './types.js';

export { checkersDefaults, checkersSection, type CheckersConfig } from './config.js';
export { checkersMigration } from './migration.js';

/** Read hints kept between two scheduler passes (a hint lost on a crash costs nothing). */
const MAX_HINTS = 2000;

export interface CheckersDeps {
  config: CheckersConfig;
  /** server.adminToken: guards POST /v1/admin/recheck */
  adminToken: string;
  /** the shared connection, for the checkers' own tables */
  db: Db;
  bindings: Bindings;
  /** finds a queried binding for the evidence and admin routes */
  read: Pick<Reader, 'binding' | 'avatarByKey'>;
  backend: RecoveryBackend;
  log: Logger;
  /** tests: resolve activitypub hosts without system DNS */
  resolver?: Resolver;
  /** tests: unix seconds */
  now?: () => number;
}

export interface CheckersComponent extends Component {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly scheduler: Scheduler;
  readonly runner: CheckRunner;
  readonly checks: CheckStore;
}

export function checkersComponent(deps: CheckersDeps): CheckersComponent {
  const { config: cfg, log } = deps;
  const now = deps.now ?? (() => Math.floor(Date.now() / 1000));
  const runner = new CheckRunner({ config: cfg, backend: deps.backend, log, now, ...(deps.resolver ? { resolver: deps.resolver } : {}) });
  const checks = new CheckStore(deps.db, deps.bindings);
  const outcomes = new Counter({ name: 'proofkeep_checks_total', help: 'Proof post checks by platform and outcome (valid, invalid, transient)', labelNames: ['platform', 'outcome'] as const, registers: [] });
  // What reads served, folded into the next scheduling pass: memory only, bounded.
  const hints = new Set<number>();
  const pacer = new LoopPacer({ maxUtilization: cfg.maxLoopUtilization, windowMs: 50, maxWaitMs: 0 });
  const scheduler = new Scheduler({
    cfg, store: checks, runner, log, now,
    busy: () => pacer.busy(),
    takeHints: (max) => {
      const ids: number[] = [];
      for (const id of hints) {
        if (ids.length >= max) break;
        ids.push(id);
        hints.delete(id);
      }
      return ids;
    },
    onResult: (_id, result, _status, platform) => outcomes.inc({ platform, outcome: result.kind }),
  });
  const submit = new SubmitChecks(runner, cfg.submitTimeoutMs);
  const ready = () => [...runner.checkers.keys()].filter((p) => runner.canCheck(p));

  return {
    name: 'checkers',
    after: ['store'],
    scheduler,
    runner,
    checks,
    // First check, atomically with the append: a checked-on-submit or wallet binding is next due
    // after one interval; an unchecked one is due at once.
    onAppend(ev) {
      if (ev.bindingId === null || ev.link.action !== 'create') return;
      const t = now();
      // A check that passed on submit arrives with the append itself (the item's initial state).
      const atSubmit = ev.initial?.status === 'valid' ? ev.initial : undefined;
      const verdictNow = atSubmit !== undefined || isWalletPlatform(ev.link.platform);
      checks.schedule(ev.bindingId, ev.linkId, ev.link.platform, verdictNow ? scheduler.policy.nextAfterVerdict(t) : t, verdictNow ? t : null);
      if (atSubmit?.evidence) checks.writeEvidence(ev.bindingId, ev.linkId, atSubmit.evidence as Evidence, 'valid');
    },
    api: {
      ...(cfg.verifyOnSubmit
        ? {
            submitCheck: (args) => submit.check(args),
            // A create sent without extra.signature (Next.ID's SDK): take it from the post, like Next.ID.
            signatureFromPost: (args) => submit.fromPost(args),
          }
        : {}),
      proofsRead(ids) {
        for (const id of ids) {
          if (hints.size >= MAX_HINTS) break;
          hints.add(id);
        }
      },
    },
    async start() {
      if (cfg.enabled) scheduler.start();
      log.info({ ready: ready(), scheduler: cfg.enabled, verifyOnSubmit: cfg.verifyOnSubmit }, 'checkers started');
    },
    async stop() {
      await scheduler.stop();
      await runner.close();
    },
    health() {
      return {
        scheduler: cfg.enabled,
        ready: ready(),
        in_flight: scheduler.inFlight(),
        checks: scheduler.stats.checks,
        valid: scheduler.stats.valid,
        invalid: scheduler.stats.invalid,
        transient: scheduler.stats.transient,
        // passes that ran one background check at a time per platform: the API's loop was busy
        paced_passes: scheduler.stats.pacedPasses,
      };
    },
    metrics(registry: Registry) {
      registry.registerMetric(outcomes);
      new Gauge({
        name: 'proofkeep_checks_in_flight',
        help: 'Proof post checks running now, by platform',
        labelNames: ['platform'] as const,
        registers: [registry],
        collect() {
          this.reset();
          for (const [platform, n] of Object.entries(scheduler.inFlight())) this.set({ platform }, n);
        },
      });
    },
    routes(app) {
      checkerRoutes(app, { read: deps.read, checks, runner, scheduler, adminToken: deps.adminToken, now });
    },
  };
}
