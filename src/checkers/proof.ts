/**
 * Helpers shared by the platform checkers: finding the signature in a post (attacker-made
 * text), and verifying it over the link's sign payload with the core verifier.
 */
import { expectedPayload, isProofError, isRecord, samePrev, verifyLink, type RecoveryBackend } from '../core/index.js';
import { PermanentFailure, type CheckTarget, type Evidence } from './types.js';

/** Evidence text is capped: it is stored per binding and served. */
export const MAX_EVIDENCE_CHARS = 16_384;

export function evidence(url: string, text: string | null, fetchedAt: number): Evidence {
  return { url, text: text === null ? null : text.slice(0, MAX_EVIDENCE_CHARS), fetchedAt };
}

/** The value of the first line `Label: value` (e.g. `Sig:`), or null. */
export function findLabelledLine(text: string, label: string): string | null {
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([A-Za-z]+):[ \t]*(\S+)\s*$/.exec(line);
    if (m && m[1] === label) return m[2]!;
  }
  return null;
}

/**
 * Verify `signature` (as found in the post) over the link's payload with the avatar key, using
 * the core verifier. Any decoding or recovery failure is a permanent SIGNATURE_MISMATCH. Returns
 * the signature as found, so a submission without `extra.signature` can take it from the post.
 */
export function verifyFoundSignature(target: CheckTarget, signature: string, backend: RecoveryBackend, ev: Evidence | null): string {
  // The very signature already verified over this payload (the stored or just-verified link):
  // recovering it again, on the event loop, would give the same answer. Only byte-equal text
  // qualifies; any other form found in the post (a twin, other padding) is verified below.
  if (target.verified === true && signature === target.link.signature && signature !== '') return signature;
  try {
    verifyLink(target.avatar, { ...target.link, signature }, { backend, allowLegacy: true });
    return signature;
  } catch (err) {
    if (isProofError(err)) {
      throw new PermanentFailure('SIGNATURE_MISMATCH', `the signature in the proof does not verify over this link's payload (${err.code}: ${err.message})`, ev);
    }
    throw err;
  }
}

/**
 * The common end of a text-post check (twitter, discord, minds, activitypub): the account is
 * still the one the binding was made with (a re-registered name is someone else), the post has
 * a `label:` line with the signature, its Misc line (if any) names this link, and the signature
 * verifies over the link's payload.
 */
export function checkTextPost(
  target: CheckTarget,
  backend: RecoveryBackend,
  post: { text: string; label: string; accountId: string; what: string },
  ev: Evidence,
): { altId: string | undefined; evidence: Evidence; signature: string } {
  if (target.altId && post.accountId !== '' && target.altId !== post.accountId) {
    throw new PermanentFailure('AUTHOR_MISMATCH', `${target.link.identity} is now account ${post.accountId}, the binding was made by account ${target.altId}`, ev);
  }
  const sig = findLabelledLine(post.text, post.label);
  if (sig === null) throw new PermanentFailure('SIGNATURE_MISSING', `${post.what} has no "${post.label}:" line`, ev);
  checkMiscLine(target, post.text, ev);
  return { altId: post.accountId || undefined, evidence: ev, signature: verifyFoundSignature(target, sig, backend, ev) };
}

/** The payload the link signed (the stored one; rebuilt for links that do not carry it). */
export function linkPayload(target: CheckTarget): string {
  return target.link.signature_payload !== '' ? target.link.signature_payload : expectedPayload(target.avatar, target.link);
}

/** Post text `Misc: uuid|created_at|prev` (twitter template): when present it must name this link. */
export function checkMiscLine(target: CheckTarget, text: string, ev: Evidence): void {
  const misc = findLabelledLine(text, 'Misc');
  if (misc === null) return;
  const [uuid = '', createdAt = '', prev = ''] = misc.split('|');
  const { link } = target;
  if (uuid !== link.uuid) throw new PermanentFailure('PAYLOAD_MISMATCH', `the post is for another link (uuid ${uuid.slice(0, 40)}, expected ${link.uuid})`, ev);
  if (createdAt !== String(link.created_at)) throw new PermanentFailure('PAYLOAD_MISMATCH', `the post's created_at ${createdAt.slice(0, 20)} differs from the link's ${link.created_at}`, ev);
  if (!samePrev(prev === '' ? null : prev, link.prev)) throw new PermanentFailure('PAYLOAD_MISMATCH', "the post's prev differs from the link's prev", ev);
}

/** Mastodon/Pleroma status content is HTML: keep line structure, drop tags, decode entities. */
export function htmlToText(html: string): string {
  return decodeEntities(
    html
      .replace(/<br\s*\/?>/gi, '\n')
      .replace(/<\/p>\s*<p[^>]*>/gi, '\n\n')
      .replace(/<[^>]*>/g, ''),
  );
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]{2,8});/gi, (all, e: string) => {
    if (e[0] === '#') {
      const cp = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : all;
    }
    return NAMED[e.toLowerCase()] ?? all;
  });
}

/**
 * The JSON proof file of github gists and keybase (`0x{avatar}.json`): persona, username,
 * sign_payload, signature. `sign_payload` must equal this link's payload, so an older proof
 * file (an earlier link's, still carrying a valid signature) cannot be replayed.
 */
export function checkJsonProofFile(target: CheckTarget, content: string, usernameKey: string, backend: RecoveryBackend, ev: Evidence): string {
  let doc: unknown;
  try {
    doc = JSON.parse(content);
  } catch {
    throw new PermanentFailure('PROOF_MALFORMED', 'the proof file is not valid JSON', ev);
  }
  if (!isRecord(doc)) throw new PermanentFailure('PROOF_MALFORMED', 'the proof file is not a JSON object', ev);
  const persona = doc['persona'];
  if (typeof persona === 'string' && persona.toLowerCase() !== target.avatar.id) {
    throw new PermanentFailure('PAYLOAD_MISMATCH', `the proof file names another avatar (${persona.slice(0, 70)})`, ev);
  }
  const username = doc[usernameKey];
  if (typeof username === 'string' && username.toLowerCase() !== target.link.identity.toLowerCase()) {
    throw new PermanentFailure('AUTHOR_MISMATCH', `the proof file names ${usernameKey} "${username.slice(0, 64)}", not ${target.link.identity}`, ev);
  }
  const signPayload = doc['sign_payload'];
  if (typeof signPayload !== 'string') throw new PermanentFailure('PROOF_MALFORMED', 'the proof file has no sign_payload', ev);
  if (signPayload !== linkPayload(target)) {
    throw new PermanentFailure('PAYLOAD_MISMATCH', "the proof file's sign_payload is not this link's payload (an older proof replayed?)", ev);
  }
  const signature = doc['signature'];
  if (typeof signature !== 'string' || signature === '') throw new PermanentFailure('SIGNATURE_MISSING', 'the proof file has no signature', ev);
  return verifyFoundSignature(target, signature, backend, ev);
}
