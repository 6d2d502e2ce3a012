/**
 * Verification of one link's signatures (SPEC §3) and of the append rule (SPEC §4). Pure: the
 * caller supplies the Avatar key, the chain view and the recovery backend.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { base58Decode } from './base58.js';
import { personalSignDigest, type RecoveryBackend } from './crypto.js';
import { base64ToBytes, bytesEqual, utf8 } from './encoding.js';
import { fail, ProofError, type ErrorCode } from './errors.js';
import { addressOf, parsePublicKey, type AvatarKey } from './keys.js';
import { ACTIONS, isLegacyLink, UUID_RE, type Link } from './link.js';
import { buildLegacySignPayload, buildSignPayload } from './payload.js';
import { isWalletPlatform } from './platforms.js';
import { hasUnsignableCharacters } from './payload.js';
import { decodeSignature } from './signature.js';
import type { Rejection } from './judge.js';

/** Platform names a link may carry (enabled platforms are the API's stricter rule). */
export const PLATFORM_NAME = /^[a-z0-9_]{1,32}$/;

export interface VerifyOptions {
  backend: RecoveryBackend;
  /** accept legacy 4-field links (rebuilding chains made elsewhere); never for POST /v1/proof */
  allowLegacy?: boolean;
  /**
   * `expectedPayload(avatar, link)`, when the caller has just built it (the dump audit does, to
   * confirm a link's prev): not built twice. Only ever that string, else the verdict is wrong.
   */
  payload?: string;
}

/** The sign payload rebuilt from a link's fields (legacy form when uuid and payload are empty). */
export function expectedPayload(avatar: AvatarKey, link: Link): string {
  if (link.uuid === '') return buildLegacySignPayload(link);
  return buildSignPayload({
    action: link.action,
    created_at: String(link.created_at),
    identity: link.identity,
    platform: link.platform,
    prev: link.prev,
    uuid: link.uuid,
    ...(isWalletPlatform(link.platform) ? { persona: avatar.id } : {}),
  });
}

/** Compress a 65-byte uncompressed point: parity of y picks the prefix. */
function compress(uncompressed: Uint8Array): Uint8Array {
  const out = new Uint8Array(33);
  out[0] = (uncompressed[64]! & 1) === 1 ? 3 : 2;
  out.set(uncompressed.subarray(1, 33), 1);
  return out;
}

/** Recover the signer of a personal_sign signature; null when nothing recovers. */
export function recoverSigner(backend: RecoveryBackend, payload: string, signature: string, what = 'signature') {
  return recoverFromDigest(backend, personalSignDigest(payload, backend.keccak256), signature, what);
}

/** recoverSigner with the payload's digest already taken (a wallet link's two signatures share it). */
function recoverFromDigest(backend: RecoveryBackend, digest: Uint8Array, signature: string, what = 'signature') {
  const sig = decodeSignature(signature, what);
  const pub = backend.recover(digest, sig.compact, sig.recovery);
  return { sig, uncompressed: pub };
}

function signedByAvatar(backend: RecoveryBackend, avatar: AvatarKey, digest: Uint8Array, signature: string): { ok: boolean; canonical: string } {
  if (backend.recoverCompressed) {
    const sig = decodeSignature(signature);
    const pub = backend.recoverCompressed(digest, sig.compact, sig.recovery);
    return { ok: pub !== null && bytesEqual(pub, avatar.compressed), canonical: sig.canonical };
  }
  const { sig, uncompressed } = recoverFromDigest(backend, digest, signature);
  return { ok: uncompressed !== null && bytesEqual(compress(uncompressed), avatar.compressed), canonical: sig.canonical };
}

function signedByAddress(backend: RecoveryBackend, address: string, digest: Uint8Array, signature: string, what: string): { ok: boolean; canonical: string } {
  const { sig, uncompressed } = recoverFromDigest(backend, digest, signature, what);
  return { ok: uncompressed !== null && addressOf(uncompressed, backend.keccak256) === address.toLowerCase(), canonical: sig.canonical };
}

function solanaSigned(address: string, payload: string, signature: string): boolean {
  const pub = base58Decode(address);
  const sig = base64ToBytes(signature);
  if (!pub || pub.length !== 32) return false;
  if (!sig || sig.length !== 64) fail('BAD_SIGNATURE_ENCODING', 'solana wallet_signature must be base64 of 64 bytes');
  try {
    return ed25519.verify(sig, utf8(payload), pub);
  } catch {
    return false;
  }
}

/**
 * Verify a link's own signatures against its Avatar (not its place in the chain). Returns the
 * link in stored form: canonical signature, canonical wallet signature, and the exact payload.
 * Throws ProofError with the SPEC code of the first failure.
 */
