/**
 * The judge's one order, step by step, against an in-memory chain view: the first failing step
 * decides, whatever else is wrong with the entry; and the shape serves any chained entry.
 */
import { describe, expect, it } from 'vitest';
import {
  bytesToBase64,
  judge,
  judgeChain,
  judgeLink,
  personalSign,
  prevKey,
  timeWindow,
  type ChainEntry,
  type ChainView,
  type Rejection,
} from '../../src/core/index.js';

const SK = new Uint8Array(32).fill(7);
const sig = (label: string): string => bytesToBase64(personalSign(label, SK));
const [S0, S1, S2, STRAY] = ['s0', 's1', 's2', 'stray'].map(sig) as [string, string, string, string];

/** A chain s0 ← s1 (head), uuids u0 and u1, with `bad` signatures seen rejected. */
function view(bad: string[] = [], extra: Partial<ChainView> = {}): ChainView {
  const sigs = new Set([S0, S1].map(prevKey));
  const rejected = new Set(bad.map(prevKey));
  return {
    head: S1,
    hasSignature: (k) => sigs.has(k),
    hasUuid: (u) => u === 'u0' || u === 'u1',
    isRejected: (k) => rejected.has(k),
    window: timeWindow(1_800_000_000_000, 600),
    ...extra,
  };
}

const entry = (e: Partial<ChainEntry>): ChainEntry => ({ prev: S1, uuid: 'u2', created_at: 1_700_000_000, signature: S2, ...e });
const forged: Rejection = { ok: false, code: 'SIGNATURE_MISMATCH', message: 'forged' };
const code = (r: { ok: boolean; code?: string }) => (r.ok ? 'ok' : r.code);

describe('judge: one order, first failure wins', () => {
  it('accepts an entry on the head, and then its own verdict decides', () => {
    expect(judgeChain(view(), entry({}))).toBeNull();
    expect(code(judge(view(), entry({}), { ok: true as const }))).toBe('ok');
    expect(code(judge(view(), entry({}), forged))).toBe('SIGNATURE_MISMATCH');
  });

  it('each chain step beats everything after it, including a forged signature', () => {
    // 1 ancestor beats time, replay, position and own
    expect(code(judge(view([STRAY]), entry({ prev: STRAY, created_at: 4_000_000_000, uuid: 'u0' }), forged))).toBe('BROKEN_ANCESTOR');
    // 2 time beats replay, position and own
    expect(code(judge(view(), entry({ created_at: 4_000_000_000, uuid: 'u0', prev: S0 }), forged))).toBe('BAD_CREATED_AT');
    // 3 replay beats position and own
    expect(code(judge(view(), entry({ uuid: 'u0', prev: S0 }), forged))).toBe('DUPLICATE_UUID');
    // 4 position beats own: a forged fork is a FORK
    expect(code(judge(view(), entry({ prev: S0 }), forged))).toBe('FORK');
    expect(code(judge(view(), entry({ prev: null }), forged))).toBe('FORK');
    expect(code(judge(view(), entry({ prev: STRAY }), forged))).toBe('PREV_MISMATCH');
    expect(code(judge(view([], { head: null, hasSignature: () => false }), entry({ prev: S0 }), forged))).toBe('PREV_MISMATCH');
  });

  it('the time window: skew into the future, max age only where set', () => {
    const now = 1_800_000_000;
    expect(judgeChain(view(), entry({ created_at: now + 600 }))).toBeNull();
    expect(judgeChain(view(), entry({ created_at: now + 601 }))?.code).toBe('BAD_CREATED_AT');
    const fresh = view([], { window: timeWindow(now * 1000, 600, 86_400) });
    expect(judgeChain(fresh, entry({ created_at: now - 86_400 }))).toBeNull();
    expect(judgeChain(fresh, entry({ created_at: now - 86_401 }))?.message).toMatch(/older than 86400s/);
    expect(judgeChain(view([], { window: undefined }), entry({ created_at: 4_000_000_000 }))).toBeNull();
  });

  it('a rejected copy of a link in the chain does not make its children BROKEN_ANCESTOR', () => {
    // s1 is in the chain; a bad copy of it (same signature) was rejected earlier
    expect(judgeChain(view([S1]), entry({ prev: S1 }))).toBeNull();
    expect(judgeChain(view([S0]), entry({ prev: S0 }))?.code).toBe('FORK');
  });

  it('an identical stored entry is a replay where the view accepts replays; else DUPLICATE_UUID', () => {
    const stored = entry({ uuid: 'u1', prev: S0, signature: S1 });
    expect(judgeChain(view(), stored)?.code).toBe('DUPLICATE_UUID');
    const idempotent = view([], { isStored: (e) => e.signature === S1 && e.uuid === 'u1' });
    expect(judgeChain(idempotent, stored)).toBeNull();
    // same uuid, other signature: still a replay attempt
    expect(judgeChain(idempotent, { ...stored, signature: S2 })?.code).toBe('DUPLICATE_UUID');
  });

  it('prev spellings of one signature are one key (v = 27/28, hex)', () => {
    const b = Buffer.from(S1, 'base64');
    b[64] = b[64]! + 27;
    expect(judgeChain(view(), entry({ prev: b.toString('base64') }))).toBeNull();
    expect(judgeChain(view(), entry({ prev: `0x${b.toString('hex')}` }))).toBeNull();
  });

  it('the shape serves another kind of chained entry (a KV write: `previous`, its own verdict type)', () => {
    interface KvWrite { previous: string | null; uuid: string; created_at: number; signature: string; patch: unknown }
    type KvVerdict = { ok: true; write: KvWrite } | Rejection;
    const write: KvWrite = { previous: S0, uuid: 'k1', created_at: 1_700_000_000, signature: S2, patch: { a: 1 } };
    const own: KvVerdict = { ok: true, write };
    const asEntry = (w: KvWrite): ChainEntry => ({ prev: w.previous, uuid: w.uuid, created_at: w.created_at, signature: w.signature });
    const r = judge(view(), asEntry(write), own);
    expect(code(r)).toBe('FORK');
    const onHead = judge(view(), asEntry({ ...write, previous: S1 }), own);
    expect(onHead).toBe(own);
  });

  it('judgeLink is the same judge for proof links', () => {
    const link = { prev: S0, action: 'create' as const, platform: 'twitter', identity: 'a', proof_location: null, created_at: 1, uuid: 'u9', signature: S2, signature_payload: '', extra: {} };
    expect(code(judgeLink(view(), link, { ok: true, link }))).toBe('FORK');
  });
});
