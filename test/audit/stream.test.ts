/**
 * The dump audit parses and verifies chunks of lines elsewhere (workers) and applies them in
 * order here: wherever the chunk boundaries fall — through a fork, a replay, a legacy chain
 * whose `prev` is the previous link of an earlier chunk, a page line, a document line — the
 * report must be the same, and the right one.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runAudit } from '../../src/audit/index.js';
import { auditChunk } from '../../src/audit/lines.js';
import { AuditReport } from '../../src/audit/report.js';
import { LinkStreamAuditor } from '../../src/audit/stream.js';
import { buildLegacySignPayload, bytesToBase64, nobleBackend, personalSign, timeWindow, toProofchainItem, type Link } from '../../src/core/index.js';
import { avatarOf, documentOf, makeChain, secretKey, signLink, tempDir, uuidFor } from './helpers.js';

const sk = secretKey('stream-a');
const other = secretKey('stream-b');
const legacyKey = secretKey('stream-legacy');
const tmp = tempDir('pk-stream-');
afterAll(() => tmp.cleanup());

/** A legacy (4-field) chain: no uuid, no payload; a feed item of it carries no prev either. */
function legacyChain(n: number): Link[] {
  const links: Link[] = [];
  for (let i = 0; i < n; i++) {
    const prev = i === 0 ? null : links[i - 1]!.signature;
    const f = { action: 'create' as const, identity: `legacy_${i}`, platform: 'twitter', prev };
    const sig = personalSign(buildLegacySignPayload(f), legacyKey);
    if (i === 2) sig[64] = sig[64]! + 27; // a v = 27/28 spelling: prev keys compare in stored form
    links.push({ ...f, proof_location: null, created_at: 1_600_000_000 + i, uuid: '', signature: bytesToBase64(sig), signature_payload: '', extra: {} });
  }
  return links;
}

const feedLine = (key: Uint8Array, l: Link, id: number) => JSON.stringify({ ...toProofchainItem(l), avatar: avatarOf(key).id, id });

/** Every kind of line the dump path knows, with the codes the auditor must give (by line). */
function dump(): { text: string; expected: string[] } {
  const a = makeChain(sk, 12, 'sa');
  const fork = signLink(sk, a[2]!.signature, { identity: 'forker', uuid: uuidFor('s-fork'), created_at: 1_700_000_100 });
  const replay = signLink(sk, a[4]!.signature, { identity: 'again', uuid: a[1]!.uuid, created_at: 1_700_000_200 });
  const forged = { ...a[5]!, identity: 'not_signed' };
  const b = makeChain(other, 4, 'sb');
  const legacy = legacyChain(6);
  const forgedLegacy = { ...legacy[4]!, identity: 'legacy_forged' }; // its successor hangs off it
  const lines = [
    ...a.slice(0, 5).map((l, i) => feedLine(sk, l, i + 1)), // 1-5
    feedLine(sk, forged, 6), // 6: PAYLOAD_MISMATCH
    ...a.slice(6).map((l, i) => feedLine(sk, l, i + 7)), // 7-12: each hangs off a rejected one
    '', // 13: blank
    feedLine(sk, fork, 14), // 14: FORK (a[2] has a successor)
    feedLine(sk, replay, 15), // 15: DUPLICATE_UUID (after the head, a[1]'s uuid)
    '{not json', // 16
    JSON.stringify({ links: b.slice(0, 2).map((l, i) => ({ ...toProofchainItem(l), avatar: avatarOf(other).id, id: 100 + i })) }), // 17: a page
    `${feedLine(other, b[2]!, 102)}\r`, // 18: CRLF
    feedLine(other, b[3]!, 103), // 19
    JSON.stringify({ avatar: 'zz-not-a-key', action: 'create' }), // 20: BAD_PUBLIC_KEY
    ...legacy.slice(0, 4).map((l, i) => feedLine(legacyKey, l, 200 + i)), // 21-24: legacy, prev from the previous line
    feedLine(legacyKey, forgedLegacy, 204), // 25: SIGNATURE_MISMATCH
    feedLine(legacyKey, legacy[5]!, 205), // 26: its prev is the forged one's signature: BROKEN_ANCESTOR
    documentOf(other, makeChain(other, 2, 'doc')), // 27: a whole chain document, audited on its own
    feedLine(sk, signLink(sk, null, { identity: 'late', uuid: uuidFor('s-late'), created_at: 1_700_000_300 }), 28), // 28: FORK (a second first link, in a resumed group)
  ];
  return {
    text: `${lines.join('\n')}\n`,
    expected: [
      '6:PAYLOAD_MISMATCH',
      ...[7, 8, 9, 10, 11, 12].map((n) => `${n}:BROKEN_ANCESTOR`),
      '14:FORK',
      '15:DUPLICATE_UUID',
      '16:BAD_REQUEST',
      '20:BAD_PUBLIC_KEY',
      '25:SIGNATURE_MISMATCH',
      '26:BROKEN_ANCESTOR',
      '28:FORK',
    ],
  };
}

