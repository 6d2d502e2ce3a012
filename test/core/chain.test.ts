import { describe, expect, it } from 'vitest';
import {
  bytesToBase64,
  expectedPayload,
  nobleBackend,
  orderChain,
  parsePublicKey,
  personalSign,
  publicKeyOf,
  verifyChain,
  type Link,
} from '../../src/core/index.js';
import { hex } from './helpers.js';

const SK = new Uint8Array(32).fill(0x61);
const AVATAR = parsePublicKey(`0x${hex(publicKeyOf(SK))}`);
const opts = { backend: nobleBackend };

let counter = 0;
/** A validly signed twitter link after `prev`. */
function link(prev: string | null, identity = `user${counter}`): Link {
  const n = counter++;
  const l: Link = {
    prev,
    action: 'create',
    platform: 'twitter',
    identity,
    proof_location: null,
    created_at: 1_700_000_000 + n,
    uuid: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    signature: '',
    signature_payload: '',
    extra: {},
  };
  const payload = expectedPayload(AVATAR, l);
  return { ...l, signature: bytesToBase64(personalSign(payload, SK)), signature_payload: payload };
}

/** a linear chain of n links */
function chain(n: number): Link[] {
  const out: Link[] = [];
  for (let i = 0; i < n; i++) out.push(link(out.at(-1)?.signature ?? null));
  return out;
}

const summary = (ps: { index: number; code: string; unplaced?: boolean }[]) =>
  ps.map((p) => `${p.code}@${p.index}${p.unplaced ? '*' : ''}`).sort();

describe('orderChain', () => {
  it('orders by prev pointers, whatever the array order', () => {
    const c = chain(5);
    const { ordered, problems } = orderChain([c[3]!, c[0]!, c[4]!, c[2]!, c[1]!]);
    expect(ordered).toEqual(c);
    expect(problems).toEqual([]);
    expect(orderChain([])).toEqual({ ordered: [], problems: [] });
  });

  it('the first child in array order wins a fork; the other and its descendants are reported by input position', () => {
    const [a, b] = chain(2) as [Link, Link];
    const f = link(a.signature);
    const g = link(f.signature);
    // f before b in the array: f's branch wins
    let r = orderChain([g, a, f, b]);
    expect(r.ordered).toEqual([a, f, g]);
    expect(summary(r.problems)).toEqual(['FORK@3*']);
    expect(r.problems[0]).toMatchObject({ uuid: b.uuid, signature: b.signature, unplaced: true });
    // b first: f is the fork, g hangs off it
    r = orderChain([g, a, b, f]);
    expect(r.ordered).toEqual([a, b]);
    expect(summary(r.problems)).toEqual(['BROKEN_ANCESTOR@0*', 'FORK@3*']);
  });

  it('a prev naming nothing is PREV_MISMATCH, links hanging off it BROKEN_ANCESTOR', () => {
    const [a] = chain(1) as [Link];
    const stray = link('c3RyYXk=');
    const child = link(stray.signature);
    const grandchild = link(child.signature);
    const { ordered, problems } = orderChain([a, grandchild, child, stray]);
    expect(ordered).toEqual([a]);
    expect(summary(problems)).toEqual(['BROKEN_ANCESTOR@1*', 'BROKEN_ANCESTOR@2*', 'PREV_MISMATCH@3*']);
  });

  it('after a link with an empty signature: its children are BROKEN_ANCESTOR, a stray link still PREV_MISMATCH', () => {
    const [a, b] = chain(2) as [Link, Link];
    const empty = { ...b, signature: '' };
    const child = link('');
    const stray = link(link(null).signature);
    const { ordered, problems } = orderChain([a, empty, child, stray]);
    expect(ordered).toEqual([a, empty]);
    expect(summary(problems)).toEqual(['BROKEN_ANCESTOR@2*', 'PREV_MISMATCH@3*']);
  });

  it('terminates on self-references and repeated signatures', () => {
    const [a, b] = chain(2) as [Link, Link];
    const loop = { ...b, signature: a.signature };
    const self = { ...link('eA=='), signature: 'eA==' };
    const { ordered, problems } = orderChain([a, loop, self]);
    expect(ordered).toEqual([a, loop]);
    expect(summary(problems)).toEqual(['PREV_MISMATCH@2*']);
  });
});

describe('verifyChain', () => {
  it('a good chain: verified in chain order, in stored form', () => {
    const c = chain(4);
    const v27 = Buffer.from(c[2]!.signature, 'base64');
    v27[64] = v27[64]! + 27;
    const input = [c[1]!, { ...c[2]!, signature: v27.toString('base64') }, c[0]!, c[3]!];
    const r = verifyChain(AVATAR, input, opts);
    expect(r.problems).toEqual([]);
    expect(r.ordered.map((l) => l.uuid)).toEqual(c.map((l) => l.uuid));
    expect(r.verified).toEqual(c);
  });

  it('everything after the first failure is BROKEN_ANCESTOR; the verified prefix stops there', () => {
    const c = chain(4);
    const bad = { ...c[1]!, signature_payload: '' , created_at: c[1]!.created_at + 5 };
    const r = verifyChain(AVATAR, [c[0]!, bad, c[2]!, c[3]!], opts);
    expect(summary(r.problems)).toEqual(['BROKEN_ANCESTOR@2', 'BROKEN_ANCESTOR@3', 'SIGNATURE_MISMATCH@1']);
    expect(r.verified).toEqual([c[0]]);
    expect(r.ordered).toHaveLength(4);
    const first = r.problems.find((p) => p.code === 'SIGNATURE_MISMATCH')!;
    expect(first).toMatchObject({ index: 1, uuid: c[1]!.uuid, signature: c[1]!.signature });
    expect(first.unplaced).toBeUndefined();
  });

  it('a uuid repeated in the chain is DUPLICATE_UUID at its second use', () => {
    const a = link(null);
    const b = link(a.signature);
    const replay = { ...link(b.signature) };
    const sameUuid: Link = { ...replay, uuid: a.uuid };
    const payload = expectedPayload(AVATAR, sameUuid);
    const signedReplay = { ...sameUuid, signature: bytesToBase64(personalSign(payload, SK)), signature_payload: payload };
    const r = verifyChain(AVATAR, [a, b, signedReplay], opts);
    expect(summary(r.problems)).toEqual(['DUPLICATE_UUID@2']);
  });

  it('a chain of another avatar fails at its first link', () => {
    const other = parsePublicKey(`0x${hex(publicKeyOf(new Uint8Array(32).fill(0x62)))}`);
    const r = verifyChain(other, chain(2), opts);
    expect(summary(r.problems)).toEqual(['BROKEN_ANCESTOR@1', 'SIGNATURE_MISMATCH@0']);
    expect(r.verified).toEqual([]);
  });
});

describe('orderChain: genesis is prev = null only', () => {
  it('a prev string equal to the internal genesis marker is not a genesis', () => {
    const a = link(null);
    const fake = link('\u0000genesis');
    const r = orderChain([a, fake]);
    expect(r.ordered).toEqual([a]);
    expect(summary(r.problems)).toEqual(['PREV_MISMATCH@1*']);
    // nor does a chain of only such links have a first link
    expect(orderChain([fake]).ordered).toEqual([]);
  });
});
