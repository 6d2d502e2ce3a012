/**
 * Accepting links: POST /v1/proof (one link, signed over a payload whose prev the server fills
 * from the Avatar's head) and POST /v1/links (already-signed links, each verified as if posted
 * alone). Both are decided by the core's one judge and end in the store's one append path, which
 * judges again inside its transaction. Every field here is attacker-controlled.
 */
import {
  decodeSignature, fail, isRecord, isWalletPlatform, judgeChain, judgeLink, judgingOrder, normalizeIdentity,
  parseLink, parsePublicKey, parseUnixSeconds, hasUnsignableCharacters, prevKey, ProofError, timeWindow, tryAvatarId, UUID_RE,
  verifyItem, type AvatarKey, type Link, type Rejection, type TimeWindow, type VerifyItem, type VerifyResult,
} from '../core/index.js';
import type { AppendContext, AppendItem, AvatarRow, InitialBindingState } from '../store/index.js';
import type { ApiDeps, SubmitCheckResult } from './deps.js';

export interface ProofBody {
  action: string;
  platform: string;
  identity: string;
  public_key: string;
  proof_location?: string;
  uuid: string;
  created_at: string | number;
  extra?: { signature?: string; wallet_signature?: string };
}

/**
 * The judge's created_at window for this daemon: no later than now + skew; for a fresh
 * submission (POST /v1/proof, whose payload endpoint issued created_at) also no older than the
 * max age. Imports and mirrors carry links made long ago: no max age.
 */
export function createdAtWindow(deps: ApiDeps, fresh: boolean, nowMs = Date.now()): TimeWindow {
  return timeWindow(nowMs, deps.config.createdAtSkewSeconds, fresh ? deps.config.createdAtMaxAgeSeconds : 0);
}

const rejected = (r: Rejection): ProofError => new ProofError(r.code, r.message);

export function checkPlatform(deps: ApiDeps, platform: string): void {
  if (!deps.config.platforms.includes(platform)) fail('UNKNOWN_PLATFORM', `platform "${platform.slice(0, 40)}" is not enabled here`);
}

export function checkAction(action: string): asserts action is Link['action'] {
  if (action !== 'create' && action !== 'delete') fail('UNKNOWN_ACTION', `unknown action "${action.slice(0, 20)}"`);
}

function requireLowS(sig: string, what: string): void {
  if (decodeSignature(sig, what).highS) fail('BAD_SIGNATURE_ENCODING', `${what} has a high s value; send the low-s form (s ≤ n/2)`);
}

/**
 * Only low-s signatures from clients: the high-s twin of a signature seen in a public proof post
 * verifies too, and must not be able to take the honest submission's place. (After the judge's
 * chain steps, so a replay with a spoilt signature is a replay, as on import.)
 */
function requireClientSignatures(link: Link, body: ProofBody): void {
  const walletOnly = link.signature === (body.extra?.wallet_signature ?? '');
  if (!(walletOnly && link.platform === 'solana')) requireLowS(link.signature, walletOnly ? 'extra.wallet_signature' : 'extra.signature');
  const w = link.extra['wallet_signature'];
  if (w !== undefined && link.platform === 'ethereum') requireLowS(w, 'extra.wallet_signature');
}

/**
 * Build the link a POST /v1/proof body describes, with prev taken from the current head. A
 * create without extra.signature on a post-based platform comes back with signature '': the
 * caller takes it from the proof post.
 */
function linkFromBody(body: ProofBody, identity: string, prev: string | null): Link {
  const uuid = body.uuid.toLowerCase();
  if (!UUID_RE.test(uuid)) fail('BAD_UUID', 'uuid must be a canonical UUID');
  const createdAt = parseUnixSeconds(body.created_at);
  let signature = body.extra?.signature ?? '';
  const walletSig = body.extra?.wallet_signature ?? '';
  const extra: Record<string, string> = {};
  if (isWalletPlatform(body.platform)) {
    if (signature === '' && walletSig !== '' && body.action === 'delete') signature = walletSig; // wallet-only delete
    else if (walletSig !== '') extra['wallet_signature'] = walletSig;
  }
  if (signature === '' && (body.action !== 'create' || isWalletPlatform(body.platform))) fail('SIGNATURE_REQUIRED', 'extra.signature is required');
  const loc = body.proof_location ?? '';
  if (loc.length > 1024 || hasUnsignableCharacters(loc)) fail('BAD_PROOF_LOCATION', 'proof_location is too long or has control characters');
  return {
    prev, action: body.action as Link['action'], platform: body.platform, identity, proof_location: loc === '' ? null : loc,
    created_at: createdAt, uuid, signature, signature_payload: '', extra,
  };
}

/**
 * What POST /v1/proof/payload and POST /v1/proof both start from: the checked action and
 * platform, the Avatar, the normalized identity, and the Avatar's current head.
 */
