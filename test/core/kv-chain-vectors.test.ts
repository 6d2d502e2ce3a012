/**
 * The generated KV chain vector files (test/vectors/kv-chains-{good,bad}.json): verifyKvChain
 * gives each vector's expected outcome, the files are what scripts/gen-kv-vectors.ts produces,
 * and the KV chain document of every good chain is deterministic and parses back to its writes.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  checkKvAppend, judgeKvWrite, kvChainDocumentString, kvContents, nobleBackend, parseKvWrite, parsePublicKey, verifyKvChain,
  type ChainView, type KvWrite,
} from '../../src/core/index.js';
import { buildKvVectorFiles, type KvChainVector } from '../../scripts/gen-kv-vectors.js';
import { expectCode, repoPath } from './helpers.js';

const FILES = ['kv-chains-good.json', 'kv-chains-bad.json'] as const;
const text = Object.fromEntries(FILES.map((f) => [f, readFileSync(repoPath('test', 'vectors', f), 'utf8')])) as Record<(typeof FILES)[number], string>;
const good = (JSON.parse(text['kv-chains-good.json']) as { vectors: KvChainVector[] }).vectors;
const bad = (JSON.parse(text['kv-chains-bad.json']) as { vectors: KvChainVector[] }).vectors;

function writesOf(v: KvChainVector): KvWrite[] {
  return (JSON.parse(JSON.stringify(v.writes)) as unknown[]).map(parseKvWrite);
}

describe('KV vector files', () => {
  it('are exactly what the generator produces', () => {
    const fresh = buildKvVectorFiles();
    for (const f of FILES) expect(fresh[f], `${f} is stale: run node --import tsx scripts/gen-kv-vectors.ts`).toBe(text[f]);
  });
  it('cover both kinds', () => {
    expect(good.length).toBeGreaterThanOrEqual(5);
    expect(new Set(bad.flatMap((v) => v.expected.problems.map((p) => p.code)))).toEqual(
      new Set(['SIGNATURE_MISMATCH', 'BROKEN_ANCESTOR', 'FORK', 'DUPLICATE_UUID', 'PREV_MISMATCH', 'PAYLOAD_MISMATCH']),
    );
  });
});

describe.each([...good, ...bad].map((v) => [v.name, v]))('KV chain %s', (_n, v: KvChainVector) => {
  it('verifies to the expected outcome', () => {
    const writes = writesOf(v);
    const r = verifyKvChain(parsePublicKey(v.avatar), writes, { backend: nobleBackend, allowLegacy: v.allow_legacy });
    expect(r.problems.length === 0).toBe(v.expected.valid);
    expect(r.ordered.map((w) => writes.indexOf(w))).toEqual(v.expected.order);
    expect(r.verified).toHaveLength(v.expected.verified);
    const codes = r.problems.map((p) => `${p.unplaced ? 'u' : 'p'}${p.index}:${p.code}`).sort();
    expect(codes).toEqual(v.expected.problems.map((p) => `${p.unplaced ? 'u' : 'p'}${p.index}:${p.code}`).sort());
    expect([...kvContents(r.verified).values()]).toEqual(v.expected.contents);
  });

  it('appends one by one under the same rule as the whole-chain verdict', () => {
    const writes = writesOf(v);
    const avatar = parsePublicKey(v.avatar);
    const accepted: KvWrite[] = [];
    const view = (): ChainView => ({
      head: accepted.at(-1)?.signature ?? null,
      hasSignature: (s) => accepted.some((w) => w.signature === s),
      hasUuid: (u) => accepted.some((w) => w.uuid === u),
    });
    for (const i of v.expected.order) {
      const verdict = judgeKvWrite(view(), avatar, writes[i]!, { backend: nobleBackend, allowLegacy: v.allow_legacy });
      if (!verdict.ok) break;
      accepted.push(verdict.write);
    }
    expect(accepted).toHaveLength(v.expected.verified);
  });
});

describe('the KV chain document', () => {
  it('is deterministic and round-trips through parseKvWrite', () => {
    for (const v of good) {
      const doc = kvChainDocumentString(v.public_key, writesOf(v));
      expect(kvChainDocumentString(v.public_key, writesOf(v))).toBe(doc);
      const parsed = JSON.parse(doc) as { type: string; writes: unknown[] };
      expect(parsed.type).toBe('kv_chain');
      expect(kvChainDocumentString(v.public_key, parsed.writes.map(parseKvWrite))).toBe(doc);
    }
  });
});

describe('checkKvAppend', () => {
  const empty: ChainView = { head: null, hasSignature: () => false, hasUuid: () => false };
  it('needs previous = null first, then the head', () => {
    expectCode(() => checkKvAppend(empty, { previous: 'AAAA', uuid: 'x' }), 'PREV_MISMATCH');
    const w = good[0]!.writes[0]!;
    const one: ChainView = { head: w.signature, hasSignature: (s) => s === w.signature, hasUuid: (u) => u === w.uuid };
    expectCode(() => checkKvAppend(one, { previous: null, uuid: 'y' }), 'FORK');
    expectCode(() => checkKvAppend(one, { previous: w.signature, uuid: w.uuid }), 'DUPLICATE_UUID');
    expect(() => checkKvAppend(one, { previous: w.signature, uuid: 'z' })).not.toThrow();
  });
  it('parseKvWrite gives clear codes for wrong types', () => {
    expectCode(() => parseKvWrite({ platform: 'nextid' }), 'BAD_PATCH');
    expectCode(() => parseKvWrite({ patch: { a: 0.5 } }), 'BAD_PATCH');
    expectCode(() => parseKvWrite({ patch: 1, platform: 1 }), 'BAD_REQUEST');
    expectCode(() => parseKvWrite('x'), 'BAD_REQUEST');
  });
});
