/**
 * The KV vectors (test/vectors/kv_vectors.json, a copy of ../shared/vectors/kv_vectors.json):
 * every verified KV write's sign payload must come out of the core byte for byte and verify;
 * the unverifiable one must not verify under any form.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  buildKvSignPayload, kvAvatarField, mergePatch, nobleBackend, parsePublicKey, personalSign,
  recoverSigner, verifyKvWrite, type KvJson,
} from '../../src/core/index.js';
import { b64, expectCode, fromHex, repoPath, type Json } from './helpers.js';

const FILE = repoPath('test', 'vectors', 'kv_vectors.json');
const V = JSON.parse(readFileSync(FILE, 'utf8')) as { vectors: Json[] };
const kv = V.vectors.filter((v) => v.kind === 'kv_write' || v.kind === 'kv_write_legacy');
const verified = kv.filter((v) => v.verified);

// The copy's drift check against ../shared is in restore-subkey-vectors.test.ts (same file).
describe('the repo copy of the KV vectors', () => {
  it('has the verified writes and the negative one', () => {
    expect(verified.length).toBeGreaterThanOrEqual(5);
    expect(kv.filter((v) => !v.verified)).toHaveLength(1);
  });
});

/** The patch as the vector gives it: its own field, as sent, or (else) parsed out of the payload. */
function patchOf(v: Json): KvJson {
  if (v.patch !== undefined) return v.patch;
  if (v.patch_as_sent !== undefined) return JSON.parse(v.patch_as_sent);
  return JSON.parse(v.sign_payload).patch;
}

describe.each(verified.map((v) => [v.name, v]))('KV vector %s', (_name, v: Json) => {
  const avatar = parsePublicKey(v.avatar);
  const legacy = v.kind === 'kv_write_legacy';
  const fields = {
    uuid: v.uuid, avatar: kvAvatarField(avatar), platform: v.platform, identity: v.identity,
    patch: patchOf(v), created_at: v.created_at, previous: v.previous, legacy,
  };

  it('rebuilds the sign payload byte for byte', () => {
    expect(kvAvatarField(avatar)).toBe(v.avatar_uncompressed);
    expect(Buffer.from(buildKvSignPayload(fields), 'utf8').equals(Buffer.from(v.sign_payload, 'utf8'))).toBe(true);
  });

  it('verifies against its avatar', () => {
    const w = { ...fields, signature: v.signature, sign_payload: legacy ? v.sign_payload : undefined };
    const stored = verifyKvWrite(avatar, w, { backend: nobleBackend, allowLegacy: legacy });
    expect(stored.sign_payload).toBe(v.sign_payload);
    const { uncompressed } = recoverSigner(nobleBackend, v.sign_payload, v.signature);
    expect(`0x${Buffer.from(uncompressed!).toString('hex')}`).toBe(avatar.uncompressedHex);
  });

  it('survives Mask\'s JSON.stringify(JSON.parse(sign_payload)) unchanged', () => {
    expect(JSON.stringify(JSON.parse(v.sign_payload))).toBe(v.sign_payload);
  });

  it.runIf(legacy)('is refused when legacy payloads are not allowed', () => {
    expectCode(() => verifyKvWrite(avatar, { ...fields, signature: v.signature, sign_payload: v.sign_payload }, { backend: nobleBackend }), 'PAYLOAD_MISMATCH');
  });

  it.runIf(v.secret_key !== undefined)('is reproduced by signing with the public test key (RFC 6979)', () => {
    expect(b64(personalSign(v.sign_payload, fromHex(v.secret_key)))).toBe(v.signature);
  });

  it.runIf(v.content_after !== undefined)('merges into the expected content', () => {
    expect(mergePatch({}, patchOf(v))).toEqual(v.content_after);
  });

  it('fails with SIGNATURE_MISMATCH when one patch byte changes', () => {
    const p = JSON.parse(JSON.stringify(patchOf(v)));
    p['zz-tamper'] = 1;
    expectCode(() => verifyKvWrite(avatar, { ...fields, patch: p, signature: v.signature }, { backend: nobleBackend, allowLegacy: true }), 'SIGNATURE_MISMATCH');
  });
});

describe('the unverifiable real case', () => {
  const v = kv.find((x) => !x.verified)!;
  // The vector names the write's fields but not its patch: it was the twitter write of the same
  // uuid, so every reconstruction from that patch (either payload form) must fail.
  const twin = verified.find((x) => x.uuid === v.uuid)!;
  const avatar = parsePublicKey(v.avatar);
  it.each([false, true])('does not verify (legacy form %s)', (legacy) => {
    const w = { uuid: v.uuid, platform: v.platform, identity: v.identity, patch: patchOf(twin), created_at: v.created_at, previous: null, signature: v.signature };
    const signPayload = buildKvSignPayload({ ...w, avatar: kvAvatarField(avatar), legacy });
    expectCode(() => verifyKvWrite(avatar, { ...w, sign_payload: signPayload }, { backend: nobleBackend, allowLegacy: true }), 'SIGNATURE_MISMATCH');
  });
});
