/**
 * KV writes (SPEC §8): each is a signed link of a second chain per Avatar, across all of its
 * namespaces. The sign payload is serde-style JSON with a FIXED top-level key order (not
 * sorted), the patch canonicalized inside it (kv-json.ts). Pure: the recovery backend is passed in.
 */
import type { RecoveryBackend } from './crypto.js';
import { fail, ProofError } from './errors.js';
import type { AvatarKey } from './keys.js';
import { serdeJson, serdeString, type KvJson } from './kv-json.js';
import { UUID_RE } from './link.js';
import { decodeSignature } from './signature.js';
import { bytesEqual } from './encoding.js';
import { judgeChain, type ChainView } from './judge.js';
import { recoverSigner } from './verify.js';

/** One KV write in stored / document form. */
export interface KvWrite {
  /** stored signature of the Avatar's previous KV write; null for its first */
  previous: string | null;
  platform: string;
  identity: string;
  /** lowercase canonical UUID, used once per Avatar */
  uuid: string;
  /** unix seconds */
  created_at: number;
  /** the patch as signed (canonical: re-serializing gives the bytes inside sign_payload) */
  patch: KvJson;
  /** stored (canonical base64, v ∈ {0,1}) signature */
  signature: string;
  /** the exact signed string */
  sign_payload: string;
}

export interface KvPayloadFields {
  uuid: string;
  /** 130 lowercase hex digits: the uncompressed key without 0x */
  avatar: string;
  platform: string;
  identity: string;
  patch: unknown;
  created_at: number;
  previous: string | null;
  /** 2022 payloads named the avatar field `persona` */
  legacy?: boolean;
}

/** The payload's avatar field: uncompressed key, lowercase, no 0x. */
export function kvAvatarField(avatar: AvatarKey): string {
  return avatar.uncompressedHex.slice(2);
}

/** The exact bytes an Avatar signs for a KV write. Throws BAD_PATCH for an unsignable patch. */
export function buildKvSignPayload(f: KvPayloadFields): string {
  if (!Number.isSafeInteger(f.created_at) || f.created_at < 0) fail('BAD_CREATED_AT', 'created_at must be a non-negative integer');
  const who = f.legacy ? 'persona' : 'avatar';
  return (
    `{"version":"1","uuid":${serdeString(f.uuid, 'uuid')},"${who}":${serdeString(f.avatar, 'avatar')},` +
    `"platform":${serdeString(f.platform, 'platform')},"identity":${serdeString(f.identity, 'identity')},` +
    `"patch":${serdeJson(f.patch)},"created_at":${f.created_at},` +
    `"previous":${f.previous === null ? 'null' : serdeString(f.previous, 'previous')}}`
  );
}

function compress(uncompressed: Uint8Array): Uint8Array {
  const out = new Uint8Array(33);
  out[0] = (uncompressed[64]! & 1) === 1 ? 3 : 2;
  out.set(uncompressed.subarray(1, 33), 1);
  return out;
}

export interface KvVerifyOptions {
  backend: RecoveryBackend;
  /** accept the 2022 `persona`-keyed payload (historical data); never for POST /v1/kv */
  allowLegacy?: boolean;
}

/**
 * Verify one KV write's own signature (not its place in the chain). The payload is rebuilt from
 * the fields; a given sign_payload must equal it (either form when legacy is allowed). Returns the
 * write in stored form (canonical signature, exact payload). Throws ProofError.
 */
export function verifyKvWrite(avatar: AvatarKey, w: Omit<KvWrite, 'sign_payload'> & { sign_payload?: string }, opts: KvVerifyOptions): KvWrite {
  if (!UUID_RE.test(w.uuid)) fail('BAD_UUID', 'uuid must be a lowercase canonical UUID');
  const fields: KvPayloadFields = {
    uuid: w.uuid, avatar: kvAvatarField(avatar), platform: w.platform, identity: w.identity,
    patch: w.patch, created_at: w.created_at, previous: w.previous,
  };
  const current = buildKvSignPayload(fields);
  let payload = current;
  const given = w.sign_payload ?? '';
  if (given !== '' && given !== current) {
    const legacy = opts.allowLegacy ? buildKvSignPayload({ ...fields, legacy: true }) : null;
    if (given !== legacy) fail('PAYLOAD_MISMATCH', 'sign_payload differs from the payload rebuilt from the write fields', { expected: current });
    payload = legacy;
  }
  if (w.signature === '') fail('UNVERIFIABLE', 'KV write has an empty signature');
  const { sig, uncompressed } = recoverSigner(opts.backend, payload, w.signature);
  if (uncompressed === null || !bytesEqual(compress(uncompressed), avatar.compressed)) {
    fail('SIGNATURE_MISMATCH', 'signature was not made by this avatar over the KV payload');
  }
  return { previous: w.previous, platform: w.platform, identity: w.identity, uuid: w.uuid, created_at: w.created_at, patch: w.patch, signature: sig.canonical, sign_payload: payload };
}

/**
 * The KV chain rule for one append: linear per Avatar, `previous` = the latest write's stored
 * signature, a uuid once per Avatar. Same codes as the proof chain (DUPLICATE_UUID, FORK,
 * PREV_MISMATCH) because it is the same rule over a second chain.
 */
export function checkKvAppend(view: ChainView, w: Pick<KvWrite, 'previous' | 'uuid'> & Partial<Pick<KvWrite, 'created_at' | 'signature'>>): void {
  const r = judgeChain(view, kvEntry(w));
  if (r) throw new ProofError(r.code, r.message);
}

/** A KV write as the one judge sees any chained entry (`previous` is its prev). */
export function kvEntry(w: Pick<KvWrite, 'previous' | 'uuid'> & Partial<Pick<KvWrite, 'created_at' | 'signature'>>) {
  return { prev: w.previous, uuid: w.uuid, created_at: w.created_at ?? 0, signature: w.signature ?? '' };
}

export type KvVerdict = { ok: true; write: KvWrite } | { ok: false; code: ProofError['code']; message: string };

/**
 * Judge one KV write against an Avatar's KV chain view with the one judge (core judge.ts): its
 * chain steps first (ancestor, time window, replay, position), then the write's own verdict.
 */
export function judgeKvWrite(view: ChainView, avatar: AvatarKey, w: Omit<KvWrite, 'sign_payload'> & { sign_payload?: string }, opts: KvVerifyOptions): KvVerdict {
  const chain = judgeChain(view, kvEntry(w));
  if (chain) return chain;
  try {
    return { ok: true, write: verifyKvWrite(avatar, w, opts) };
  } catch (err) {
    if (err instanceof ProofError) return { ok: false, code: err.code, message: err.message };
    throw err;
  }
}

/** Low-s check for client-sent signatures (a malleated twin must not take an honest write's place). */
export function isHighS(signature: string): boolean {
  return decodeSignature(signature).highS;
}
