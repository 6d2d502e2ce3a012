/**
 * The pinning service target inside the real daemon (real Helia, real SQLite, Arweave off), the
 * token from PROOFKEEP_PINNING_SERVICE_TOKEN: a link's version ends pinned on the fake service,
 * and its state shows in GET /v1/chain/:avatar/archive and in /healthz's archive section. Every
 * log line (debug level) is kept and checked for the token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import '../../src/polyfills.js';
import { loadConfig } from '../../src/config/load.js';
import { Daemon } from '../../src/daemon.js';
import { createLogger } from '../../src/log.js';
import { TestAvatar } from '../helpers/avatar.js';
import { json, post } from '../helpers/daemon.js';
import { FakePinningService } from './pinsvc-fake.js';
import { waitFor } from './helpers.js';

const TOKEN = 'psa-daemon-token-91b2c3d4';
const lines: string[] = [];
let dir: string;
let fake: FakePinningService;
let daemon: Daemon;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pk-pinsvc-daemon-'));
  fake = await new FakePinningService(TOKEN).start();
  const config = loadConfig({
    env: { PROOFKEEP_PINNING_SERVICE_TOKEN: TOKEN },
    overrides: {
      'store.dataDir': dir, 'server.port': 0, 'log.level': 'debug', 'server.writeRateLimit': 0,
      'checkers.enabled': false, 'checkers.verifyOnSubmit': false,
      'archive.enabled': true, 'archive.arweave.enabled': false, 'archive.pollMs': 20, 'archive.coalesceMs': 0,
      'archive.pinningService.url': `${fake.url}/`, 'archive.pinningService.pollMs': 20,
    },
  });
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  daemon = await Daemon.start(config, { log: createLogger('debug', sink) });
});
afterAll(async () => {
  await daemon?.stop();
  await fake?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('daemon with a pinning service', () => {
  it('pins each version there and reports the state per version and in /healthz', { timeout: 120_000 }, async () => {
    const a = new TestAvatar('pinsvc-daemon');
    const links = a.chain(2);
    expect((await post(`${daemon.url}/v1/links`, { links: links.map((l) => ({ ...l, avatar: a.id })) })).body.accepted).toBe(2);
    const v = await waitFor('pinned on the service', async () => {
      const last = (await json(`${daemon.url}/v1/chain/${a.id}/archive`)).body.versions?.at(-1);
      return last?.links === 2 && last.pinning_service_status === 'pinned' ? last : null;
    });
    expect(v.ipfs_status).toBe('pinned');
    expect(fake.pins.get(v.pinning_service_request_id)).toMatchObject({ cid: v.cid, status: 'pinned' });
    expect(fake.requests.every((r) => r.auth === `Bearer ${TOKEN}`)).toBe(true);
    const h = (await json(`${daemon.url}/healthz`)).body.archive;
    expect(h.pinning_service).toMatchObject({ enabled: true, url: fake.url, pinned: 1, failed: 0 });
    expect(JSON.stringify(h)).not.toContain(TOKEN);
    expect(lines.some((l) => l.includes('pinning every version on the pinning service'))).toBe(true);
    for (const l of lines) expect(l).not.toContain(TOKEN);
  });
});
