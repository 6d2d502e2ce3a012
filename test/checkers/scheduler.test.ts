/**
 * The check state machine on a real SQLite store: first check scheduled with the append,
 * valid → transient failures (no downgrade) → stale → recovered → invalid → recovered; the
 * chain is never touched; the schedule survives a restart; thousands of due bindings are
 * worked through with bounded reads and bounded concurrency.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import pino from 'pino';
import { nobleBackend } from '../../src/core/index.js';
import { loadConfig } from '../../src/config/load.js';
import { checkersComponent } from '../../src/checkers/index.js';
import { CheckStore } from '../../src/checkers/check-store.js';
import { HINTS_PER_PASS } from '../../src/checkers/scheduler.js';
import type { Db } from '../../src/store/index.js';
import { openAll as openDb } from '../helpers/db.js';
import { DISCORD_TOKEN, FakePlatforms, TWITTER_TOKEN } from '../../scripts/lib/fake-platforms.js';
import { AVATAR, postFor, signedLink } from './helpers.js';

let fake: FakePlatforms;
const dirs: string[] = [];
beforeAll(async () => {
  fake = await FakePlatforms.start();
});
afterAll(async () => {
  await fake.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function makeConfig(extra: Record<string, unknown> = {}) {
  return loadConfig({
    env: {},
    overrides: {
      'checkers.platforms.twitter.baseUrl': `${fake.base}/twitter`,
      'checkers.platforms.twitter.bearerToken': TWITTER_TOKEN,
      'checkers.platforms.twitter.limit.intervalCap': 1000,
      'checkers.platforms.discord.baseUrl': `${fake.base}/discord/api/v10`,
      'checkers.platforms.discord.botToken': DISCORD_TOKEN,
      // Only the 'timeout' fault should ever time out: a normal answer from the local fake must
      // not be misread as TIMEOUT on a loaded machine, so the limit sits far above any real answer.
      'checkers.requestTimeoutMs': 3000,
      'checkers.staleAfterFailures': 3,
      'checkers.backoffBaseSeconds': 60,
      'checkers.intervalSeconds': 3600,
      'checkers.jitter': 0.1,
      // pacing off unless a test is about it: how busy the test's own loop is must not decide
      'checkers.maxLoopUtilization': 1,
      ...extra,
    },
  });
}

class Clock {
  t = 1_800_000_000;
  now = () => this.t;
}

function openAll(dir: string, clock: Clock, config = makeConfig()) {
  const { db, store } = openDb(join(dir, 'p.sqlite'));
  const comp = checkersComponent({
    config: config.checkers, adminToken: '', db, bindings: store.bindings, read: store.read, backend: nobleBackend,
    log: pino({ level: 'silent' }), now: clock.now,
  });
  store.onAppend(comp.onAppend!);
  return { store, comp, db };
}

type Row = { status: string; is_valid: number; invalid_code: string; invalid_reason: string; last_checked_at: number | null; alt_id: string };
const binding = (db: Db): Row => db.prepare('SELECT status, is_valid, invalid_code, invalid_reason, last_checked_at, alt_id FROM bindings').get() as Row;

/**
 * N discord bindings due now, written straight into the store's tables (the posts are all gone,
 * so no check needs a signature verification: these tests are about volume, not crypto).
 */