export function proofSubject(deps: ApiDeps, body: Pick<ProofBody, 'action' | 'platform' | 'identity' | 'public_key'>) {
  checkAction(body.action);
  checkPlatform(deps, body.platform);
  const avatar = parsePublicKey(body.public_key, deps.verifier.backend);
  const identity = normalizeIdentity(body.platform, body.identity, true);
  const row = deps.store.avatarRow(avatar.id);
  return { action: body.action, avatar, identity, row, head: row?.head_signature ?? null };
}

export async function submitProof(deps: ApiDeps, body: ProofBody, signal: AbortSignal): Promise<{ linkId: number }> {
  if (deps.readOnly) fail('READ_ONLY', 'this proofkeep is a read-only mirror');
  const { avatar, identity, row, head } = proofSubject(deps, body);
  let link = linkFromBody(body, identity, head);
  const window = createdAtWindow(deps, true);
  const view = { ...deps.store.chainView(row?.id, head), window };
  // The judge's chain steps before the ~ms of signature recovery: replays are the common bad input.
  const early = judgeChain(view, link);
  if (early) throw rejected(early);
  if (link.signature !== '') requireClientSignatures(link, body);
  if (link.action === 'delete' && row && !deps.store.read.binding(row.id, link.platform, identity)) {
    fail('NOT_FOUND', `avatar has no ${link.platform} binding for ${identity}`);
  }
  // Next.ID's SDK sends no extra for post-based platforms: the signature is in the post.
  let fromPost: SubmitCheckResult | undefined;
  if (link.signature === '') {
    if (!deps.signatureFromPost) fail('SIGNATURE_REQUIRED', 'extra.signature is required: this proofkeep does not fetch proof posts on submit (checkers.verifyOnSubmit is off)');
    const found = await deps.signatureFromPost({ avatar, link, signal });
    requireLowS(found.signature, 'the signature in the proof post');
    link = { ...link, signature: found.signature };
    fromPost = found;
  }
  // The same judge as a signature sent in extra, whichever way it came.
  const signed = await signedLink(deps, avatar, link, row, signal);
  const verdict = judgeLink(view, signed.link, signed.own);
  if (!verdict.ok) throw rejected(verdict);
  const verified = verdict.link;
  let initial: InitialBindingState | undefined;
  if (fromPost) {
    initial = { status: 'valid', checkedAt: Math.floor(Date.now() / 1000), ...(fromPost.alt_id ? { alt_id: fromPost.alt_id } : {}), ...(fromPost.evidence ? { evidence: fromPost.evidence } : {}) };
  } else if (verified.action === 'create' && !isWalletPlatform(verified.platform) && deps.submitCheck) {
    const r = await deps.submitCheck({ avatar, link: verified, signal });
    if (r.status === 'valid') {
      initial = { status: 'valid', checkedAt: Math.floor(Date.now() / 1000), ...(r.alt_id ? { alt_id: r.alt_id } : {}), ...(r.evidence ? { evidence: r.evidence } : {}) };
    }
  }
  const item: AppendItem = { avatar, link: verified, ...(initial ? { initial } : {}) };
  const [outcome] = await deps.store.appendLinks([item], { window });
  if (!outcome!.ok) throw outcome!.error;
  return { linkId: outcome!.linkId };
}

/**
 * The link the client signed, with its own verdict. The body has no prev: the server assumes the
 * head. Verification runs in the worker pool when there is one (batched with concurrent
 * requests), off the event loop. When it fails, a signature over the head's own prev means the
 * client signed a payload issued before the head moved: then the link is the one with that prev
 * (verified here, it is rare), and the judge calls it what it is — a FORK. `row` is the Avatar
 * as read before verifying; its last link is immutable (links are append-only).
 */
async function signedLink(deps: ApiDeps, avatar: AvatarKey, link: Link, row: AvatarRow | undefined, signal: AbortSignal): Promise<{ link: Link; own: VerifyResult }> {
  const own = await deps.verifier.verifyOne({ avatar, link, allowLegacy: false }, signal);
  if (own.ok || own.code !== 'SIGNATURE_MISMATCH' || !row || row.head_link_id === null) return { link, own };
  const headPrev = deps.store.read.linkBySeq(row.id, row.link_count - 1)?.prev;
  if (headPrev === undefined) return { link, own };
  const older = { ...link, prev: headPrev };
  const again = verifyItem({ avatar, link: older, allowLegacy: false }, deps.verifier.backend);
  return again.ok ? { link: older, own: again } : { link, own };
}

export interface ImportResult {
  index: number;
  avatar: string;
  uuid: string;
  status: 'accepted' | 'exists' | 'rejected';
  code?: string;
  message?: string;
}

