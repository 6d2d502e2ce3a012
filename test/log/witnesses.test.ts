/**
 * The origin submits each new checkpoint to its configured witness (a proofkeep mirror, over
 * add-checkpoint) and publishes the cosigned checkpoint at /checkpoint.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  cosignerOf, ed25519NoteKey, formatCosignerKey, formatSignerKey, generateSeed, openCheckpoint, verifyCosignatures,
} from '../../src/core/tlog/index.js';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { startSwitchProxy, type SwitchProxy } from '../mirror/fork.js';
import { health, populate, until } from '../mirror/helpers.js';

const ORIGIN = 'origin.test/log';
const WITNESS = 'witness.test/w1';
const logSeed = generateSeed();
const witnessSeed = generateSeed();
const originDir = mkdtempSync(join(tmpdir(), 'proofkeep-origin-'));
const mirrorDir = mkdtempSync(join(tmpdir(), 'proofkeep-witness-'));
let origin: TestDaemon;
let mirror: TestDaemon;
let proxy: SwitchProxy;

beforeAll(async () => {
  writeFileSync(join(originDir, 'log.key'), `${formatSignerKey(ORIGIN, logSeed)}\n`, { mode: 0o600 });
  writeFileSync(join(mirrorDir, 'witness.key'), `${formatSignerKey(WITNESS, witnessSeed)}\n`, { mode: 0o600 });
  // The mirror must know its upstream's URL before the origin (which needs the mirror's URL) starts.
  proxy = await startSwitchProxy('http://127.0.0.1:9');
  mirror = await startDaemon({
    'crypto.workers': 1, 'mirror.upstream': proxy.url, 'mirror.pollIntervalMs': 50,
    'mirror.backoffBaseMs': 20, 'mirror.backoffMaxMs': 200, 'mirror.upstreamVerifierKey': ed25519NoteKey(ORIGIN, logSeed).verifierKey,
  }, { dir: mirrorDir, keepDir: true });
  const cosignerKey = (await health(mirror.url)).mirror.witness.cosigner_key as string;
  expect(cosignerKey).toBe(formatCosignerKey(cosignerOf(ed25519NoteKey(WITNESS, witnessSeed))));
  origin = await startDaemon({
    'crypto.workers': 1, 'tlog.checkpointIntervalMs': 50, 'tlog.origin': ORIGIN, 'tlog.keyFile': join(originDir, 'log.key'),
    'tlog.witnesses': [`${cosignerKey} ${mirror.url}`],
  }, { dir: originDir, keepDir: true });
  proxy.point(origin.url);
}, 120_000);
afterAll(async () => {
  await origin?.stop();
  await mirror?.stop();
  await proxy?.close();
  rmSync(originDir, { recursive: true, force: true });
  rmSync(mirrorDir, { recursive: true, force: true });
});

it('publishes its checkpoint with the witness\'s verified cosignature', async () => {
  await populate(origin.url, 'ow', 2, 3);
  const size = (await health(origin.url)).tlog.size as number;
  const cosigner = cosignerOf(ed25519NoteKey(WITNESS, witnessSeed));
  const note = await until('cosigned checkpoint', () => fetch(`${origin.url}/checkpoint`).then((r) => r.text()), (n) => {
    try {
      return n.split('\n')[1] === String(size) && verifyCosignatures(n, cosigner).timestamps.length === 1;
    } catch {
      return false;
    }
  });
  // Still a valid checkpoint for clients that only know the log's key.
  expect(openCheckpoint(note, ORIGIN, [ed25519NoteKey(ORIGIN, logSeed).verifier]).checkpoint.size).toBe(size);
  const h = await health(origin.url);
  expect(h.tlog.witnesses).toEqual([expect.objectContaining({ url: mirror.url, cosigner_key: formatCosignerKey(cosigner), size, error: null })]);
});