export function verifyLink(avatar: AvatarKey, link: Link, opts: VerifyOptions): Link {
  if (!ACTIONS.includes(link.action)) fail('UNKNOWN_ACTION', `unknown action "${String(link.action).slice(0, 20)}"`);
  // Form (attacker-controlled names): what no platform signs, whatever path the link came by.
  if (!PLATFORM_NAME.test(link.platform)) fail('UNKNOWN_PLATFORM', `bad platform name "${link.platform.slice(0, 40)}"`);
  if (link.identity === '' || hasUnsignableCharacters(link.identity)) fail('BAD_IDENTITY', 'identity is empty or has control characters');
  const legacy = isLegacyLink(link) || link.uuid === '';
  if (legacy && !opts.allowLegacy) fail('BAD_UUID', 'uuid is required');
  if (!legacy && !UUID_RE.test(link.uuid)) fail('BAD_UUID', 'uuid must be a lowercase canonical UUID');
  const payload = opts.payload ?? expectedPayload(avatar, link);
  if (link.signature_payload !== '' && link.signature_payload !== payload) {
    fail('PAYLOAD_MISMATCH', 'signature_payload differs from the payload rebuilt from the link fields', { expected: payload });
  }
  if (link.signature === '') fail('UNVERIFIABLE', 'link has an empty signature and cannot be verified');

  const extra = { ...link.extra };
  let signature: string;
  if (link.platform === 'ethereum' || link.platform === 'solana') {
    signature = verifyWalletLink(avatar, link, payload, extra, opts.backend);
  } else {
    const r = signedByAvatar(opts.backend, avatar, personalSignDigest(payload, opts.backend.keccak256), link.signature);
    if (!r.ok) fail('SIGNATURE_MISMATCH', 'signature was not made by this avatar over the link payload');
    signature = r.canonical;
  }
  return { ...link, signature, signature_payload: legacy ? link.signature_payload : payload, extra };
}

/**
 * Wallet bindings (SPEC §3): create needs both the Avatar's and the wallet's signature; delete
 * needs either, and a wallet-only delete stores the wallet signature as `signature`.
 */
function verifyWalletLink(avatar: AvatarKey, link: Link, payload: string, extra: Record<string, string>, backend: RecoveryBackend): string {
  const walletSig = extra['wallet_signature'] ?? '';
  // Both signatures are over the one payload: its digest is taken once.
  const digest = personalSignDigest(payload, backend.keccak256);
  const byWallet = (sig: string): { ok: boolean; canonical: string } =>
    link.platform === 'ethereum'
      ? signedByAddress(backend, link.identity, digest, sig, 'wallet_signature')
      : { ok: solanaSigned(link.identity, payload, sig), canonical: sig };

  const avatarCheck = (() => {
    try {
      return signedByAvatar(backend, avatar, digest, link.signature);
    } catch (err) {
      if (link.action === 'delete' && err instanceof ProofError) return { ok: false, canonical: link.signature };
      throw err;
    }
  })();

  if (link.action === 'create') {
    if (!avatarCheck.ok) fail('SIGNATURE_MISMATCH', 'signature was not made by this avatar over the link payload');
    if (walletSig === '') fail('WALLET_SIGNATURE_MISMATCH', 'extra.wallet_signature is required to bind a wallet');
    const w = byWallet(walletSig);
    if (!w.ok) fail('WALLET_SIGNATURE_MISMATCH', `wallet_signature was not made by ${link.identity}`);
    extra['wallet_signature'] = w.canonical;
    return avatarCheck.canonical;
  }
  if (avatarCheck.ok) {
    if (walletSig !== '') {
      const w = byWallet(walletSig);
      if (!w.ok) fail('WALLET_SIGNATURE_MISMATCH', `wallet_signature was not made by ${link.identity}`);
      extra['wallet_signature'] = w.canonical;
    }
    return avatarCheck.canonical;
  }
  // Wallet-only delete: the wallet's signature is the link's signature.
  const w = byWallet(link.signature);
  if (!w.ok) fail('SIGNATURE_MISMATCH', 'delete was signed by neither the avatar nor the bound wallet');
  return w.canonical;
}

/** One link to verify: the one item type of every verifier (inline, pooled, in a page). */
export interface VerifyItem {
  /** the Avatar in any key form (attacker-controlled), or an already parsed key */
  avatar: string | AvatarKey;
  link: Link;
  /** accept legacy 4-field links (chains made elsewhere); never for POST /v1/proof */
  allowLegacy: boolean;
}

/** A link's own verdict: the stored form, or the code of its first failure. */
export type VerifyResult = { ok: true; link: Link } | Rejection;

/**
 * Verify one item; never throws. A ProofError is the link's verdict; anything else is a defect
 * of ours, reported as INTERNAL (the link is rejected, the batch goes on) — the same on every
 * thread, so pooled and inline verdicts are identical by construction. `payload`: as
 * VerifyOptions.payload (only `expectedPayload` of this very avatar and link).
 */
export function verifyItem(item: VerifyItem, backend: RecoveryBackend, payload?: string): VerifyResult {
  try {
    const key = typeof item.avatar === 'string' ? parsePublicKey(item.avatar, backend) : item.avatar;
    return { ok: true, link: verifyLink(key, item.link, payload === undefined ? { backend, allowLegacy: item.allowLegacy } : { backend, allowLegacy: item.allowLegacy, payload }) };
  } catch (err) {
    if (err instanceof ProofError) return { ok: false, code: err.code, message: err.message };
    const code: ErrorCode = 'INTERNAL';
    return { ok: false, code, message: `link could not be verified: ${(err as Error)?.message ?? String(err)}` };
  }
}
