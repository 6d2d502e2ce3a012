/**
 * The restore_pubkey and subkey vectors of test/vectors/kv_vectors.json (a copy of
 * ../shared/vectors/kv_vectors.json): payload bytes exactly as upstream builds them, and the
 * recovered / verified keys; plus every rejection of the pure parts with its code.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { p256 } from '@noble/curves/nist.js';
import { describe, expect, it } from 'vitest';
import {
  buildSignPayload, buildSubkeyPayload, bytesToBase64, canonicalSubkey, nobleBackend, parsePublicKey, parseSubkeyRequest,
  personalSign, restorePubkey, verifySubkeySignature,
} from '../../src/core/index.js';
import { expectCode, fromHex, hex, repoPath, sharedVectorsPath, type Json } from './helpers.js';

const FILE = repoPath('test', 'vectors', 'kv_vectors.json');
const V = JSON.parse(readFileSync(FILE, 'utf8')) as { vectors: Json[] };
const restore = V.vectors.filter((v) => v.kind === 'restore_pubkey');
const subkeys = V.vectors.filter((v) => v.kind === 'subkey');

describe('the repo copy of kv_vectors.json', () => {
  const nextid = sharedVectorsPath();
  const shared = nextid === null ? null : join(nextid, '..', 'kv_vectors.json');
  it.runIf(shared !== null)('is byte-identical to ../shared/vectors/kv_vectors.json', () => {
    expect(readFileSync(FILE).equals(readFileSync(shared!))).toBe(true);
  });
  it('has restore_pubkey and subkey vectors', () => {
    expect(restore.length).toBeGreaterThanOrEqual(1);
    expect(subkeys.length).toBeGreaterThanOrEqual(1);
  });
});

describe.each(restore.map((v) => [v.name, v]))('restore_pubkey vector %s', (_n, v: Json) => {
  it('rebuilds the sign payload byte for byte', () => {
    const r = v.request;
    expect(buildSignPayload({ action: r.action, created_at: r.created_at, identity: r.identity, platform: r.platform, prev: r.previous || null, uuid: r.uuid })).toBe(v.sign_payload);
  });
  it('recovers the key from the fields form', () => {
    expect(restorePubkey(nobleBackend, v.request)).toBe(v.response.public_key);
  });
  it.runIf(v.proof_post_request !== undefined)('recovers the key from the proof_post form', () => {
    expect(restorePubkey(nobleBackend, v.proof_post_request)).toBe(v.response.public_key);
  });
  it('an altered field recovers someone else (never the same key)', () => {
    expect(restorePubkey(nobleBackend, { ...v.request, identity: `${v.request.identity}x` })).not.toBe(v.response.public_key);
  });
});

describe('restore_pubkey rejections', () => {
  const base = restore[0]!.request;
  it.each([
    ['unknown platform', { ...base, platform: 'myspace' }, 'UNKNOWN_PLATFORM'],
    ['ethereum (payload contains the avatar)', { ...base, platform: 'ethereum', identity: '0x' + '1'.repeat(40) }, 'UNSUPPORTED_PLATFORM'],
    ['solana', { ...base, platform: 'solana' }, 'UNSUPPORTED_PLATFORM'],
    ['proof_post for github', { action: 'create', platform: 'github', identity: 'a', proof_post: restore[0]!.proof_post_request.proof_post }, 'UNSUPPORTED_PLATFORM'],
    ['unknown action', { ...base, action: 'update' }, 'UNKNOWN_ACTION'],
    ['missing identity', { ...base, identity: '' }, 'BAD_REQUEST'],
    ['missing signature', { ...base, signature: undefined }, 'BAD_REQUEST'],
    ['number where a string belongs', { ...base, uuid: 5 }, 'BAD_REQUEST'],
    ['bad uuid', { ...base, uuid: 'not-a-uuid' }, 'BAD_UUID'],
    ['bad created_at', { ...base, created_at: '17e8' }, 'BAD_CREATED_AT'],
    ['signature of 64 bytes', { ...base, signature: bytesToBase64(new Uint8Array(64)) }, 'BAD_SIGNATURE_ENCODING'],
    ['previous not 65 bytes', { ...base, previous: 'AAAA' }, 'BAD_SIGNATURE_ENCODING'],
    ['previous not a string', { ...base, previous: 7 }, 'BAD_REQUEST'],
    ['proof_post without Sig', { action: 'create', platform: 'twitter', identity: 'yeiwb', proof_post: 'Misc: f26593f3-3b05-4979-934a-f823a7380d05|1694961172|' }, 'BAD_REQUEST'],
    ['proof_post without Misc', { action: 'create', platform: 'twitter', identity: 'yeiwb', proof_post: `Sig: ${base.signature}` }, 'BAD_REQUEST'],
  ])('%s → %s', (_n, req, code) => {
    expectCode(() => restorePubkey(nobleBackend, req as Json), code as Json);
  });
  it('a signature from which no key recovers → SIGNATURE_MISMATCH', () => {
    const zero = new Uint8Array(65); // r = 0 never recovers
    expectCode(() => restorePubkey(nobleBackend, { ...base, signature: bytesToBase64(zero) }), 'SIGNATURE_MISMATCH');
  });
});

describe.each(subkeys.map((v) => [v.name, v]))('subkey vector %s', (_n, v: Json) => {
  const req = parseSubkeyRequest(v.request);
  it('builds the sign payload byte for byte', () => {
    expect(buildSubkeyPayload(req)).toBe(v.sign_payload);
  });
  it('the signature verifies with the avatar and with nobody else', () => {
    expect(verifySubkeySignature(nobleBackend, req.avatar, v.sign_payload, v.signature)).toBe(v.signature);
    const other = parsePublicKey(v.request.public_key);
    expectCode(() => verifySubkeySignature(nobleBackend, other, v.sign_payload, v.signature), 'SIGNATURE_MISMATCH');
    expectCode(() => verifySubkeySignature(nobleBackend, req.avatar, v.sign_payload.replace('example', 'exampl3'), v.signature), 'SIGNATURE_MISMATCH');
  });
  it.runIf(v.secret_key !== undefined)('signing the payload with the published secret gives the vector signature (RFC 6979)', () => {
    expect(bytesToBase64(personalSign(v.sign_payload, fromHex(v.secret_key)))).toBe(v.signature);
  });
});

describe('subkey keys', () => {
  const sk = fromHex('11'.repeat(32));
  const xy = hex(p256.getPublicKey(sk, false).subarray(1));
  const canonical = `0x${xy}`;
  it('es256: every spelling of one point has one canonical form (0x + X‖Y lowercase)', () => {
    for (const s of [canonical, xy, `0x${xy.toUpperCase()}`, `04${xy}`, `0x${hex(p256.getPublicKey(sk, true))}`]) {
      expect(canonicalSubkey('es256', s)).toBe(canonical);
    }
  });
  it('es256: a point off P-256 is BAD_PUBLIC_KEY, as are wrong lengths and junk', () => {
    const off = xy.slice(0, 127) + (xy[127] === '0' ? '1' : '0');
    for (const s of [`0x${off}`, `0x${xy.slice(2)}`, 'zz', '', ` ${canonical}`, 7]) expectCode(() => canonicalSubkey('es256', s), 'BAD_PUBLIC_KEY');
  });
  it('secp256k1: canonical is the compressed avatar form', () => {
    const k = parsePublicKey(subkeys[0]!.request.public_key);
    expect(canonicalSubkey('secp256k1', k.uncompressedHex.toUpperCase().replace('0X', ''))).toBe(k.id);
    expectCode(() => canonicalSubkey('secp256k1', canonical), 'BAD_PUBLIC_KEY');
  });
  it('payload: the client spelling, Go HTML escapes in rp_id, avatar without 0x', () => {
    const r = parseSubkeyRequest({ avatar: subkeys[0]!.request.avatar.toUpperCase().replace('0X', '0x'), algorithm: 'es256', public_key: xy.toUpperCase(), rp_id: 'a<b>&c' });
    expect(buildSubkeyPayload(r)).toBe(`{"avatar":"${subkeys[0]!.request.avatar.slice(2)}","algorithm":"es256","public_key":"${xy.toUpperCase()}","rp_id":"a\\u003cb\\u003e\\u0026c"}`);
  });
  it('bad requests', () => {
    const ok = subkeys[0]!.request;
    expectCode(() => parseSubkeyRequest({ ...ok, algorithm: 'ed25519' }), 'UNKNOWN_ALGORITHM');
    expectCode(() => parseSubkeyRequest({ ...ok, rp_id: '' }), 'BAD_REQUEST');
    expectCode(() => parseSubkeyRequest({ ...ok, rp_id: 'a\u0000b' }), 'BAD_REQUEST');
    expectCode(() => parseSubkeyRequest({ ...ok, avatar: '0x1234' }), 'BAD_PUBLIC_KEY');
  });
});
