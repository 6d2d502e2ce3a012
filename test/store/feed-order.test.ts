/**
 * The links feed (GET /v1/links/feed, a mirror's `id > cursor`) must become visible in id order
 * whichever daemon appends: on PostgreSQL a link's id comes from a sequence before its commit,
 * so an append holds the feed lock from before its first insert to its commit, and another
 * connection's append waits for it. Probed here from inside an append's transaction (its hook):
 * another connection can neither take the feed lock nor see a link after this one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nobleBackend, parsePublicKey, verifyLink } from '../../src/core/index.js';
import { SCHEMA } from '../../src/schema.js';
import { lockKeys, openDatabase, Store, type AppendItem } from '../../src/store/index.js';
import { PgDb } from '../../src/store/postgres.js';
import { TestAvatar } from '../helpers/avatar.js';
import { freshDatabase, startPgServer, testEngine, type PgServer } from '../helpers/postgres.js';
import { codeOf } from '../helpers/errors.js';

let own: PgServer | undefined;
let url = '';

beforeAll(async () => {
  const engine = testEngine();
  // In the sqlite project this file brings its own server: the ordering question exists on PostgreSQL only.
  if (engine.engine !== 'postgres') own = await startPgServer();
  url = freshDatabase(engine.engine === 'postgres' ? engine.baseUrl : own!.url);
  openDatabase({ engine: 'postgres', url, migrations: SCHEMA }).close();
}, 120_000);

afterAll(() => own?.stop());

const items = (a: TestAvatar, n: number, tag: string): AppendItem[] =>
  a.chain(n, 1_700_000_000, tag).map((l) => ({ avatar: parsePublicKey(a.id), link: verifyLink(parsePublicKey(a.id), l, { backend: nobleBackend }) }));


describe('links feed order across connections (PostgreSQL)', () => {
  it('an append holds the feed lock until it commits; ids become visible in order', async () => {
    const first = openDatabase({ engine: 'postgres', url, migrations: SCHEMA });
    // gives up quickly: the first connection's hook, waiting on it, holds the JS thread
    const other = new PgDb({ url, statementTimeoutMs: 500, connectTimeoutMs: 5000 });
    const reader = new PgDb({ url, statementTimeoutMs: 5000, connectTimeoutMs: 5000 });
    const store = new Store(first);
    try {
      let probe = '';
      let visible: number[] = [];
      store.onAppend((ev) => {
        if (probe) return;
        probe = codeOf(() => other.transaction(() => lockKeys(other, 'feed', ['links']))());
        visible = (reader.prepare('SELECT id FROM links WHERE id >= ?').all(ev.linkId) as Array<{ id: number }>).map((r) => r.id);
      });
      const out = await store.appendLinks(items(new TestAvatar('feed-order-x'), 2, 'x'));
      expect(out.every((o) => o.ok)).toBe(true);
      expect(probe).toBe('UNAVAILABLE'); // waited for this append's commit, and timed out
      expect(visible).toEqual([]);
      // once committed, the other connection appends, after it
      const later = await new Store(other).appendLinks(items(new TestAvatar('feed-order-y'), 1, 'y'));
      expect(later[0]!.ok && out.every((o) => o.ok && later[0]!.ok && later[0]!.linkId > o.linkId)).toBe(true);
    } finally {
      first.close();
      other.close();
      reader.close();
    }
  });
});
