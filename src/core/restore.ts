/**
 * POST /v1/proof/restore_pubkey (protocol: subkeys and restore_pubkey): rebuild the sign payload a link would have had and
 * recover who signed it. Two request forms: the link's fields, or (twitter only) the proof
 * post's text with its `Sig:` and `Misc: uuid|created_at|previous` lines. Upstream panics on
 * platforms it cannot build a payload for (unknown ones, and ethereum/solana whose payload
 * contains the very key being looked for); here those are 400s with a code. Input is
 * attacker-controlled.
 */
import type { RecoveryBackend } from './crypto.js';
import { bytesToHex } from './encoding.js';
import { fail } from './errors.js';
import { parsePublicKey } from './keys.js';
import { UUID_RE } from './link.js';
import { buildSignPayload } from './payload.js';
import { isKnownPlatform, isWalletPlatform, normalizeIdentity } from './platforms.js';
import { parseUnixSeconds } from './convert.js';
import { decodeSignature } from './signature.js';
import { recoverSigner } from './verify.js';

export interface RestoreRequest {
  action?: unknown;
  platform?: unknown;
  identity?: unknown;
  proof_post?: unknown;
  uuid?: unknown;
  created_at?: unknown;
  previous?: unknown;
  signature?: unknown;
}

export const MAX_PROOF_POST_LENGTH = 4096;

const SIG_LINE = /^Sig: (.+?)$/;
const MISC_LINE = /^Misc: ([^|]+)\|(\d+)\|(.+)?$/;

function text(v: unknown, key: string): string {
  if (v === undefined || v === null || v === '') fail('BAD_REQUEST', `${key} is required`);
  if (typeof v !== 'string') fail('BAD_REQUEST', `${key} must be a string`);
  return v;
}

/** The fields of the link, from either form (the post's lines as upstream scans them: last match wins). */
function fieldsOf(req: RestoreRequest, platform: string) {
  if (req.proof_post !== undefined && req.proof_post !== null && req.proof_post !== '') {
    const post = text(req.proof_post, 'proof_post');
    if (post.length > MAX_PROOF_POST_LENGTH) fail('BAD_REQUEST', `proof_post is longer than ${MAX_PROOF_POST_LENGTH} characters`);
    if (platform !== 'twitter') fail('UNSUPPORTED_PLATFORM', 'restoring from proof_post works only for platform twitter');
    let signature: string | null = null;
    let misc: RegExpExecArray | null = null;
    for (const line of post.split(/\r?\n/)) {
      const s = SIG_LINE.exec(line);
      if (s) signature = s[1]!;
      const m = MISC_LINE.exec(line);
      if (m) misc = m;
    }
    if (signature === null) fail('BAD_REQUEST', 'proof_post has no "Sig: …" line');
    if (misc === null) fail('BAD_REQUEST', 'proof_post has no "Misc: uuid|created_at|previous" line');
    return { uuid: misc[1]!, createdAt: misc[2]!, previous: misc[3] ?? '', signature };
  }
  return { uuid: text(req.uuid, 'uuid'), createdAt: text(req.created_at, 'created_at'), previous: req.previous ?? '', signature: text(req.signature, 'signature') };
}

/** The Avatar id (0x + compressed hex) that signed the described link. */
export function restorePubkey(backend: RecoveryBackend, req: RestoreRequest): string {
  const action = text(req.action, 'action');
  if (action !== 'create' && action !== 'delete') fail('UNKNOWN_ACTION', `unknown action "${action.slice(0, 20)}"`);
  const platform = text(req.platform, 'platform');
  if (!isKnownPlatform(platform)) fail('UNKNOWN_PLATFORM', `unknown platform "${platform.slice(0, 40)}"`);
  if (isWalletPlatform(platform)) fail('UNSUPPORTED_PLATFORM', `a ${platform} payload contains the avatar key itself: it cannot be restored from a signature`);
  const identity = normalizeIdentity(platform, text(req.identity, 'identity'), false);
  const f = fieldsOf(req, platform);
  const uuid = f.uuid.toLowerCase();
  if (!UUID_RE.test(uuid)) fail('BAD_UUID', 'uuid must be a canonical UUID');
  const createdAt = parseUnixSeconds(f.createdAt);
  if (typeof f.previous !== 'string') fail('BAD_REQUEST', 'previous must be a string');
  // Upstream's rule: previous is "" or 65 bytes of base64; the payload carries it as sent.
  if (f.previous !== '') decodeSignature(f.previous, 'previous');
  const payload = buildSignPayload({ action, created_at: String(createdAt), identity, platform, prev: f.previous === '' ? null : f.previous, uuid });
  const { uncompressed } = recoverSigner(backend, payload, f.signature);
  if (uncompressed === null) fail('SIGNATURE_MISMATCH', 'no public key recovers from this signature over the rebuilt payload');
  return parsePublicKey(`0x${bytesToHex(uncompressed)}`).id;
}
