import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import {
  buildSignPayload,
  bytesToBase64,
  checkAppend,
  expectedPayload,
  nobleBackend,
  parsePublicKey,
  personalSign,
  personalSignDigest,
  prevKey,
  publicKeyOf,
  recoverSigner,
  utf8,
  verifyLink,
  type ChainView,
  type Link,
  type RecoveryBackend,
} from '../../src/core/index.js';
import { base58Encode, ethAddressOf } from '../../scripts/gen-vectors.js';
import { expectCode, hex } from './helpers.js';

const SK = new Uint8Array(32).fill(0x11);
const OTHER = new Uint8Array(32).fill(0x22);
const WALLET = new Uint8Array(32).fill(0x33);
const WALLET2 = new Uint8Array(32).fill(0x44);
const SOL = new Uint8Array(32).fill(0x55);
const AVATAR = parsePublicKey(`0x${hex(publicKeyOf(SK))}`);
const ADDR = ethAddressOf(WALLET);
const SOL_ADDR = base58Encode(ed25519.getPublicKey(SOL));
const opts = { backend: nobleBackend };
const UUID = '8a6f7c34-8b1a-4c0e-9d38-2f1e5b7a9c01';

function unsigned(over: Partial<Link> = {}): Link {
  return {
    prev: null,
    action: 'create',
    platform: 'twitter',
    identity: 'alice',
    proof_location: null,
    created_at: 1_700_000_000,
    uuid: UUID,
    signature: '',
    signature_payload: '',
    extra: {},
    ...over,
  };
}

/** sign a link's rebuilt payload with `sk` (personal_sign), wallet signature optional */
function signed(over: Partial<Link> = {}, sk = SK, wallet?: Uint8Array): Link {
  const l = unsigned(over);
  const payload = expectedPayload(AVATAR, l);
  const extra = { ...l.extra };
  if (wallet) extra['wallet_signature'] = l.platform === 'solana' ? bytesToBase64(ed25519.sign(utf8(payload), wallet)) : bytesToBase64(personalSign(payload, wallet));
  return { ...l, signature: bytesToBase64(personalSign(payload, sk)), signature_payload: payload, extra };
}

describe('verifyLink: standard links', () => {
  it('accepts a signed link and returns the stored form (canonical signature, exact payload)', () => {
    const l = signed();
    const sig = Buffer.from(l.signature, 'base64');
    sig[64] = sig[64]! + 27;
    const stored = verifyLink(AVATAR, { ...l, signature: sig.toString('base64'), signature_payload: '' }, opts);
    expect(stored.signature).toBe(l.signature);
    expect(stored.signature_payload).toBe(l.signature_payload);
    expect(stored.signature_payload).toBe(buildSignPayload({ action: 'create', created_at: '1700000000', identity: 'alice', platform: 'twitter', prev: null, uuid: UUID }));
  });

  it('accepts an honest signature whose base64 begins with "0X"', () => {
    // found by search: RFC 6979 is deterministic, so this link's signature always begins "0X"
    const l = signed({ identity: 'u1672' });
    expect(l.signature.slice(0, 2)).toBe('0X');
    expect(verifyLink(AVATAR, l, opts).signature).toBe(l.signature);
    const view = new View([l.signature]);
    const sig = Buffer.from(l.signature, 'base64');
    sig[64] = sig[64]! + 27;
    checkAppend(view, { prev: sig.toString('base64'), uuid: '8a6f7c34-8b1a-4c0e-9d38-2f1e5b7a9c03' });
  });

  it('rejects with the stable codes', () => {
    const l = signed();
    expectCode(() => verifyLink(AVATAR, signed({}, OTHER), opts), 'SIGNATURE_MISMATCH');
    expectCode(() => verifyLink(AVATAR, { ...l, created_at: l.created_at + 1, signature_payload: '' }, opts), 'SIGNATURE_MISMATCH');
    expectCode(() => verifyLink(AVATAR, { ...l, signature: '' }, opts), 'UNVERIFIABLE');
    expectCode(() => verifyLink(AVATAR, { ...l, signature: 'AAAA' }, opts), 'BAD_SIGNATURE_ENCODING');
    expectCode(() => verifyLink(AVATAR, { ...l, action: 'update' as never }, opts), 'UNKNOWN_ACTION');
    expectCode(() => verifyLink(AVATAR, { ...l, uuid: UUID.toUpperCase() }, opts), 'BAD_UUID');
    expectCode(() => verifyLink(AVATAR, { ...l, uuid: 'not-a-uuid' }, opts), 'BAD_UUID');
    expectCode(() => verifyLink(AVATAR, { ...l, uuid: '' }, opts), 'BAD_UUID');
    const e = expectCode(() => verifyLink(AVATAR, { ...l, signature_payload: `${l.signature_payload} ` }, opts), 'PAYLOAD_MISMATCH');
    expect(e.details?.['expected']).toBe(l.signature_payload);
  });

  it('the payload check comes before the signature check (no recovery for a mismatching payload)', () => {
    let calls = 0;
    const counting: RecoveryBackend = { name: 'counting', recover: (d, c, r) => (calls++, nobleBackend.recover(d, c, r)) };
    const l = signed();
    expectCode(() => verifyLink(AVATAR, { ...l, identity: 'bob' }, { backend: counting }), 'PAYLOAD_MISMATCH');
    expect(calls).toBe(0);
    verifyLink(AVATAR, l, { backend: counting });
    expect(calls).toBe(1);
  });

  it('uses the backend it is given (a backend that recovers nothing verifies nothing)', () => {
    const none: RecoveryBackend = { name: 'none', recover: () => null };
    expectCode(() => verifyLink(AVATAR, signed(), { backend: none }), 'SIGNATURE_MISMATCH');
  });

  it('legacy links only with allowLegacy; their stored payload stays empty', () => {
    const legacy = signed({ uuid: '' });
    expect(expectedPayload(AVATAR, legacy)).toBe('{"action":"create","identity":"alice","platform":"twitter","prev":null}');
    expectCode(() => verifyLink(AVATAR, { ...legacy, signature_payload: '' }, opts), 'BAD_UUID');
    const stored = verifyLink(AVATAR, { ...legacy, signature_payload: '' }, { ...opts, allowLegacy: true });
    expect(stored.signature_payload).toBe('');
    expect(stored.uuid).toBe('');
  });
});

