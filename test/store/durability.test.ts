/**
 * A 201 means durable: clients append concurrently (sharing group commits), the daemon is
 * killed with SIGKILL mid-stream, and after a restart every acknowledged link is there.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nobleBackend, parsePublicKey, verifyChain } from '../../src/core/index.js';
import { TestAvatar } from '../helpers/avatar.js';
import { exited, startServe } from '../helpers/cli.js';
import { json, post } from '../helpers/daemon.js';

const dir = mkdtempSync(join(tmpdir(), 'proofkeep-durable-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('group commit durability', () => {
  it('loses no acknowledged link when the process is killed mid-ingest', { timeout: 180_000 }, async () => {
    const env = { PROOFKEEP_SERVER_WRITE_RATE_LIMIT: '0', PROOFKEEP_STORE_GROUP_COMMIT_MS: '5', PROOFKEEP_LOG_LEVEL: 'warn' };
    const first = await startServe(['--port', '0', '--data-dir', dir], env);
    const clients = Array.from({ length: 16 }, (_, i) => new TestAvatar(`durable-${i}`));
    const chains = clients.map((a) => a.chain(40));
    const acked = clients.map(() => 0);
    let killed = false;
    const run = clients.map(async (a, c) => {
      for (const link of chains[c]!) {
        if (killed) return;
        try {
          const r = await post(`${first.url}/v1/links`, { links: [{ ...link, avatar: a.id }] });
          if (r.status === 200 && r.body.accepted === 1) acked[c]!++;
        } catch {
          return; // connection died with the process
        }
      }
    });
    // Kill once a good number of links is acknowledged, while requests are still in flight.
    const deadline = Date.now() + 30_000;
    while (acked.reduce((x, y) => x + y, 0) < 100 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const health = await json(`${first.url}/healthz`);
    // Concurrent appends shared commits: fewer durable commits than appended links.
    expect(health.body.store.commits).toBeLessThan(health.body.store.appends);
    first.child.kill('SIGKILL');
    killed = true;
    await Promise.all(run);
    await exited(first.child);
    const total = acked.reduce((x, y) => x + y, 0);
    expect(total).toBeGreaterThanOrEqual(100);

    const second = await startServe(['--port', '0', '--data-dir', dir], env);
    try {
      for (const [c, a] of clients.entries()) {
        const doc = await json(`${second.url}/v1/chain/${a.id}`);
        const links = doc.status === 200 ? doc.body.links : [];
        // Every acknowledged link is there, in order; at most the in-flight one more.
        expect(links.length).toBeGreaterThanOrEqual(acked[c]!);
        expect(links.length).toBeLessThanOrEqual(acked[c]! + 1);
        expect(links.map((l: { uuid: string }) => l.uuid)).toEqual(chains[c]!.slice(0, links.length).map((l) => l.uuid));
        if (links.length) expect(verifyChain(parsePublicKey(a.id), links, { backend: nobleBackend }).problems).toEqual([]);
      }
    } finally {
      second.child.kill('SIGTERM');
      await exited(second.child);
    }
  });
});
