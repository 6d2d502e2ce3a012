/** The checkers' migration on an existing index, read-hint early queueing, admin platform queueing. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { CheckStore } from '../../src/checkers/check-store.js';
import { SCHEMA } from '../../src/schema.js';
import { Bindings, openDatabase, type Db } from '../../src/store/index.js';
import { base } from '../../src/store/migrations/001-base.js';
import { AVATAR } from './helpers.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function seed(db: Db, n: number, status = 'valid'): void {
  db.transaction(() => {
    db.prepare('INSERT INTO avatars (id, avatar, public_key, link_count, activated_at, updated_at) VALUES (1, ?, ?, 0, 0, 0)').run(AVATAR.id, AVATAR.uncompressedHex);
    for (let i = 1; i <= n; i++) {
      db.prepare(`INSERT INTO links (id, avatar_id, seq, prev, action, platform, identity, proof_location, created_at, uuid, signature, signature_payload, extra, received_at)
        VALUES (?, 1, ?, NULL, 'create', 'twitter', ?, '1', 0, ?, 's', '', '{}', 0)`).run(i, i - 1, `u${i}`, `u-${i}`);
      db.prepare(`INSERT INTO bindings (id, avatar_id, platform, identity, link_id, created_at, status, is_valid, updated_at) VALUES (?, 1, 'twitter', ?, ?, 0, ?, 1, 0)`).run(i, `u${i}`, i, i % 2 ? status : 'unchecked');
    }
  })();
}

it('migration 3 schedules existing bindings spread out (unchecked within an hour, others within 72 h), not all now', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pk-mig3-'));
  dirs.push(dir);
  const file = join(dir, 'p.sqlite');
  const old = openDatabase({ file, migrations: [base] });
  seed(old, 400);
  old.close();
  const now = Math.floor(Date.now() / 1000);
  const db = openDatabase({ file, migrations: SCHEMA });
  const rows = db.prepare('SELECT c.next_check_at AS t, b.status FROM binding_checks c JOIN bindings b ON b.id = c.binding_id').all() as Array<{ t: number; status: string }>;
  expect(rows).toHaveLength(400);
  const unchecked = rows.filter((r) => r.status === 'unchecked').map((r) => r.t - now);
  const valid = rows.filter((r) => r.status === 'valid').map((r) => r.t - now);
  expect(Math.max(...unchecked)).toBeLessThanOrEqual(3600 + 5);
  expect(Math.max(...valid)).toBeLessThanOrEqual(259200 + 5);
  expect(Math.max(...valid)).toBeGreaterThan(3600); // spread, not bunched
  expect(valid.filter((t) => t <= 60).length).toBeLessThan(20); // ~0.02 % of 72 h per minute
  expect(new Set(valid).size).toBeGreaterThan(150);
  // the rows go with their binding
  db.prepare('DELETE FROM bindings WHERE id = 1').run();
  expect(db.prepare('SELECT COUNT(*) AS n FROM binding_checks WHERE binding_id = 1').get()).toEqual({ n: 0 });
  db.close();
});

it('overdue bindings read by a query move to the front; not-yet-due ones are left alone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pk-early-'));
  dirs.push(dir);
  const db = openDatabase({ file: join(dir, 'p.sqlite'), migrations: SCHEMA });
  seed(db, 6);
  const checks = new CheckStore(db, new Bindings(db));
  const now = 2_000_000_000;
  for (let i = 1; i <= 6; i++) checks.schedule(i, i, 'twitter', now, null);
  db.prepare('UPDATE binding_checks SET next_check_at = ?').run(now + 1000);
  db.prepare('UPDATE binding_checks SET next_check_at = ? WHERE binding_id IN (2, 3)').run(now - 500);
  db.prepare('UPDATE binding_checks SET next_check_at = ? WHERE binding_id IN (4)').run(now - 900);
  // 4 was first in line; after a read of 3 and 5, 3 (overdue) jumps ahead of 4, 5 (not due) stays
  expect(checks.queueEarly([3, 5], now)).toBe(1);
  // read again before the pass claimed it: already at the front, not written again
  expect(checks.queueEarly([3], now)).toBe(0);
  expect(checks.queueEarly([], now)).toBe(0);
  expect(checks.claimDue('twitter', now, 1, 600)).toEqual([3]);
  expect(checks.claimDue('twitter', now, 10, 600)).toEqual([4, 2]);
  expect(checks.scheduleOf(5)!.next_check_at).toBe(now + 1000);
  // claimed rows are leased: not claimed again until the lease ends
  expect(checks.claimDue('twitter', now + 599, 10, 600)).toEqual([]);
  expect(checks.claimDue('twitter', now + 600, 10, 600).sort()).toEqual([2, 3, 4]);
  // admin: the whole platform becomes due
  expect(checks.queuePlatform('twitter', now)).toBe(6);
  expect(checks.claimDue('twitter', now, 100, 600)).toHaveLength(6);
  db.close();
});

it('a group of results recorded in one transaction: each as apply would, a binding that moved on skipped', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pk-group-'));
  dirs.push(dir);
  const db = openDatabase({ file: join(dir, 'p.sqlite'), migrations: SCHEMA });
  seed(db, 4);
  const checks = new CheckStore(db, new Bindings(db));
  const now = 2_000_000_000;
  for (let i = 1; i <= 4; i++) checks.schedule(i, i, 'twitter', now, null);
  const policy = { nextAfterVerdict: (t: number) => t + 1000, nextAfterTransient: (t: number) => t + 10, staleAfterFailures: 8 };
  let transactions = 0;
  const tx = db.transaction.bind(db);
  (db as { transaction: Db['transaction'] }).transaction = ((fn: (...a: never[]) => unknown) => (transactions++, tx(fn))) as Db['transaction'];
  const out = checks.applyMany(
    [
      { check: { bindingId: 1, linkId: 1 }, result: { kind: 'valid' }, now },
      { check: { bindingId: 2, linkId: 2 }, result: { kind: 'invalid', code: 'POST_NOT_FOUND', reason: 'gone' }, now },
      { check: { bindingId: 3, linkId: 3 }, result: { kind: 'transient', code: 'TIMEOUT', reason: 'slow' }, now },
      { check: { bindingId: 4, linkId: 99 }, result: { kind: 'valid' }, now }, // the binding moved on to another link
    ] as Parameters<CheckStore['applyMany']>[0],
    policy,
  );
  expect(out).toEqual(['valid', 'invalid', 'valid', null]);
  expect(transactions).toBe(1);
  expect(db.prepare('SELECT status FROM bindings WHERE id = 2').get()).toEqual({ status: 'invalid' });
  expect(checks.scheduleOf(1)!.next_check_at).toBe(now + 1000);
  expect(checks.scheduleOf(3)!).toMatchObject({ next_check_at: now + 10, transient_streak: 1, last_error_code: 'TIMEOUT' });
  expect(checks.scheduleOf(4)!.next_check_at).toBe(now);
  db.close();
});