describe('verifyLink: ethereum wallet rules (protocol: signatures)', () => {
  const base = { platform: 'ethereum', identity: ADDR } as const;

  it('the payload carries persona = the compressed avatar', () => {
    const p = JSON.parse(expectedPayload(AVATAR, unsigned(base)));
    expect(p.persona).toBe(AVATAR.id);
    expect(Object.keys(p)).toEqual(['action', 'created_at', 'identity', 'persona', 'platform', 'prev', 'uuid']);
  });

  it('create needs both signatures', () => {
    const ok = signed(base, SK, WALLET);
    const stored = verifyLink(AVATAR, ok, opts);
    expect(stored.extra['wallet_signature']).toBe(ok.extra['wallet_signature']);
    expectCode(() => verifyLink(AVATAR, signed(base), opts), 'WALLET_SIGNATURE_MISMATCH');
    expectCode(() => verifyLink(AVATAR, signed(base, SK, WALLET2), opts), 'WALLET_SIGNATURE_MISMATCH');
    expectCode(() => verifyLink(AVATAR, signed(base, OTHER, WALLET), opts), 'SIGNATURE_MISMATCH');
    expectCode(() => verifyLink(AVATAR, signed(base, WALLET, WALLET), opts), 'SIGNATURE_MISMATCH');
    expectCode(() => verifyLink(AVATAR, { ...ok, extra: { wallet_signature: 'junk' } }, opts), 'BAD_SIGNATURE_ENCODING');
  });

  it('wallet signature v=27/28 is stored in canonical form', () => {
    const ok = signed(base, SK, WALLET);
    const w = Buffer.from(ok.extra['wallet_signature']!, 'base64');
    w[64] = w[64]! + 27;
    const stored = verifyLink(AVATAR, { ...ok, extra: { wallet_signature: `0x${w.toString('hex')}` } }, opts);
    expect(stored.extra['wallet_signature']).toBe(ok.extra['wallet_signature']);
  });

  it('delete needs either signature; a wallet-only delete stores the wallet signature', () => {
    const del = { ...base, action: 'delete' } as const;
    expect(verifyLink(AVATAR, signed(del), opts).signature).toBe(signed(del).signature);
    const walletOnly = signed(del, WALLET);
    expect(verifyLink(AVATAR, walletOnly, opts).signature).toBe(walletOnly.signature);
    // both, and the wallet one must then be right
    verifyLink(AVATAR, signed(del, SK, WALLET), opts);
    expectCode(() => verifyLink(AVATAR, signed(del, SK, WALLET2), opts), 'WALLET_SIGNATURE_MISMATCH');
    // neither
    expectCode(() => verifyLink(AVATAR, signed(del, WALLET2), opts), 'SIGNATURE_MISMATCH');
    expectCode(() => verifyLink(AVATAR, signed(del, OTHER), opts), 'SIGNATURE_MISMATCH');
    expectCode(() => verifyLink(AVATAR, { ...signed(del), signature: 'junk' }, opts), 'BAD_SIGNATURE_ENCODING');
  });

  it('an upper-case (checksummed) address in the identity still matches the wallet', () => {
    const upper = `0x${ADDR.slice(2).toUpperCase()}`;
    verifyLink(AVATAR, signed({ platform: 'ethereum', identity: upper }, SK, WALLET), opts);
  });
});