/** Audit `text` cut after every `per` lines, each chunk parsed on its own, applied in order. */
function auditInChunks(text: string, per: number): { report: AuditReport; verified: number; links: number; avatars: number } {
  const report = new AuditReport();
  const summary = report.beginSource('dump', 'file');
  const docs: number[] = [];
  const stream = new LinkStreamAuditor(report, summary, { backend: nobleBackend, window: timeWindow(Date.now(), 600), onDocument: (_t, line) => docs.push(line) });
  const lines = text.split('\n');
  let next = 1;
  for (let i = 0; i < lines.length; i += per) {
    const piece = lines.slice(i, i + per).join('\n') + (i + per < lines.length ? '\n' : '');
    const r = auditChunk(piece, nobleBackend);
    stream.apply(r, next);
    next += r.lines;
  }
  stream.end();
  expect(docs).toEqual([27]);
  return { report, verified: summary.verified, links: summary.links, avatars: summary.avatars };
}

describe('dump audit in chunks', () => {
  const { text, expected } = dump();

  it('gives the same report wherever the chunks are cut', () => {
    const whole = auditInChunks(text, 10_000);
    const got = (r: AuditReport) => r.problems.map((p) => `${p.line}:${p.code}`);
    expect(got(whole.report)).toEqual(expected);
    expect(whole.report.warnings.join(' ')).toContain('not grouped by Avatar');
    for (const per of [1, 2, 3, 5, 7]) {
      const cut = auditInChunks(text, per);
      expect(got(cut.report), `chunks of ${per} lines`).toEqual(expected);
      expect(cut.report.problems, `chunks of ${per} lines`).toEqual(whole.report.problems);
      expect([cut.verified, cut.links, cut.avatars]).toEqual([whole.verified, whole.links, whole.avatars]);
    }
  });

  it('worker threads with tiny chunks give the report of the calling thread', async () => {
    const file = join(tmp.dir, 'mixed.jsonl');
    writeFileSync(file, text);
    const inline = await runAudit([{ kind: 'path', path: file }], { backend: 'noble', workers: 1 });
    expect(inline.errors).toEqual([]);
    expect(inline.problems.map((p) => `${p.line}:${p.code}`)).toEqual(expected);
    // one worker and the calling thread, then two workers and the calling thread
    for (const workers of [2, 3]) {
      const pooled = await runAudit([{ kind: 'path', path: file }], { backend: 'noble', workers, config: { chunkBytes: 1024 } });
      expect(pooled.toJSON()).toEqual(inline.toJSON());
    }
  });
});

describe('line workers of built code', () => {
  it('start without the parent\'s tsx loader, keeping its other options', async () => {
    const { withoutTsx } = await import('../../src/audit/line-pool.js');
    expect(withoutTsx(['--cpu-prof', '--cpu-prof-dir=/p', '--import', 'tsx', '--import=tsx/esm', '--require', './otel.js', '--loader', 'tsx', '-r', 'tsx/cjs'])).toEqual([
      '--cpu-prof',
      '--cpu-prof-dir=/p',
      '--require',
      './otel.js',
    ]);
    expect(withoutTsx(['--import', 'tsxtra'])).toEqual(['--import', 'tsxtra']);
  });
});
