/**
 * GET /metrics, scraped from real daemons: an origin that takes links (request counts and
 * latency per route template, links accepted and rejected per code, the verify pool, the
 * archive queue, checker outcomes, event-loop delay) and a mirror following it (its lag).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestAvatar } from '../helpers/avatar.js';
import { json, post, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { populate, until } from '../mirror/helpers.js';

let origin: TestDaemon;
let mirror: TestDaemon;

async function scrape(d: TestDaemon): Promise<{ type: string; text: string; value(name: string, labels?: Record<string, string>): number | undefined }> {
  const res = await fetch(`${d.url}/metrics`);
  expect(res.status).toBe(200);
  const text = await res.text();
  return {
    type: res.headers.get('content-type') ?? '',
    text,
    value(name, labels = {}) {
      for (const line of text.split('\n')) {
        const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
        if (!m || m[1] !== name) continue;
        const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
        if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
      }
      return undefined;
    },
  };
}

beforeAll(async () => {
  // The archive's outbox on, its IPFS node and Arweave off, and a coalesce window longer than
  // the test: the queue fills and stays as it is while it is measured.
  origin = await startDaemon({
    'archive.enabled': true, 'archive.ipfs.enabled': false, 'archive.arweave.enabled': false, 'archive.ipfs.gateway': false,
    'archive.coalesceMs': 3_600_000,
  });
});
afterAll(async () => {
  await mirror?.stop();
  await origin?.stop();
});

describe('GET /metrics', () => {
  it('counts requests per route template, links per outcome and code, and shows the queues', async () => {
    const before = await scrape(origin);
    expect(before.type).toMatch(/^text\/plain; version=0\.0\.4/);
    const { links } = await populate(origin.url, 'metrics', 3, 4);
    const bad = await post(`${origin.url}/v1/links`, { links: [{ avatar: 'not-a-key', action: 'create' }] });
    expect(bad.status).toBe(200);
    const rejectedCode = bad.body.results[0].code as string;
    // one link per request: accepted, refused by the schema, refused by the verifier
    const a = new TestAvatar('metrics-one');
    expect((await a.bind(origin.url, 'twitter', 'metrics_one')).status).toBe(201);
    expect((await post(`${origin.url}/v1/proof`, { action: 'create' })).status).toBe(400);
    const forged = await new TestAvatar('metrics-two').bind(origin.url, 'ethereum', '0x0000000000000000000000000000000000000001');
    expect(forged.status).toBe(400);
    for (let i = 0; i < 3; i++) expect((await json(`${origin.url}/v1/proofchain?avatar=nonsense${i}`)).status).toBe(400);
    expect((await json(`${origin.url}/no/such/route/${'x'.repeat(10)}`)).status).toBe(404);

    const m = await scrape(origin);
    expect(m.value('proofkeep_links_total', { outcome: 'accepted', code: '' })).toBe(links + 1);
    const rejected = (code: string) => m.value('proofkeep_links_total', { outcome: 'rejected', code }) ?? 0;
    expect(rejected('BAD_REQUEST')).toBe(1 + (rejectedCode === 'BAD_REQUEST' ? 1 : 0));
    expect(rejected(forged.body.code)).toBe(1 + (rejectedCode === forged.body.code ? 1 : 0));
    if (rejectedCode !== 'BAD_REQUEST' && rejectedCode !== forged.body.code) expect(rejected(rejectedCode)).toBe(1);
    expect(m.value('proofkeep_http_requests_total', { method: 'GET', route: '/v1/proofchain', status: '400' })).toBe(3);
    expect(m.value('proofkeep_http_request_duration_seconds_count', { method: 'GET', route: '/v1/proofchain' })).toBe(3);
    expect(m.value('proofkeep_http_request_duration_seconds_bucket', { method: 'GET', route: '/v1/proofchain', le: '+Inf' })).toBe(3);
    // the raw path of an unknown URL never becomes a label
    expect(m.value('proofkeep_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(m.text).not.toContain('/no/such/route');
    // one job per accepted link, none due yet
    expect(m.value('proofkeep_archive_queue_depth')).toBe(links + 1);
    expect(m.value('proofkeep_archive_oldest_pending_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(m.value('proofkeep_verify_queue_chunks')).toBe(0);
    expect(m.value('proofkeep_verify_links_verified')).toBeGreaterThanOrEqual(links);
    expect(m.value('proofkeep_store_links')).toBe(links + 1);
    expect(m.text).toContain('# TYPE proofkeep_checks_total counter');
    expect(m.value('proofkeep_event_loop_delay_seconds', { quantile: '0.99' })).toBeGreaterThan(0);
  });

  it('a mirror reports its lag and what it is behind', async () => {
    mirror = await startDaemon({ 'mirror.upstream': origin.url, 'mirror.pollIntervalMs': 50 });
    const links = (await scrape(origin)).value('proofkeep_store_links');
    expect(links).toBeGreaterThan(0);
    const m = await until('the mirror to hold every link and be caught up', () => scrape(mirror),
      (s) => s.value('proofkeep_store_links') === links && s.value('proofkeep_mirror_lag_seconds') === 0);
    expect(m.value('proofkeep_mirror_behind_links')).toBe(0);
    expect(m.value('proofkeep_mirror_quarantined_links')).toBe(0);
    // the origin is no mirror: no mirror series there
    expect((await scrape(origin)).text).not.toContain('proofkeep_mirror_lag_seconds');
  });
});
