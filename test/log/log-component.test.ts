/**
 * The log inside the store's transactions: links and validity changes become entries in one
 * order, rejected or rolled-back changes leave no entry, the tree survives a restart without
 * being recomputed, links from before the log are carried over, and the key file is private.
 */
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckStore, type VerdictPolicy } from '../../src/checkers/check-store.js';
import { loadConfig } from '../../src/config/load.js';
import { parsePublicKey } from '../../src/core/index.js';
import { decodeEntry, encodeEntry, hashOfHashes, leafHash, linkEntry, openCheckpoint, parseVerifierKey, type Hash, type ValidityEntry } from '../../src/core/tlog/index.js';
import { logComponent, type LogComponent } from '../../src/log/index.js';
import { createLogger } from '../../src/log.js';
import { SCHEMA } from '../../src/schema.js';
import { openDatabase, Store, type Db } from '../../src/store/index.js';
import { TestAvatar } from '../helpers/avatar.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'pk-tlog-'));
  dirs.push(d);
  return d;
};

/** The log component wired to a store the way the daemon wires it (both hooks registered). */
function makeLog(dir: string, db: Db, store: Store, over: Record<string, unknown> = {}, register = true): LogComponent {
  const config = loadConfig({ env: {}, overrides: { 'store.dataDir': dir, 'log.level': 'silent', 'tlog.origin': 'unit.test/log', ...over } });
  const log = logComponent({ config: config.tlog, db, read: store.read, dataDir: dir, log: createLogger('silent') });
  if (register) {
    store.onAppend(log.onAppend!);
    store.onChange(log.onChange!);
  }
  return log;
}

function open(file: string, migrations = SCHEMA): { db: Db; store: Store } {
  const db = openDatabase({ file, migrations });
  return { db, store: new Store(db) };
}

const policy: VerdictPolicy = { nextAfterVerdict: (n) => n + 1000, nextAfterTransient: (n) => n + 10, staleAfterFailures: 3 };
const alice = new TestAvatar('tlog-unit-alice');
const key = parsePublicKey(alice.id);