function seedDue(db: Db, clock: Clock, N: number): void {
  db.transaction(() => {
    db.prepare('INSERT INTO avatars (id, avatar, public_key, link_count, activated_at, updated_at) VALUES (1, ?, ?, 0, 0, 0)').run(AVATAR.id, AVATAR.uncompressedHex);
    const link = db.prepare(`INSERT INTO links (id, avatar_id, seq, prev, action, platform, identity, proof_location, created_at, uuid, signature, signature_payload, extra, received_at)
      VALUES (?, 1, ?, NULL, 'create', 'discord', ?, ?, 1700000000, ?, 'sig', '', '{}', 0)`);
    const b = db.prepare(`INSERT INTO bindings (id, avatar_id, platform, identity, link_id, created_at, proof_location, status, is_valid, updated_at)
      VALUES (?, 1, 'discord', ?, ?, 1700000000, ?, 'valid', 1, 0)`);
    const c = db.prepare('INSERT INTO binding_checks (binding_id, link_id, platform, next_check_at) VALUES (?, ?, \'discord\', ?)');
    for (let i = 1; i <= N; i++) {
      const loc = `https://discord.com/channels/1/2/${i}`;
      link.run(i, i - 1, `user${i}`, loc, `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
      b.run(i, `user${i}`, i, loc);
      c.run(i, i, clock.t - 10);
    }
  })();
}

describe('binding states', () => {
  let dir: string;
  afterEach(() => {
    fake.tweets.clear();
    delete fake.fault.twitter;
  });

  it('valid → transient (never downgraded) → stale → valid → invalid → valid; the chain is untouched', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pk-checkers-'));
    dirs.push(dir);
    const clock = new Clock();
    let { store, comp, db } = openAll(dir, clock);
    const link = signedLink({ platform: 'twitter', identity: 'nextid_test', proof_location: '42' });
    const [out] = await store.appendLinks([{ avatar: AVATAR, link }]);
    expect(out).toMatchObject({ ok: true });
    const chainBefore = JSON.stringify(db.prepare('SELECT * FROM links').all());
    const checks = new CheckStore(db, store.bindings);
    const bindingId = (db.prepare('SELECT id FROM bindings').get() as { id: number }).id;
    // scheduled inside the append transaction, due at once (not checked on submit)
    expect(checks.scheduleOf(bindingId)).toMatchObject({ next_check_at: clock.t, transient_streak: 0 });
    expect(binding(db)).toMatchObject({ status: 'unchecked' });

    const step = async (advance: number) => {
      clock.t += advance;
      const n = comp.scheduler.tick();
      await comp.scheduler.drain();
      return n;
    };

    // unchecked → valid
    fake.tweets.set('42', { text: postFor(link), authorId: '1001', username: 'nextid_test' });
    expect(await step(0)).toBe(1);
    expect(binding(db)).toMatchObject({ status: 'valid', is_valid: 1, invalid_code: '', last_checked_at: clock.t, alt_id: '1001' });
    expect(checks.evidenceOf(bindingId)).toMatchObject({ outcome: 'valid', fetched_at: clock.t });
    expect(checks.evidenceOf(bindingId)!.text).toContain(link.signature);
    const next = checks.scheduleOf(bindingId)!.next_check_at - clock.t;
    expect(next).toBeGreaterThanOrEqual(3600 * 0.9);
    expect(next).toBeLessThanOrEqual(3600 * 1.1);
    expect(await step(60)).toBe(0); // not due yet

    // transient failures: still valid, backing off; the third marks it stale, is_valid unchanged
    const checkedAt = clock.t - 60;
    fake.fault.twitter = 'http500';
    expect(await step(4000)).toBe(1);
    expect(binding(db)).toMatchObject({ status: 'valid', is_valid: 1, last_checked_at: checkedAt });
    const s1 = checks.scheduleOf(bindingId)!;
    expect(s1).toMatchObject({ transient_streak: 1, last_error_code: 'UPSTREAM_ERROR' });
    expect(s1.next_check_at - clock.t).toBeGreaterThanOrEqual(54);
    fake.fault.twitter = 'timeout';
    expect(await step(200)).toBe(1);
    expect(binding(db)).toMatchObject({ status: 'valid', is_valid: 1 });
    expect(checks.scheduleOf(bindingId)!.next_check_at - clock.t).toBeGreaterThanOrEqual(108); // doubled
    fake.fault.twitter = 'http429';
    expect(await step(400)).toBe(1);
    expect(binding(db)).toMatchObject({ status: 'stale', is_valid: 1, invalid_code: '', last_checked_at: checkedAt });

    // recovery from stale
    delete fake.fault.twitter;
    // The 429's Retry-After (1 s) holds the platform: the next check waits at the gate (no sleep
    // here; the check's own request timeout only starts once the gate has let it through).
    expect(comp.runner.http.get('twitter')!.gatedFor()).toBeGreaterThan(0);
    expect(await step(400)).toBe(1);
    expect(binding(db)).toMatchObject({ status: 'valid', is_valid: 1, last_checked_at: clock.t });
    expect(checks.scheduleOf(bindingId)).toMatchObject({ transient_streak: 0, fail_count: 3 });

    // permanent failure: the tweet is deleted → invalid with a code and a reason
    fake.tweets.delete('42');
    expect(await step(4000)).toBe(1);
    expect(binding(db)).toMatchObject({ status: 'invalid', is_valid: 0, invalid_code: 'POST_NOT_FOUND' });
    expect(binding(db).invalid_reason).toMatch(/not found/);
    // transient failures after that leave the verdict alone (invalid, not stale)
    fake.fault.twitter = 'http500';
    for (let i = 0; i < 4; i++) await step(4000);
    expect(binding(db)).toMatchObject({ status: 'invalid', is_valid: 0, invalid_code: 'POST_NOT_FOUND' });
    delete fake.fault.twitter;

    // restart: the schedule is in SQLite; nothing is due at the same instant
    await comp.stop();
    await store.close();
    ({ store, comp, db } = openAll(dir, clock));
    expect(await step(0)).toBe(0);

    // re-published → valid again
    fake.tweets.set('42', { text: postFor(link), authorId: '1001', username: 'nextid_test' });
    expect(await step(20_000)).toBe(1);
    expect(binding(db)).toMatchObject({ status: 'valid', is_valid: 1, invalid_code: '', invalid_reason: '' });
    expect(JSON.stringify(db.prepare('SELECT * FROM links').all())).toBe(chainBefore);
    await comp.stop();
    await store.close();
  });

  it('a binding deleted while its check runs is left alone; its schedule rows go with it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pk-checkers-'));
    dirs.push(dir);
    const clock = new Clock();
    const { store, comp, db } = openAll(dir, clock);
    const link = signedLink({ platform: 'twitter', identity: 'gone_soon', proof_location: '43' });
    await store.appendLinks([{ avatar: AVATAR, link }]);
    const id = (db.prepare('SELECT id FROM bindings').get() as { id: number }).id;
    const checks = new CheckStore(db, store.bindings);
    const due = checks.load(id)!;
    db.prepare('DELETE FROM bindings WHERE id = ?').run(id);
    expect(checks.apply(due, { kind: 'invalid', code: 'POST_NOT_FOUND', reason: 'x', evidence: null }, clock.t, comp.scheduler.policy)).toBeNull();
    expect(checks.scheduleOf(id)).toBeUndefined();
    await comp.stop();
    await store.close();
  });
});

describe('read hints', () => {
  it('bindings a read served are kept in memory and go first in the next pass; the read itself writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pk-checkers-'));
    dirs.push(dir);
    const clock = new Clock();
    const { store, comp, db } = openAll(dir, clock);
    let prev: string | null = null;
    for (const i of [1, 2, 3]) {
      const link = signedLink({ platform: 'twitter', identity: `hint_${i}`, proof_location: String(60 + i), prev });
      const [out] = await store.appendLinks([{ avatar: AVATAR, link }]);
      expect(out).toMatchObject({ ok: true });
      prev = link.signature;
    }
    const ids = (db.prepare('SELECT id FROM bindings ORDER BY id').all() as Array<{ id: number }>).map((r) => r.id);
    // all due, oldest first: 1, 2, 3
    ids.forEach((id, k) => db.prepare('UPDATE binding_checks SET next_check_at = ? WHERE binding_id = ?').run(clock.t - 300 + 100 * k, id));
    const dueAt = () => db.prepare('SELECT binding_id, next_check_at FROM binding_checks ORDER BY binding_id').all();
    const before = dueAt();
    comp.api!.proofsRead!([ids[2]!]);
    expect(dueAt()).toEqual(before); // a hint, not a write
    const claimed: number[][] = [];
    const orig = comp.checks.claimDue.bind(comp.checks);
    comp.checks.claimDue = (...args) => {
      const got = orig(...args);
      if (args[0] === 'twitter') claimed.push(got);
      return got;
    };
    comp.scheduler.tick();
    await comp.scheduler.drain();
    expect(claimed[0]).toEqual([ids[2], ids[0], ids[1]]);
    await comp.stop();
    await store.close();
  });


  it('a burst of hints is folded in a bounded share per pass, the next pass following at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pk-checkers-'));
    dirs.push(dir);
    const clock = new Clock();
    // a pass a minute: only the follow-up passes can fold the rest in within the test
    const { store, comp } = openAll(dir, clock, makeConfig({ 'checkers.tickMs': 60_000 }));
    const shares: number[][] = [];
    const orig = comp.checks.queueEarly.bind(comp.checks);
    comp.checks.queueEarly = (ids, now) => {
      shares.push(ids);
      return orig(ids, now);
    };
    // which bindings does not matter here (the first test has what a hint does): none exist
    const hinted = Array.from({ length: 2 * HINTS_PER_PASS + 100 }, (_, i) => 1000 - i);
    comp.api!.proofsRead!(hinted);
    comp.scheduler.start();
    await vi.waitFor(() => expect(shares.flat()).toHaveLength(hinted.length), { timeout: 20_000, interval: 20 });
    expect(shares.map((s) => s.length)).toEqual([HINTS_PER_PASS, HINTS_PER_PASS, 100]);
    expect(new Set(shares.flat())).toEqual(new Set(hinted));
    await comp.stop();
    await store.close();
  });
});

describe('scale', () => {
  it('thousands of bindings due at once: bounded reads, bounded concurrency, all checked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pk-checkers-'));
    dirs.push(dir);
    const clock = new Clock();
    const N = 2000;
    const config = makeConfig({
      // No fault in this test: every answer is a 404 from the local fake. A short timeout would
      // only turn a slow machine's answers into transients (bindings left valid).
      'checkers.requestTimeoutMs': 120_000,
      'checkers.maxInFlightPerPlatform': 32,
      'checkers.batchSize': 16,
      'checkers.platforms.discord.limit.concurrency': 6,
      'checkers.platforms.discord.limit.intervalCap': 100_000,
      'checkers.platforms.discord.limit.intervalMs': 1,
    });
    const { store, comp, db } = openAll(dir, clock, config);
    // Durability is not under test here: one fsync per verdict would dominate the run time.
    db.pragma('synchronous = NORMAL');
    seedDue(db, clock, N);
    const checks = comp.checks;
    const claimSizes: number[] = [];
    const orig = checks.claimDue.bind(checks);
    checks.claimDue = (...args) => {
      const ids = orig(...args);
      claimSizes.push(ids.length);
      return ids;
    };
    fake.maxInFlight = 0;
    const before = fake.count('discord');
    const heapBefore = process.memoryUsage().heapUsed;
    comp.scheduler.start();
    // Wait on the condition; the test's own timeout (below) bounds a run that never gets there.
    while (comp.scheduler.stats.checks < N) await new Promise((r) => setTimeout(r, 50));
    await comp.stop();
    const heapAfter = process.memoryUsage().heapUsed;
    expect(comp.scheduler.stats.checks).toBe(N);
    expect(fake.count('discord') - before).toBe(N);
    expect(Math.max(...claimSizes)).toBeLessThanOrEqual(16);
    expect(comp.scheduler.stats.maxInFlight).toBeLessThanOrEqual(32);
    expect(fake.maxInFlight).toBeLessThanOrEqual(6);
    const counts = db.prepare("SELECT status, COUNT(*) AS n FROM bindings GROUP BY status").all();
    expect(counts).toEqual([{ status: 'invalid', n: N }]);
    // the next checks are spread over interval ± jitter, not all at one instant
    const spread = db.prepare('SELECT MIN(next_check_at) AS lo, MAX(next_check_at) AS hi FROM binding_checks').get() as { lo: number; hi: number };
    expect(spread.hi - spread.lo).toBeGreaterThan(300);
    // generous bound: a few thousand results must not pile up in memory (~no growth beyond GC noise)
    expect(heapAfter - heapBefore).toBeLessThan(64 * 1024 * 1024);
    await store.close();
  }, 300_000);
  it('while the API\'s event loop is busy, background re-checks run one at a time per platform, and all get done', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pk-checkers-'));
    dirs.push(dir);
    const clock = new Clock();
    const N = 60;
    const config = makeConfig({
      'checkers.requestTimeoutMs': 120_000,
      'checkers.maxInFlightPerPlatform': 32,
      'checkers.batchSize': 16,
      // any utilisation counts as busy: the pacer's limit, not the machine's load, decides
      'checkers.maxLoopUtilization': 0,
      'checkers.platforms.discord.limit.concurrency': 6,
      'checkers.platforms.discord.limit.intervalCap': 100_000,
      'checkers.platforms.discord.limit.intervalMs': 1,
    });
    const { store, comp, db } = openAll(dir, clock, config);
    db.pragma('synchronous = NORMAL');
    seedDue(db, clock, N);
    fake.maxInFlight = 0;
    comp.scheduler.start();
    while (comp.scheduler.stats.checks < N) await new Promise((r) => setTimeout(r, 20));
    await comp.stop();
    expect(comp.scheduler.stats.checks).toBe(N);
    expect(comp.scheduler.stats.maxInFlight).toBe(1);
    expect(fake.maxInFlight).toBe(1);
    expect((comp.health!() as { paced_passes: number }).paced_passes).toBeGreaterThan(0);
    expect(db.prepare("SELECT COUNT(*) AS n FROM bindings WHERE status = 'invalid'").get()).toEqual({ n: N });
    await store.close();
  }, 300_000);
});
