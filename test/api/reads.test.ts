/**
 * Reads never write: a burst of GETs on a daemon holding bindings commits nothing (no write
 * transaction, so no fsync), seen from a second connection to the file (PRAGMA data_version
 * changes when another connection commits) and from the WAL's bytes.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TestAvatar } from '../helpers/avatar.js';
import { json, post, startDaemon, type TestDaemon } from '../helpers/daemon.js';

let d: TestDaemon;
const a = new TestAvatar('reads-never-write');

beforeAll(async () => {
  // The log signs a checkpoint up to checkpointIntervalMs after the appends above: a background
  // write, not a read's. Pushed out of this test's way.
  d = await startDaemon({ 'tlog.checkpointIntervalMs': 86_400_000 });
  for (const identity of ['reads_one', 'reads_two', 'reads_three']) {
    const p = await post(`${d.url}/v1/proof/payload`, { action: 'create', platform: 'twitter', identity, public_key: a.id });
    const r = await post(`${d.url}/v1/proof`, {
      action: 'create', platform: 'twitter', identity, public_key: a.id, proof_location: '1', uuid: p.body.uuid,
      created_at: p.body.created_at, extra: { signature: a.sign(p.body.sign_payload) },
    });
    expect(r.status).toBe(201);
  }
});
afterAll(() => d?.stop());

it('a burst of reads commits nothing', async () => {
  const file = join(d.dir, 'proofkeep.sqlite');
  const wal = () => (existsSync(`${file}-wal`) ? createHash('sha256').update(readFileSync(`${file}-wal`)).digest('hex') : '');
  const other = new Database(file, { readonly: true });
  try {
    const version = () => other.pragma('data_version', { simple: true }) as number;
    const v0 = version();
    const w0 = wal();
    const reads = [
      `/v1/proof?platform=twitter&identity=reads_one&exact=true`,
      `/v1/proof?platform=twitter&identity=reads`,
      `/v1/proof?platform=nextid&identity=${a.id}`,
      `/v1/proof/exists?platform=twitter&identity=reads_two&public_key=${a.id}`,
      `/v1/proofchain?avatar=${a.id}`,
      `/v1/proofchain/changes?last_id=0&count=10`,
      `/v1/chain/${a.id}`,
      `/v1/proof/evidence?platform=twitter&identity=reads_three&public_key=${a.id}`,
      '/healthz',
      '/metrics',
    ];
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => json(`${d.url}${reads[i % reads.length]}`)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    // the proof queries served the Avatar's bindings (so the read-hint path ran)
    expect(results[0]!.body.ids[0].proofs).toHaveLength(3);
    expect(results[1]!.body.ids[0].proofs).toHaveLength(3);
    expect(version()).toBe(v0);
    expect(wal()).toBe(w0);
    // and the check: a write is seen by the same means
    const p = await post(`${d.url}/v1/proof/payload`, { action: 'create', platform: 'twitter', identity: 'reads_four', public_key: a.id });
    const r = await post(`${d.url}/v1/proof`, {
      action: 'create', platform: 'twitter', identity: 'reads_four', public_key: a.id, proof_location: '1', uuid: p.body.uuid,
      created_at: p.body.created_at, extra: { signature: a.sign(p.body.sign_payload) },
    });
    expect(r.status).toBe(201);
    expect(version()).not.toBe(v0);
    expect(wal()).not.toBe(w0);
  } finally {
    other.close();
  }
});
