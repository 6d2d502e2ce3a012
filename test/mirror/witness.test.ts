/**
 * A mirror witnesses its upstream's log: it rebuilds the tree from the entry bundles, cosigns
 * consistent checkpoints (C2SP tlog-cosignature), answers add-checkpoint per tlog-witness, and
 * raises a durable alarm with both signed notes when the upstream starts serving a forked log
 * (a second origin with the same key and another history, behind the same proxy URL).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openCheckpoint, parseCosignerKey, parseVerifierKey, verifyCosignatures } from '../../src/core/tlog/index.js';
import { json, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { startFork, startSwitchProxy, type SwitchProxy } from './fork.js';
import { health, populate, until } from './helpers.js';

let a: TestDaemon;
let b: TestDaemon;
let mirror: TestDaemon;
let proxy: SwitchProxy;
let proxyUrl = '';
const ADMIN = 'witness-admin-token-0123456789';

beforeAll(async () => {
  a = await startDaemon({ 'crypto.workers': 1, 'tlog.checkpointIntervalMs': 50 });
  // The upstream URL the mirror knows: whatever this proxy forwards to.
  proxy = await startSwitchProxy(a.url);
  proxyUrl = proxy.url;
  const vkey = (await health(a.url)).tlog.verifier_key as string;
  mirror = await startDaemon({
    'crypto.workers': 1, 'mirror.upstream': proxyUrl, 'mirror.pollIntervalMs': 50, 'mirror.backoffBaseMs': 20, 'mirror.backoffMaxMs': 200,
    'mirror.upstreamVerifierKey': vkey, 'mirror.witnessName': 'mirror.test/witness', 'server.adminToken': ADMIN,
  });
}, 120_000);
afterAll(async () => {
  await mirror?.stop();
  await b?.stop();
  await a?.stop();
  await proxy?.close();
});

const addCheckpoint = (body: string) => fetch(`${mirror.url}/add-checkpoint`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body });

it('cosigns its upstream\'s checkpoints once it has rebuilt the same root', async () => {
  await populate(a.url, 'wa', 3, 4);
  const size = (await health(a.url)).tlog.size as number;
  const h = await until('cosigned', () => health(mirror.url), (x) => x.mirror?.witness?.cosigned?.size === size);
  const w = h.mirror.witness;
  expect(w.alarm).toBeNull();
  expect(w.rebuilt_size).toBe(size);
  const upstream = parseVerifierKey(w.upstream_verifier_key);
  const note = await fetch(`${mirror.url}/v1/mirror/checkpoint`).then((r) => r.text());
  const { checkpoint } = openCheckpoint(note, upstream.name, [upstream]);
  expect(checkpoint.size).toBe(size);
  const { timestamps } = verifyCosignatures(note, parseCosignerKey(w.cosigner_key));
  expect(timestamps).toHaveLength(1);
  expect(Math.abs(timestamps[0]! - Date.now() / 1000)).toBeLessThan(600);
  // The key is private to its file.
  const { statSync } = await import('node:fs');
  expect(statSync(join(mirror.dir, 'witness.key')).mode & 0o077).toBe(0);
});

it('answers add-checkpoint per tlog-witness: 409 with its size, 400, 403, 404', async () => {
  const ours = (await health(mirror.url)).mirror.witness.cosigned.size as number;
  const note = await fetch(`${a.url}/checkpoint`).then((r) => r.text());
  const stale = await addCheckpoint(`old 0\n\n${note}`);
  expect(stale.status).toBe(409);
  expect(stale.headers.get('content-type')).toBe('text/x.tlog.size');
  expect(await stale.text()).toBe(`${ours}\n`);

  const bad = await addCheckpoint('nonsense');
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as { code: string }).code).toBe('BAD_REQUEST');

  const other = await startDaemon({ 'crypto.workers': 1, 'tlog.origin': 'other.test/log' });
  try {
    const foreign = await fetch(`${other.url}/checkpoint`).then((r) => r.text());
    expect((await addCheckpoint(`old ${ours}\n\n${foreign}`)).status).toBe(404);
    // The right origin line signed by another key: no trusted signature verifies.
    const upstreamOrigin = note.split('\n')[0]!;
    const impostor = await startDaemon({ 'crypto.workers': 1, 'tlog.origin': upstreamOrigin });
    try {
      const forged = await fetch(`${impostor.url}/checkpoint`).then((r) => r.text());
      const r = await addCheckpoint(`old ${ours}\n\n${forged}`);
      expect(r.status).toBe(403);
      expect(((await r.json()) as { code: string }).code).toBe('SIGNATURE_MISMATCH');
    } finally {
      await impostor.stop();
    }
  } finally {
    await other.stop();
  }
  expect((await health(mirror.url)).mirror.witness.alarm).toBeNull();
});

it('raises the alarm with both signed notes when the upstream serves a forked log, and stops following', async () => {
  const before = (await health(mirror.url)).mirror.witness.cosigned.size as number;
  // Same key, same origin, another history.
  b = await startFork(a, before);
  const origin = (await health(a.url)).tlog.origin as string;
  proxy.point(b.url);

  const h = await until('alarm', () => health(mirror.url), (x) => x.mirror?.witness?.alarm !== null);
  expect(['root_mismatch', 'fork']).toContain(h.mirror.witness.alarm.kind);
  const ev = await json(`${mirror.url}/v1/mirror/alarms`);
  const alarm = ev.body.alarms[0];
  const key = parseVerifierKey(h.mirror.witness.upstream_verifier_key);
  // The evidence: two checkpoints signed by the log's key that cannot both be true.
  const older = openCheckpoint(alarm.note_a, origin, [key]).checkpoint;
  const newer = openCheckpoint(alarm.note_b, origin, [key]).checkpoint;
  expect(older.size).toBe(before);
  expect(newer.size).toBeGreaterThan(before);
  const metrics = await fetch(`${mirror.url}/metrics`).then((r) => r.text());
  expect(metrics).toMatch(/^proofkeep_mirror_witness_alarm 1$/m);
  // No more cosigning until the operator acts; the cosigned state did not move.
  const note = await fetch(`${b.url}/checkpoint`).then((r) => r.text());
  expect((await addCheckpoint(`old ${before}\n\n${note}`)).status).toBe(503);
  expect((await health(mirror.url)).mirror.witness.cosigned.size).toBe(before);
});

it('keeps the alarm across a restart, and clears it only on the operator\'s authenticated action', async () => {
  const dir = mirror.dir;
  const vkey = (await health(mirror.url)).mirror.witness.upstream_verifier_key;
  await mirror.daemon.stop();
  mirror = await startDaemon({
    'crypto.workers': 1, 'mirror.upstream': proxyUrl, 'mirror.pollIntervalMs': 50, 'mirror.upstreamVerifierKey': vkey,
    'mirror.witnessName': 'mirror.test/witness', 'server.adminToken': ADMIN,
  }, { dir });
  expect((await health(mirror.url)).mirror.witness.alarm).not.toBeNull();
  const clear = (auth: string, body: unknown) =>
    fetch(`${mirror.url}/v1/mirror/alarm/clear`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: auth }, body: JSON.stringify(body) });
  const denied = await clear('Bearer wrong', {});
  expect(denied.status).toBe(401);
  expect(((await denied.json()) as { code: string }).code).toBe('UNAUTHORIZED');
  expect((await clear(`Bearer ${ADMIN}`, { reset: 'yes' })).status).toBe(400);
  expect((await health(mirror.url)).mirror.witness.alarm).not.toBeNull();
  // The operator decided to witness the new history from scratch.
  const ok = await clear(`Bearer ${ADMIN}`, { reset: true });
  expect(ok.status).toBe(200);
  const size = (await health(b.url)).tlog.checkpoint.size as number;
  const h = await until('re-witnessed', () => health(mirror.url), (x) => x.mirror.witness.cosigned?.size >= size);
  expect(h.mirror.witness.alarm).toBeNull();
  const ev = await json(`${mirror.url}/v1/mirror/alarms`);
  expect(ev.body.alarms[0].cleared_at).not.toBeNull();
});