/** Parse a bulk body: {links:[…each with avatar…]} or a chain document. */
export function parseImportBody(body: unknown, maxLinks: number): Array<{ avatar: string; raw: unknown; link?: Link; error?: ProofError }> {
  if (!isRecord(body)) fail('BAD_REQUEST', 'body must be an object with "links"');
  const links = body['links'];
  if (!Array.isArray(links)) fail('BAD_REQUEST', '"links" must be an array');
  if (links.length > maxLinks) fail('PAYLOAD_TOO_LARGE', `at most ${maxLinks} links per request`);
  const parseOne = (raw: unknown, avatar: string) => {
    try {
      return { avatar, raw, link: parseLink(raw) };
    } catch (err) {
      if (err instanceof ProofError) return { avatar, raw, error: err };
      throw err;
    }
  };
  if (isRecord(body['avatar'])) {
    const pk = (body['avatar'] as Record<string, unknown>)['public_key'];
    if (typeof pk !== 'string') fail('BAD_PUBLIC_KEY', 'avatar.public_key must be a string');
    const parsed = links.map((raw) => parseOne(raw, pk));
    // A document's order is its prev pointers, not its array order: the core's judging order
    // (the chain, then what could not be placed, parents first), unreadable links last.
    const good = parsed.filter((p) => p.link);
    const order = judgingOrder(good.map((p) => p.link!));
    return [...order.map((i) => good[i]!), ...parsed.filter((p) => !p.link)];
  }
  return links.map((raw) => {
    const avatar = isRecord(raw) && typeof raw['avatar'] === 'string' ? raw['avatar'] : '';
    return parseOne(raw, avatar);
  });
}

/** Links per verify-then-append step of a bulk import (see importLinks). */
const IMPORT_CHUNK = 256;

export async function importLinks(deps: ApiDeps, body: unknown, signal: AbortSignal): Promise<ImportResult[]> {
  if (deps.readOnly) fail('READ_ONLY', 'this proofkeep is a read-only mirror');
  const parsed = parseImportBody(body, deps.config.bulkMaxLinks);
  const results: ImportResult[] = parsed.map((p, index) => ({
    index, avatar: p.avatar, uuid: p.link?.uuid ?? '', status: 'rejected',
    ...(p.error ? { code: p.error.code, message: p.error.message } : {}),
  }));
  // The request's own view for the judge: its time window, and the links it saw rejected (an
  // unreadable one included), so that what hangs off them is BROKEN_ANCESTOR.
  const bad = new Set<string>();
  const ctx: AppendContext = {
    window: createdAtWindow(deps, false),
    rejected: { has: (a, k) => bad.has(`${a}\u0000${k}`), add: (a, k) => void bad.add(`${a}\u0000${k}`) },
  };
  const toVerify: Array<{ i: number; key: AvatarKey; item: VerifyItem }> = [];
  parsed.forEach((p, i) => {
    if (!p.link) {
      const sig = isRecord(p.raw) && typeof p.raw['signature'] === 'string' ? p.raw['signature'] : null;
      const a = tryAvatarId(p.avatar);
      if (sig !== null && a !== null) ctx.rejected!.add(a, prevKey(sig));
      return;
    }
    try {
      const key = parsePublicKey(p.avatar, deps.verifier.backend);
      results[i]!.avatar = key.id;
      toVerify.push({ i, key, item: { avatar: key, link: p.link, allowLegacy: true } });
    } catch (err) {
      if (!(err instanceof ProofError)) throw err;
      Object.assign(results[i]!, { code: err.code, message: err.message });
    }
  });
  // Pipelined: every chunk goes to the verifier now (the pool works through them in order), and
  // each chunk is appended as soon as it is verified, so the workers verify chunk k+1 while the
  // main thread appends chunk k. Every verified item goes to the store, a failed one with its own
  // verdict: the store runs the judge in order inside its transaction, so every outcome is what
  // one append of the whole batch would give. (A failed commit fails only its chunk's group;
  // earlier chunks stay stored — replaying is idempotent.)
  const chunks: Array<typeof toVerify> = [];
  for (let k = 0; k < toVerify.length; k += IMPORT_CHUNK) chunks.push(toVerify.slice(k, k + IMPORT_CHUNK));
  const verdictsOf = chunks.map((c) => deps.verifier.verifyLinks(c.map((t) => t.item), signal));
  for (const v of verdictsOf) v.catch(() => undefined); // awaited below; a rejection is rethrown there
  const appended: Promise<void>[] = [];
  try {
    for (let c = 0; c < chunks.length; c++) {
      const verdicts = await verdictsOf[c]!;
      const items: AppendItem[] = verdicts.map((v, k) => {
        const { key, item } = chunks[c]![k]!;
        return v.ok ? { avatar: key, link: v.link, idempotent: true } : { avatar: key, link: item.link, own: v, idempotent: true };
      });
      const done = deps.store.appendLinks(items, ctx).then((outcomes) => {
        outcomes.forEach((o, k) => {
          const r = results[chunks[c]![k]!.i]!;
          if (o.ok) r.status = o.existed ? 'exists' : 'accepted';
          else Object.assign(r, { code: o.error.code, message: o.error.message });
        });
      });
      done.catch(() => undefined); // awaited below
      appended.push(done);
    }
  } finally {
    // Never leave a chunk's append running unobserved, even when verification failed midway.
    await Promise.allSettled(appended);
  }
  await Promise.all(appended);
  return results;
}
