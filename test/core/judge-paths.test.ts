/**
 * One judge, four paths: every bad chain of test/vectors/chains-bad.json goes through submit
 * (POST /v1/proof), bulk import (POST /v1/links, as a chain document), the mirror (following a
 * local upstream that serves the chains as a feed) and the auditor (a feed dump and the chain
 * documents, through runAudit), and every link must get the code of the file's `feed` — the same
 * code on every path. Real daemons on 127.0.0.1, a real feed server, real files.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAudit } from '../../src/audit/index.js';
import { toProofchainItem, type ErrorCode, type Link } from '../../src/core/index.js';
import type { ChainVector, VectorFile } from '../../scripts/gen-vectors.js';
import { serve, type TestServer } from '../audit/helpers.js';
import { json, post, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { until } from '../mirror/helpers.js';
import { repoPath } from './helpers.js';

const file = JSON.parse(readFileSync(repoPath('test', 'vectors', 'chains-bad.json'), 'utf8')) as VectorFile;
// Import, the mirror and the auditor take legacy links (chains made elsewhere); a vector that
// holds only when they are refused is about POST /v1/proof alone.
const vectors = file.vectors.filter((v) => v.allow_legacy);

type Verdict = ErrorCode | null;
const expected = (v: ChainVector): Verdict[] => v.feed.map((f) => f.code);

/** The feed of every vector, one after another: [vector, feed position, upstream id]. */
const feed: Array<{ v: ChainVector; k: number; id: number; item: Record<string, unknown> }> = [];
for (const v of vectors) {
  v.feed.forEach((f, k) => {
    const link = v.links[f.index]!;
    feed.push({ v, k, id: feed.length + 1, item: { ...toProofchainItem(link), prev: link.prev, avatar: v.avatar, id: feed.length + 1 } });
  });
}

/** A POST /v1/proof body for a link: the body carries no prev and no signature_payload. */
function submitBody(v: ChainVector, l: Link): Record<string, unknown> {
  const extra: Record<string, string> = { signature: l.signature };
  if (l.extra['wallet_signature'] !== undefined) extra['wallet_signature'] = l.extra['wallet_signature'];
  return {
    action: l.action, platform: l.platform, identity: l.identity, public_key: v.avatar, proof_location: l.proof_location ?? '',
    uuid: l.uuid, created_at: String(l.created_at), extra,
  };
}

let origin: TestDaemon;
let importer: TestDaemon;
let mirror: TestDaemon;
let upstream: TestServer;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pk-judge-paths-'));
  // The vectors' links were made in 2023: no max age on submit (the time window is the judge's
  // skew rule, which the file's future-dated link tests).
  origin = await startDaemon({ 'server.createdAtMaxAgeSeconds': 0 });
  importer = await startDaemon();
  upstream = await serve((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname !== '/v1/proofchain/changes') {
      res.writeHead(404).end();
      return;
    }
    const last = Number(u.searchParams.get('last_id') ?? '0');
    const count = Number(u.searchParams.get('count') ?? '100');
    const links = feed.filter((e) => e.id > last).slice(0, count).map((e) => e.item);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ links }));
  });
  mirror = await startDaemon({ 'mirror.upstream': upstream.url, 'mirror.pollIntervalMs': 20 });
}, 120_000);

