import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nobleBackend, parsePublicKey, verifyLink } from '../../src/core/index.js';
import { Store } from '../../src/store/index.js';
import type { AvatarRow } from '../../src/store/rows.js';
import { TestAvatar, uuidFrom } from '../helpers/avatar.js';

// queryAvatars pages a few matches in memory and many in SQL: both must give SQL's answer.
describe('GET /v1/proof search paging', () => {
  let dir: string;
  let s: Store;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'proofkeep-paging-'));
    s = Store.open({ file: join(dir, 'index.sqlite') });
    // 80 Avatars bind the same twitter identity, 6 of them (all activated at one time) also "few_match"; times
    // repeat (every 7th Avatar shares one) so the id breaks ties.
    for (let i = 0; i < 80; i++) {
      const a = new TestAvatar(`paging-${i}`);
      const created = 1_700_000_000 + (i % 7 === 0 ? 0 : i);
      const first = a.link({ prev: null, platform: 'twitter', identity: 'shared_name', uuid: uuidFrom(`p${i}`), created_at: created });
      const links = [first];
      if (i % 14 === 0) links.push(a.link({ prev: first.signature, platform: 'twitter', identity: 'few_match', uuid: uuidFrom(`q${i}`), created_at: created + 1 }));
      const av = parsePublicKey(a.id);
      const out = await s.appendLinks(links.map((link) => ({ avatar: av, link: verifyLink(av, link, { backend: nobleBackend }), idempotent: true })));
      expect(out.every((o) => o.ok)).toBe(true);
    }
  });
  afterAll(async () => {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** What SQL's ORDER BY activated_at, id gives, computed from every matching row. */
  const reference = (ids: number[], order: 'asc' | 'desc', offset: number, limit: number): number[] => {
    const rows = ids.map((id) => s.read.avatarById(id)!);
    rows.sort((a: AvatarRow, b: AvatarRow) => a.activated_at - b.activated_at || a.id - b.id);
    if (order === 'desc') rows.reverse();
    return rows.slice(offset, offset + limit).map((r) => r.id);
  };

  it('gives the same pages and totals for few matches (in memory) and many (SQL)', () => {
    const all = (identity: string, exact: boolean) =>
      s.read.queryAvatars({ identities: [identity], platform: 'twitter', exact, offset: 0, limit: 1000, order: 'asc' }).avatars.map((a) => a.id);
    for (const [identity, exact, n] of [['shared_name', true, 80], ['few_match', true, 6], ['shared', false, 80], ['few_m', false, 6]] as const) {
      const ids = all(identity, exact);
      expect(ids, identity).toHaveLength(n);
      for (const order of ['asc', 'desc'] as const) {
        for (const offset of [0, 3, 20, 60, 79, 80, 200]) {
          const got = s.read.queryAvatars({ identities: [identity], platform: 'twitter', exact, offset, limit: 20, order });
          expect(got.total, `${identity} ${order} ${offset}`).toBe(n);
          expect(got.avatars.map((a) => a.id), `${identity} ${order} ${offset}`).toEqual(reference(ids, order, offset, 20));
        }
      }
    }
  });

  it('answers the proof route\'s columns in the binding order of bindingsOf', () => {
    const id = s.read.queryAvatars({ identities: ['few_match'], platform: 'twitter', exact: true, offset: 0, limit: 1, order: 'asc' }).avatars[0]!.id;
    const full = s.read.bindingsOf(id);
    expect(full).toHaveLength(2);
    expect(s.read.proofItems(id)).toEqual(
      full.map((b) => ({ id: b.id, platform: b.platform, identity: b.identity, alt_id: b.alt_id, created_at: b.created_at, last_checked_at: b.last_checked_at, is_valid: b.is_valid, invalid_reason: b.invalid_reason, invalid_code: b.invalid_code, status: b.status })),
    );
  });
});