describe('the log component', () => {
  it('logs links and validity changes in one order; rejected appends and repeated verdicts add nothing', async () => {
    const dir = tempDir();
    const { db, store } = open(join(dir, 'p.sqlite'));
    const log = makeLog(dir, db, store);
    await log.start!();
    const checks = new CheckStore(db, store.bindings);
    const chain = alice.chain(3);
    const out = await store.appendLinks(chain.map((link) => ({ avatar: key, link })));
    expect(out.every((o) => o.ok)).toBe(true);
    expect(log.tree.size()).toBe(3);
    // a replay is rejected inside its savepoint: no entry, no hash
    const [dup] = await store.appendLinks([{ avatar: key, link: chain[0]! }]);
    expect(dup!.ok).toBe(false);
    expect(log.tree.size()).toBe(3);
    expect(log.tree.levelHashes(0, 0, 10)).toHaveLength(3);

    const binding = store.read.binding(store.avatarRow(key.id)!.id, 'twitter', 'user1')!;
    const target = { bindingId: binding.id, linkId: binding.link_id };
    const evidence = { url: 'https://x.test/1', text: 'no such post', fetchedAt: 1_800_000_000 };
    checks.apply(target, { kind: 'invalid', code: 'POST_NOT_FOUND', reason: 'gone', evidence }, 1_800_000_000, policy);
    checks.apply(target, { kind: 'invalid', code: 'POST_NOT_FOUND', reason: 'gone', evidence }, 1_800_000_100, policy);
    checks.apply(target, { kind: 'valid', evidence: null }, 1_800_000_200, policy);
    checks.apply(target, { kind: 'valid', evidence: null }, 1_800_000_300, policy);
    expect(log.tree.size()).toBe(5);
    const down = log.tree.entry(3) as ValidityEntry;
    expect(down).toMatchObject({ kind: 'validity', avatar: alice.id, platform: 'twitter', identity: 'user1', link_index: 1, change: 'downgrade', outcome: 'POST_NOT_FOUND', checked_at: 1_800_000_000 });
    expect(down.evidence_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(log.tree.entry(4)).toMatchObject({ kind: 'validity', change: 'restore', outcome: 'valid', evidence_sha256: null });
    // what was said about the binding, in order: found by its link
    expect(log.tree.indexesOf('validity', binding.link_id)).toEqual([3, 4]);

    // the feed is the log: id = index + 1, links and validity changes interleaved
    const feed = log.api!.tlog!.feed(0, 100);
    expect(feed.map((e) => [e.id, e.kind])).toEqual([[1, 'link'], [2, 'link'], [3, 'link'], [4, 'validity'], [5, 'validity']]);
    expect(log.api!.tlog!.feed(3, 1).map((e) => decodeEntry(e.entry).kind)).toEqual(['validity']);

    // a KV write reported by its writer inside its transaction is an entry too
    db.transaction(() => store.changed({
      kind: 'kv', id: 7, avatar: alice.id, platform: 'nextid', identity: alice.id, uuid: 'k-1', created_at: 1_800_000_400, sign_payload: '{"version":"1"}', signature: 'c2ln',
    }))();
    expect(log.tree.entry(5)).toMatchObject({ kind: 'kv', uuid: 'k-1', sign_payload: '{"version":"1"}' });
    expect(log.tree.indexOf('kv', 7)).toBe(5);
    expect(() => store.changed({ kind: 'kv', id: 8, avatar: alice.id, platform: 'nextid', identity: alice.id, uuid: 'k-2', created_at: 1, sign_payload: '', signature: '' })).toThrow(/transaction/);
    expect(log.tree.size()).toBe(6);

    // a change whose hook throws is rolled back with its entry
    expect(() => db.transaction(() => {
      log.tree.append({ ...down, checked_at: 1 }, null);
      throw new Error('later failure');
    })()).toThrow('later failure');
    expect(log.tree.size()).toBe(6);
    await log.stop!();
    await store.close();
  });

  it('keeps its tree and checkpoints across a restart without recomputing, and signs one at shutdown', async () => {
    const dir = tempDir();
    let { db, store } = open(join(dir, 'p.sqlite'));
    let log = makeLog(dir, db, store, { 'tlog.checkpointIntervalMs': 86_400_000 });
    await log.start!();
    expect(log.checkpoints.current()!.size).toBe(0); // one at start, so /checkpoint always answers
    await store.appendLinks(alice.chain(4, 1_700_000_000, 'restart').map((link) => ({ avatar: key, link })));
    await log.stop!(); // shutdown checkpoint covers the appends
    const note = log.checkpoints.current()!.note;
    const root = log.tree.root(4);
    expect(openCheckpoint(note, 'unit.test/log', [parseVerifierKey(log.verifierKey)]).checkpoint.size).toBe(4);
    await store.close();

    const keyFile = join(dir, 'log.key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    ({ db, store } = open(join(dir, 'p.sqlite')));
    log = makeLog(dir, db, store, { 'tlog.origin': '' }); // origin taken from the key file
    expect(log.origin).toBe('unit.test/log');
    expect(log.tree.catchUp()).toBe(0);
    expect(log.tree.root(4)).toEqual(root);
    expect(log.checkpoints.current()!.note).toBe(note);
    expect(() => makeLog(dir, db, store, { 'tlog.origin': 'other.test/log' }, false)).toThrow(/origin/);
    chmodSync(keyFile, 0o640);
    expect(() => makeLog(dir, db, store, {}, false)).toThrow(/chmod 600/);
    chmodSync(keyFile, 0o600);
    expect(() => makeLog(dir, db, store, { 'tlog.keyFile': join(dir, 'missing.key') }, false)).toThrow(/does not exist/);

    // a tree that no longer extends the last checkpoint (here: a stored hash damaged) is never signed
    const bob = new TestAvatar('tlog-unit-bob');
    const more = await store.appendLinks(bob.chain(2, 1_700_000_100, 'restart-more').map((link) => ({ avatar: parsePublicKey(bob.id), link })));
    expect(more.every((o) => o.ok)).toBe(true);
    db.prepare('UPDATE log_hashes SET hash = zeroblob(32) WHERE level = 0 AND idx = 1').run();
    expect(log.checkpoints.sign()!.size).toBe(4);
    expect(log.checkpoints.health()!.error).toMatch(/not consistent with checkpoint 4; refusing to sign/);
    expect(db.prepare('SELECT max(size) AS n FROM log_checkpoints').get()).toEqual({ n: 4 });
    await store.close();
  });

  it('carries links accepted before the log into it, in feed order, with their hashes and tile roll-ups', async () => {
    const dir = tempDir();
    const file = join(dir, 'p.sqlite');
    const old = open(file, SCHEMA.filter((m) => m.name !== 'log' && m.name !== 'log-avatar-index')).store;
    const chain = alice.chain(260, 1_700_000_000, 'before');
    await old.appendLinks(chain.map((link) => ({ avatar: key, link })));
    await old.close();
    const { db, store } = open(file);
    const log = makeLog(dir, db, store);
    await log.start!();
    expect(log.tree.size()).toBe(260);
    const leaves: Hash[] = chain.map((l) => leafHash(encodeEntry(linkEntry(alice.id, l))));
    expect(log.tree.root(260)).toEqual(hashOfHashes(leaves));
    expect(log.tree.levelHashes(1, 0, 5)).toHaveLength(1);
    await log.stop!();
    await store.close();
  });
});
