/**
 * Subkeys (SPEC §9): an Avatar authorizes another key for a relying party. The sign payload is
 * Go's json.Marshal of a fixed struct — field order avatar, algorithm, public_key, rp_id — with
 * the avatar as compressed hex WITHOUT 0x and the subkey as the client spelled it (upstream signs
 * that spelling, so clients that build the payload themselves keep working). Records are keyed by
 * the canonical spelling, so any spelling finds them. Everything here is attacker-controlled.
 */
import { p256 } from '@noble/curves/nist.js';
import { fail } from './errors.js';
import { bytesEqual, bytesToHex, hexToBytes } from './encoding.js';
import { parsePublicKey, type AvatarKey } from './keys.js';
import { goJsonString, hasUnsignableCharacters } from './payload.js';
import { recoverSigner } from './verify.js';
import type { RecoveryBackend } from './crypto.js';

export const SUBKEY_ALGORITHMS = ['es256', 'secp256k1'] as const;
export type SubkeyAlgorithm = (typeof SUBKEY_ALGORITHMS)[number];

export const MAX_RP_ID_LENGTH = 255;
export const MAX_SUBKEY_NAME_LENGTH = 255;

export function parseAlgorithm(input: unknown): SubkeyAlgorithm {
  if (input === 'es256' || input === 'secp256k1') return input;
  fail('UNKNOWN_ALGORITHM', `algorithm must be es256 or secp256k1, got ${JSON.stringify(String(input).slice(0, 20))}`);
}

/**
 * Canonical spelling of a subkey: secp256k1 as an Avatar id (0x + 33-byte compressed hex);
 * es256 as upstream's form, 0x + 64 bytes X‖Y lowercase hex. es256 input may be X‖Y (upstream's
 * form), 04‖X‖Y or compressed, with or without 0x, any case; the point must be on P-256.
 */
export function canonicalSubkey(algorithm: SubkeyAlgorithm, input: unknown): string {
  if (typeof input !== 'string' || input.length === 0) fail('BAD_PUBLIC_KEY', 'public_key must be a non-empty hex string');
  if (input.length > 140) fail('BAD_PUBLIC_KEY', 'public_key is too long');
  if (input !== input.trim()) fail('BAD_PUBLIC_KEY', 'public_key has surrounding whitespace');
  if (algorithm === 'secp256k1') return parsePublicKey(input).id;
  const bytes = hexToBytes(input);
  if (!bytes || ![64, 65, 33].includes(bytes.length)) {
    fail('BAD_PUBLIC_KEY', 'an es256 public_key is 64 bytes of hex (X‖Y), 65 with a leading 04, or 33 compressed');
  }
  const sec1 = bytes.length === 64 ? Uint8Array.of(4, ...bytes) : bytes;
  let xy: Uint8Array;
  try {
    xy = p256.Point.fromBytes(sec1).toBytes(false).subarray(1);
  } catch {
    fail('BAD_PUBLIC_KEY', 'public_key is not a point on P-256');
  }
  if (bytes.length === 64 && !bytesEqual(xy, bytes)) fail('BAD_PUBLIC_KEY', 'public_key is not a point on P-256');
  return `0x${bytesToHex(xy)}`;
}

/** rp_id (relying party id, e.g. a domain) and name: required/optional signable text. */
export function checkRpId(input: unknown): string {
  if (typeof input !== 'string' || input === '') fail('BAD_REQUEST', 'rp_id is required');
  if (input.length > MAX_RP_ID_LENGTH) fail('BAD_REQUEST', `rp_id is longer than ${MAX_RP_ID_LENGTH} characters`);
  if (hasUnsignableCharacters(input)) fail('BAD_REQUEST', 'rp_id has control characters or invalid UTF-16');
  return input;
}

export function checkSubkeyName(input: unknown): string {
  if (input === undefined || input === null) return '';
  if (typeof input !== 'string') fail('BAD_REQUEST', 'name must be a string');
  if (input.length > MAX_SUBKEY_NAME_LENGTH) fail('BAD_REQUEST', `name is longer than ${MAX_SUBKEY_NAME_LENGTH} characters`);
  if (hasUnsignableCharacters(input)) fail('BAD_REQUEST', 'name has control characters or invalid UTF-16');
  return input;
}

export interface SubkeyRequest {
  avatar: AvatarKey;
  algorithm: SubkeyAlgorithm;
  /** the key as the client spelled it (validated): what the payload carries */
  publicKey: string;
  /** canonical spelling: what records are keyed and served by */
  canonicalKey: string;
  rpId: string;
}