describe('verifyLink: solana wallet rules', () => {
  const base = { platform: 'solana', identity: SOL_ADDR } as const;

  it('create needs the avatar signature and an ed25519 wallet signature over the payload bytes', () => {
    verifyLink(AVATAR, signed(base, SK, SOL), opts);
    expectCode(() => verifyLink(AVATAR, signed(base), opts), 'WALLET_SIGNATURE_MISMATCH');
    expectCode(() => verifyLink(AVATAR, signed(base, SK, WALLET2), opts), 'WALLET_SIGNATURE_MISMATCH');
    expectCode(() => verifyLink(AVATAR, signed({ ...base, identity: base58Encode(ed25519.getPublicKey(WALLET2)) }, SK, SOL), opts), 'WALLET_SIGNATURE_MISMATCH');
    expectCode(() => verifyLink(AVATAR, { ...signed(base, SK, SOL), extra: { wallet_signature: 'AAAA' } }, opts), 'BAD_SIGNATURE_ENCODING');
    // not a base58 address: nothing can match it
    expectCode(() => verifyLink(AVATAR, signed({ ...base, identity: '0OIl' }, SK, SOL), opts), 'WALLET_SIGNATURE_MISMATCH');
  });

  it('wallet-only delete with the ed25519 signature as the link signature', () => {
    const l = unsigned({ ...base, action: 'delete' });
    const payload = expectedPayload(AVATAR, l);
    const sig = bytesToBase64(ed25519.sign(utf8(payload), SOL));
    expect(verifyLink(AVATAR, { ...l, signature: sig, signature_payload: payload }, opts).signature).toBe(sig);
    const wrong = bytesToBase64(ed25519.sign(utf8(payload), WALLET2));
    expectCode(() => verifyLink(AVATAR, { ...l, signature: wrong }, opts), 'SIGNATURE_MISMATCH');
  });
});

describe('recoverSigner / nobleBackend', () => {
  it('recovers the uncompressed key of the signer', () => {
    const sig = bytesToBase64(personalSign('hello', SK));
    const { uncompressed, sig: decoded } = recoverSigner(nobleBackend, 'hello', sig);
    expect(`0x${hex(uncompressed!)}`).toBe(AVATAR.uncompressedHex);
    expect(decoded.canonical).toBe(sig);
  });

  it('returns null, never throws, when nothing recovers', () => {
    const digest = personalSignDigest('hello');
    expect(nobleBackend.recover(digest, new Uint8Array(64), 0)).toBeNull();
    expect(nobleBackend.recover(digest, new Uint8Array(64).fill(0xff), 1)).toBeNull();
  });
});

class View implements ChainView {
  constructor(readonly sigs: string[], readonly uuids: string[] = []) {}
  get head(): string | null {
    return this.sigs.at(-1) ?? null;
  }
  hasSignature(canonical: string): boolean {
    return this.sigs.map(prevKey).includes(canonical);
  }
  hasUuid(uuid: string): boolean {
    return this.uuids.includes(uuid);
  }
}

describe('checkAppend (protocol: the chain rule)', () => {
  const s0 = bytesToBase64(personalSign('link 0', SK));
  const s1 = bytesToBase64(personalSign('link 1', SK));
  const v27 = (s: string): string => {
    const b = Buffer.from(s, 'base64');
    b[64] = b[64]! + 27;
    return b.toString('base64');
  };
  const U2 = '8a6f7c34-8b1a-4c0e-9d38-2f1e5b7a9c02';

  it('first link: prev must be null', () => {
    checkAppend(new View([]), { prev: null, uuid: UUID });
    expectCode(() => checkAppend(new View([]), { prev: s0, uuid: UUID }), 'PREV_MISMATCH');
  });

  it('next link: prev must be the head, in any spelling', () => {
    const view = new View([s0, s1], [UUID]);
    checkAppend(view, { prev: s1, uuid: U2 });
    checkAppend(view, { prev: v27(s1), uuid: U2 });
    checkAppend(view, { prev: `0x${Buffer.from(v27(s1), 'base64').toString('hex')}`, uuid: U2 });
  });

  it('an older link as prev is a FORK; an unknown prev is PREV_MISMATCH', () => {
    const view = new View([s0, s1], [UUID]);
    expectCode(() => checkAppend(view, { prev: s0, uuid: U2 }), 'FORK');
    expectCode(() => checkAppend(view, { prev: v27(s0), uuid: U2 }), 'FORK');
    expectCode(() => checkAppend(view, { prev: bytesToBase64(personalSign('elsewhere', SK)), uuid: U2 }), 'PREV_MISMATCH');
    expectCode(() => checkAppend(view, { prev: 'junk', uuid: U2 }), 'PREV_MISMATCH');
    expectCode(() => checkAppend(view, { prev: '', uuid: U2 }), 'PREV_MISMATCH');
  });

  it('null prev on a non-empty chain is a FORK (a second genesis)', () => {
    expectCode(() => checkAppend(new View([s0]), { prev: null, uuid: U2 }), 'FORK');
  });

  it('a uuid is never accepted twice, whatever the prev', () => {
    const view = new View([s0, s1], [UUID]);
    expectCode(() => checkAppend(view, { prev: s1, uuid: UUID }), 'DUPLICATE_UUID');
    expectCode(() => checkAppend(view, { prev: s0, uuid: UUID }), 'DUPLICATE_UUID');
    // legacy links carry no uuid: '' is not a duplicate
    checkAppend(new View([s0], ['']), { prev: s0, uuid: '' });
  });
});
