import { describe, expect, it } from 'vitest';
import { encodeEntry, TlogError, type LogEntry } from '../../../src/core/tlog/index.js';
import { prng } from '../../helpers/prng.js';

/**
 * The canonical form written out the plain way (docs/protocol.md, "Verifiable log"): the
 * encoder's inlined fast paths must give these bytes, and these errors, for any entry.
 */
const FIELDS: Record<string, readonly string[]> = {
  link: ['avatar', 'action', 'platform', 'identity', 'proof_location', 'created_at', 'uuid', 'prev', 'signature', 'signature_payload', 'extra'],
  kv: ['avatar', 'platform', 'identity', 'uuid', 'created_at', 'sign_payload', 'signature'],
  subkey: ['avatar', 'algorithm', 'public_key', 'rp_id', 'name', 'created_at', 'sign_payload', 'signature'],
  validity: ['avatar', 'platform', 'identity', 'link_index', 'change', 'outcome', 'checked_at', 'evidence_sha256'],
};
const INTS = new Set(['created_at', 'link_index', 'checked_at']);
const NULLABLE = new Set(['proof_location', 'prev', 'evidence_sha256']);

function reference(e: Record<string, unknown>): string {
  const kind = e['kind'] as string;
  const value = (k: string, v: unknown): string => {
    if (INTS.has(k)) {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new TlogError('MALFORMED', `${kind}.${k} must be a non-negative integer`);
      return String(v);
    }
    if (v === null && NULLABLE.has(k)) return 'null';
    if (k === 'extra') {
      if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.values(v).every((x) => typeof x === 'string')) {
        throw new TlogError('MALFORMED', 'link.extra must be an object of strings');
      }
      const keys = Object.keys(v).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${keys.map((x) => `${JSON.stringify(x)}:${JSON.stringify((v as Record<string, string>)[x])}`).join(',')}}`;
    }
    if (typeof v !== 'string') throw new TlogError('MALFORMED', `${kind}.${k} must be a string`);
    return JSON.stringify(v);
  };
  return `{"v":1,"kind":${JSON.stringify(kind)},${FIELDS[kind]!.map((k) => `${JSON.stringify(k)}:${value(k, e[k])}`).join(',')}}`;
}

const outcome = (f: () => string): string => {
  try {
    return `ok ${f()}`;
  } catch (err) {
    return `${(err as Error).constructor.name} ${(err as Error).message}`;
  }
};

describe('entry encoding', () => {
  it('gives the plainly written canonical bytes and errors for fuzzed entries of every kind', () => {
    const rnd = prng(20261202);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const strings = ['', 'ann', 'a"b\\c', 'line\nbreak\t', '✓ ünï', '\u0000\u001f', '\ud800', '😀', '{"a":1}', 'x'.repeat(300)];
    const odd = [null, undefined, 0, -1, 1.5, 2 ** 53, '7', {}, [], true];
    const extras = [{}, { wallet_signature: 'c2ln' }, { z: '1', a: '2' }, { 10: 'x', 9: 'y', b: 'z' }, { a: 1 }, null, [], 'x', { a: '\u2028' }];
    let compared = 0;
    for (let n = 0; n < 3000; n++) {
      const kind = pick(Object.keys(FIELDS));
      const e: Record<string, unknown> = { kind };
      for (const k of FIELDS[kind]!) {
        const bad = rnd() < 0.03;
        if (bad) e[k] = pick(odd);
        else if (INTS.has(k)) e[k] = Math.floor(rnd() * 2_000_000_000);
        else if (k === 'extra') e[k] = pick(extras);
        else if (NULLABLE.has(k) && rnd() < 0.3) e[k] = null;
        else e[k] = pick(strings);
      }
      const want = outcome(() => reference(e));
      const got = outcome(() => new TextDecoder().decode(encodeEntry(e as unknown as LogEntry)));
      expect(got, JSON.stringify(e)).toBe(want);
      compared++;
    }
    expect(compared).toBe(3000);
    expect(() => encodeEntry({ kind: 'toString' } as unknown as LogEntry)).toThrow(TlogError);
  });
});