afterAll(async () => {
  await Promise.all([origin?.stop(), importer?.stop(), mirror?.stop()]);
  await upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the shared bad chains give the same codes on every path', () => {
  it('covers every case the judges used to disagree on', () => {
    const names = new Set(vectors.map((v) => v.name));
    for (const n of ['forged-fork', 'forged-then-valid-sibling', 'child-before-parent', 'future-created-at', 'bad-platform-name', 'fork', 'wrong-prev-middle']) {
      expect(names.has(n), n).toBe(true);
    }
    // and submit carries a good share of them (it cannot carry a prev, a payload or a legacy link)
    expect(vectors.flatMap((v) => v.feed).filter((f) => f.submit && f.code !== null).length).toBeGreaterThan(15);
  });

  it('submit (POST /v1/proof): every link its body can carry', async () => {
    for (const v of vectors) {
      const got: Array<Verdict | 'skipped'> = [];
      for (const f of v.feed) {
        if (!f.submit) {
          got.push('skipped');
          continue;
        }
        const r = await post(`${origin.url}/v1/proof`, submitBody(v, v.links[f.index]!));
        if (r.status !== 201) expect(r.status, `${v.name} ${JSON.stringify(r.body)}`).toBeGreaterThanOrEqual(400);
        got.push(r.status === 201 ? null : r.body.code);
      }
      expect(got, v.name).toEqual(v.feed.map((f) => (f.submit ? f.code : 'skipped')));
    }
  });

  it('bulk import (POST /v1/links with the chain document, in file order)', async () => {
    for (const v of vectors) {
      const r = await post(`${importer.url}/v1/links`, { version: '1', avatar: { public_key: v.public_key, curve: 'secp256k1' }, links: v.links });
      expect(r.status).toBe(200);
      const results = r.body.results as Array<{ status: string; code?: string; uuid: string }>;
      // results come in judging order: the file's feed order
      expect(results.map((x) => x.uuid), v.name).toEqual(v.feed.map((f) => v.links[f.index]!.uuid));
      expect(results.map((x) => (x.status === 'rejected' ? x.code : null)), v.name).toEqual(expected(v));
    }
  });

  it('the mirror (following the chains as an upstream feed)', async () => {
    await until('the mirror to reach the end of the feed', () => json(`${mirror.url}/healthz`), (h) => h.body?.mirror?.cursor === feed.length, 60_000, 20);
    const faults = await json(`${mirror.url}/v1/mirror/faults?count=1000`);
    const codeOf = new Map<number, string>((faults.body.faults as Array<{ upstream_id: number; code: string }>).map((f) => [f.upstream_id, f.code]));
    for (const v of vectors) {
      const got = feed.filter((e) => e.v === v).map((e) => codeOf.get(e.id) ?? null);
      expect(got, v.name).toEqual(expected(v));
      // what was not quarantined is stored, in feed order
      const chain = await json(`${mirror.url}/v1/proofchain?avatar=${v.avatar}`);
      const stored = v.feed.filter((f) => f.code === null).map((f) => v.links[f.index]!.uuid);
      expect((chain.body.proof_chain ?? []).map((x: { uuid: string }) => x.uuid), v.name).toEqual(stored.slice(0, 40));
    }
  });

  it('the auditor: a feed dump and the chain documents', async () => {
    const dump = join(dir, 'feed.jsonl');
    writeFileSync(dump, `${feed.map((e) => JSON.stringify(e.item)).join('\n')}\n`);
    const docs = join(dir, 'docs');
    mkdirSync(docs);
    vectors.forEach((v, i) => {
      const doc = { version: '1', avatar: { public_key: v.public_key, curve: 'secp256k1' }, links: v.links };
      writeFileSync(join(docs, `${String(i).padStart(3, '0')}.json`), JSON.stringify(doc));
    });
    const streamed = await runAudit([{ kind: 'path', path: dump }], { backend: 'noble', workers: 1 });
    const byLine = new Map(streamed.problems.map((p) => [p.line!, p.code]));
    const documents = await runAudit([{ kind: 'path', path: docs }], { backend: 'noble', workers: 1 });
    for (const v of vectors) {
      const got = feed.filter((e) => e.v === v).map((e) => byLine.get(e.id) ?? null);
      expect(got, `${v.name} (feed dump)`).toEqual(expected(v));
      // document problems name the chain position (placed) or the file position (unplaced)
      const codeAt = new Map<number, string>();
      for (const p of documents.problems.filter((x) => x.avatar === v.avatar)) codeAt.set(p.unplaced ? p.index : v.expected.order[p.index]!, p.code);
      expect(v.feed.map((f) => codeAt.get(f.index) ?? null), `${v.name} (document)`).toEqual(expected(v));
    }
  });
});