/** Validate the fields of POST /v1/subkey/payload and POST /v1/subkey. */
export function parseSubkeyRequest(body: Record<string, unknown>): SubkeyRequest {
  const avatar = parsePublicKey(body['avatar']);
  const algorithm = parseAlgorithm(body['algorithm']);
  const canonicalKey = canonicalSubkey(algorithm, body['public_key']);
  return { avatar, algorithm, publicKey: body['public_key'] as string, canonicalKey, rpId: checkRpId(body['rp_id']) };
}

/** The exact bytes the Avatar signs (Go json.Marshal of upstream's subkeySignPayload). */
export function buildSubkeyPayload(r: Pick<SubkeyRequest, 'avatar' | 'algorithm' | 'publicKey' | 'rpId'>): string {
  return (
    `{"avatar":${goJsonString(r.avatar.id.slice(2))},"algorithm":${goJsonString(r.algorithm)},` +
    `"public_key":${goJsonString(r.publicKey)},"rp_id":${goJsonString(r.rpId)}}`
  );
}

/**
 * Check the Avatar's personal_sign signature over a subkey payload; returns the stored form of
 * the signature. SIGNATURE_MISMATCH when it recovers to anyone else.
 */
export function verifySubkeySignature(backend: RecoveryBackend, avatar: AvatarKey, payload: string, signature: unknown): string {
  const { sig, uncompressed } = recoverSigner(backend, payload, signature as string, 'signature');
  if (uncompressed === null || parsePublicKey(`0x${bytesToHex(uncompressed)}`).id !== avatar.id) {
    fail('SIGNATURE_MISMATCH', 'signature is not the avatar\'s over this subkey payload');
  }
  return sig.canonical;
}

/** A stored subkey record as a feed or query serves it (attacker-controlled when it comes from elsewhere). */
export interface SubkeyRecordInput {
  avatar?: unknown;
  algorithm?: unknown;
  public_key?: unknown;
  rp_id?: unknown;
  name?: unknown;
  sign_payload?: unknown;
  signature?: unknown;
  created_at?: unknown;
}

export interface VerifiedSubkey {
  avatar: string;
  algorithm: SubkeyAlgorithm;
  public_key: string;
  rp_id: string;
  name: string;
  sign_payload: string;
  signature: string;
  created_at: number;
}

/**
 * Re-verify a subkey record made elsewhere (mirror, audit) without trusting whoever served it:
 * its payload must be exactly what upstream's rule builds from the record's own fields (the key
 * spelling the payload carries must name the record's key), and the Avatar's signature must
 * verify over it. Returns the record in stored form. UNVERIFIABLE when it carries no signature
 * (the deployed Next.ID service does not keep one).
 */
export function verifySubkeyRecord(backend: RecoveryBackend, rec: SubkeyRecordInput): VerifiedSubkey {
  const avatar = parsePublicKey(rec.avatar);
  const algorithm = parseAlgorithm(rec.algorithm);
  const publicKey = canonicalSubkey(algorithm, rec.public_key);
  const rpId = checkRpId(rec.rp_id);
  const name = checkSubkeyName(rec.name);
  const createdAt = rec.created_at;
  if (typeof createdAt !== 'number' || !Number.isSafeInteger(createdAt) || createdAt < 0) fail('BAD_CREATED_AT', 'created_at must be unix seconds (a number)');
  if (rec.signature === undefined || rec.signature === null || rec.signature === '') fail('UNVERIFIABLE', 'the record carries no signature: it cannot be verified');
  if (typeof rec.sign_payload !== 'string' || rec.sign_payload.length > 2048) fail('PAYLOAD_MISMATCH', 'sign_payload is missing or too long');
  let signed: unknown;
  try {
    signed = JSON.parse(rec.sign_payload);
  } catch {
    fail('PAYLOAD_MISMATCH', 'sign_payload is not JSON');
  }
  const spelled = typeof signed === 'object' && signed !== null ? (signed as Record<string, unknown>)['public_key'] : undefined;
  if (typeof spelled !== 'string' || canonicalSubkey(algorithm, spelled) !== publicKey) fail('PAYLOAD_MISMATCH', 'sign_payload names another key than the record');
  const rebuilt = buildSubkeyPayload({ avatar, algorithm, publicKey: spelled, rpId });
  if (rebuilt !== rec.sign_payload) fail('PAYLOAD_MISMATCH', "sign_payload is not the payload of the record's fields");
  const signature = verifySubkeySignature(backend, avatar, rebuilt, rec.signature);
  return { avatar: avatar.id, algorithm, public_key: publicKey, rp_id: rpId, name, sign_payload: rebuilt, signature, created_at: createdAt };
}
