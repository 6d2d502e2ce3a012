/**
 * The crash window between "links committed" and "cursor committed": a page applied again from
 * an old cursor (what a restart after that crash does) stores nothing twice and adds no fault
 * twice. Real SQLite file, real follower, no HTTP.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { inlineVerifier } from '../../src/crypto/verifier.js';
import { nobleBackend, toProofchainItem } from '../../src/core/index.js';
import { MirrorFollower, MirrorState } from '../../src/mirror/index.js';
import { openAll } from '../helpers/db.js';
import { avatarOf, makeChain, secretKey, signLink, tempDir, uuidFor } from '../audit/helpers.js';

const tmp = tempDir('pk-mirror-replay-');
afterAll(() => tmp.cleanup());

describe('mirror: replaying a page after a crash', () => {
  it('is idempotent for stored links and for quarantined ones', async () => {
    const file = join(tmp.dir, 'm.sqlite');
    const { db, store } = openAll(file, { groupCommitMs: 0 });
    try {
      const sk = secretKey('replay');
      const av = avatarOf(sk).id;
      const chain = makeChain(sk, 6, 'rp');
      const fork = signLink(sk, chain[2]!.signature, { identity: 'rp_fork', uuid: uuidFor('rpf'), created_at: 1_700_000_777 });
      const page = [...chain.slice(0, 4), fork, ...chain.slice(4)].map((l, i) => ({ id: i + 1, avatar: av, ...toProofchainItem(l) }));
      const state = new MirrorState(db, 'http://upstream.invalid');
      const cfg = { upstream: 'http://upstream.invalid', pageSize: 100, pollIntervalMs: 1000, backoffBaseMs: 10, backoffMaxMs: 10, timeoutMs: 1000, maxPageBytes: 1 << 20, upstreamVerifierKey: '', witnessName: '', witnessKeyFile: '' };
      const follower = new MirrorFollower(store, inlineVerifier(nobleBackend), state, cfg, pino({ level: 'silent' }));
      const signal = new AbortController().signal;

      const first = await follower.applyPage(page, 0, signal);
      expect(first).toMatchObject({ received: 7, stored: 6, existed: 0, quarantined: 1 });
      const count = () => db.prepare('SELECT count(*) AS n FROM links').get() as { n: number };
      expect(count().n).toBe(6);
      expect(state.cursor()).toBe(7);
      expect(state.faults(0, 10).map((f) => [f.upstream_id, f.code])).toEqual([[5, 'FORK']]);

      // as if the cursor had not been committed: the same page from cursor 0
      const again = await follower.applyPage(page, 0, signal);
      expect(again).toMatchObject({ stored: 0, existed: 6 });
      expect(count().n).toBe(6);
      expect(state.faultCount()).toBe(1);
      expect(state.cursor()).toBe(7);
    } finally {
      await store.close();
      rmSync(file, { force: true });
    }
  });
});
