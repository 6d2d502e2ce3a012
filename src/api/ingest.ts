/**
 * Accepting links: POST /v1/proof (one link, signed over a payload whose prev the server fills
 * from the Avatar's head) and POST /v1/links (already-signed links, each verified as if posted
 * alone). Both end in the store's one append path. Every field here is attacker-controlled.
 */
import {
  decodeSignature, fail, isRecord, isWalletPlatform, normalizeIdentity, orderChain, parseLink,
  parsePublicKey, parseUnixSeconds, hasUnsignableCharacters, ProofError, UUID_RE, verifyLink,
  type AvatarKey, type Link,
} from '../core/index.js';
import type { AppendItem, AvatarRow, InitialBindingState } from '../store/index.js';
import type { ApiDeps } from './deps.js';
import type { VerifyItem } from '../crypto/verifier.js';

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

const PLATFORM_NAME = /^[a-z0-9_]{1,32}$/;

export function checkCreatedAt(deps: ApiDeps, createdAt: number, fresh: boolean): void {
  const now = Math.floor(Date.now() / 1000);
  if (createdAt > now + deps.config.createdAtSkewSeconds) fail('BAD_CREATED_AT', 'created_at is in the future');
  if (fresh && deps.config.createdAtMaxAgeSeconds > 0 && createdAt < now - deps.config.createdAtMaxAgeSeconds) {
    fail('BAD_CREATED_AT', `created_at is older than ${deps.config.createdAtMaxAgeSeconds}s; request a new payload`);
  }
}

export function checkPlatform(deps: ApiDeps, platform: string): void {
  if (!deps.config.platforms.includes(platform)) fail('UNKNOWN_PLATFORM', `platform "${platform.slice(0, 40)}" is not enabled here`);
}

export function checkAction(action: string): asserts action is Link['action'] {
  if (action !== 'create' && action !== 'delete') fail('UNKNOWN_ACTION', `unknown action "${action.slice(0, 20)}"`);
}

function requireLowS(sig: string, what: string): void {
  if (decodeSignature(sig, what).highS) fail('BAD_SIGNATURE_ENCODING', `${what} has a high s value; send the low-s form (s ≤ n/2)`);
}

/** Build the link a POST /v1/proof body describes, with prev taken from the current head. */
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
  if (signature === '') fail('BAD_REQUEST', 'extra.signature is required');
  // Only low-s signatures from clients: the high-s twin of a signature seen in a public proof
  // post verifies too, and must not be able to take the honest submission's place.
  const walletOnly = signature === walletSig;
  if (!(walletOnly && body.platform === 'solana')) requireLowS(signature, walletOnly ? 'extra.wallet_signature' : 'extra.signature');
  if (extra['wallet_signature'] !== undefined && body.platform === 'ethereum') requireLowS(extra['wallet_signature'], 'extra.wallet_signature');
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
  const avatar = parsePublicKey(body.public_key);
  const identity = normalizeIdentity(body.platform, body.identity, true);
  const row = deps.store.avatarRow(avatar.id);
  return { action: body.action, avatar, identity, row, head: row?.head_signature ?? null };
}

export async function submitProof(deps: ApiDeps, body: ProofBody, signal: AbortSignal): Promise<{ linkId: number }> {
  if (deps.readOnly) fail('READ_ONLY', 'this proofkeep is a read-only mirror');
  const { avatar, identity, row, head } = proofSubject(deps, body);
  const link = linkFromBody(body, identity, head);
  checkCreatedAt(deps, link.created_at, true);
  // Cheap checks before the ~ms of signature recovery: replays are the common bad input.
  const view = deps.store.chainView(row?.id, head);
  if (view.hasUuid(link.uuid)) fail('DUPLICATE_UUID', `uuid ${link.uuid} was already used by this avatar`);
  if (link.action === 'delete' && row && !deps.store.read.binding(row.id, link.platform, identity)) {
    fail('NOT_FOUND', `avatar has no ${link.platform} binding for ${identity}`);
  }
  const verified = await verifyAgainstHead(deps, avatar, link, row);
  let initial: InitialBindingState | undefined;
  if (verified.action === 'create' && !isWalletPlatform(verified.platform) && deps.submitCheck) {
    const r = await deps.submitCheck({ avatar, link: verified, signal });
    if (r.status === 'valid') {
      initial = { status: 'valid', checkedAt: Math.floor(Date.now() / 1000), ...(r.alt_id ? { alt_id: r.alt_id } : {}), ...(r.evidence ? { evidence: r.evidence } : {}) };
    }
  }
  const item: AppendItem = { avatar, link: verified, ...(initial ? { initial } : {}) };
  const [outcome] = await deps.store.appendLinks([item]);
  if (!outcome!.ok) throw outcome!.error;
  return { linkId: outcome!.linkId };
}

/**
 * Verify with prev = the current head. Most submissions verify: that runs in the worker pool when
 * there is one (batched with concurrent requests), off the event loop. Any failure is re-decided
 * below on this thread, exactly as without the pool.
 */
async function verifyAgainstHead(deps: ApiDeps, avatar: AvatarKey, link: Link, row: AvatarRow | undefined): Promise<Link> {
  if (deps.verifier.verifyOne) {
    const r = await deps.verifier.verifyOne({ avatar: avatar.id, link, allowLegacy: false });
    if (r.ok) return r.link;
  }
  return verifyAgainstHeadHere(deps, avatar, link, row);
}

/**
 * When verification fails, a signature over the head's own prev means the client signed a
 * payload issued before the head moved: a fork, not a forgery. `row` is the Avatar as read
 * before verifying; its last link is immutable (links are append-only), so reading it now gives
 * what it gave then.
 */
function verifyAgainstHeadHere(deps: ApiDeps, avatar: AvatarKey, link: Link, row: AvatarRow | undefined): Link {
  const backend = deps.verifier.backend;
  try {
    return verifyLink(avatar, link, { backend });
  } catch (err) {
    if (!(err instanceof ProofError) || err.code !== 'SIGNATURE_MISMATCH' || !row || row.head_link_id === null) throw err;
    const headPrev = deps.store.read.linkBySeq(row.id, row.link_count - 1)?.prev;
    if (headPrev === undefined) throw err;
    try {
      verifyLink(avatar, { ...link, prev: headPrev }, { backend });
    } catch {
      throw err;
    }
    throw new ProofError('FORK', 'the payload was signed against an older head of this chain; request a new payload');
  }
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
    // A document's order is its prev pointers, not its array order.
    const good = parsed.filter((p) => p.link);
    const { ordered } = orderChain(good.map((p) => p.link!));
    const rank = new Map(ordered.map((l, i) => [l, i]));
    return [...parsed].sort((a, b) => (rank.get(a.link!) ?? Infinity) - (rank.get(b.link!) ?? Infinity));
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
  const toVerify: Array<{ i: number; item: VerifyItem }> = [];
  parsed.forEach((p, i) => {
    if (!p.link) return;
    try {
      results[i]!.avatar = parsePublicKey(p.avatar).id;
      if (!PLATFORM_NAME.test(p.link.platform)) fail('UNKNOWN_PLATFORM', `bad platform name "${p.link.platform.slice(0, 40)}"`);
      if (p.link.identity === '' || hasUnsignableCharacters(p.link.identity)) fail('BAD_IDENTITY', 'identity is empty or has control characters');
      checkCreatedAt(deps, p.link.created_at, false);
      toVerify.push({ i, item: { avatar: p.avatar, link: p.link, allowLegacy: true } });
    } catch (err) {
      if (!(err instanceof ProofError)) throw err;
      Object.assign(results[i]!, { code: err.code, message: err.message });
    }
  });
  // Pipelined: every chunk goes to the verifier now (the pool works through them in order), and
  // each chunk is appended as soon as it is verified, so the workers verify chunk k+1 while the
  // main thread appends chunk k. Appends are issued in input order and the store applies them in
  // that order, so every outcome is what one append of the whole batch would give. (A failed
  // commit now fails only its chunk's group; earlier chunks stay stored — replaying is idempotent.)
  const chunks: Array<typeof toVerify> = [];
  for (let k = 0; k < toVerify.length; k += IMPORT_CHUNK) chunks.push(toVerify.slice(k, k + IMPORT_CHUNK));
  const verdictsOf = chunks.map((c) => deps.verifier.verifyLinks(c.map((t) => t.item), signal));
  for (const v of verdictsOf) v.catch(() => undefined); // awaited below; a rejection is rethrown there
  const appended: Promise<void>[] = [];
  try {
    for (let c = 0; c < chunks.length; c++) {
      const verdicts = await verdictsOf[c]!;
      const appendIdx: number[] = [];
      const items: AppendItem[] = [];
      verdicts.forEach((v, k) => {
        const { i, item } = chunks[c]![k]!;
        if (!v.ok) {
          Object.assign(results[i]!, { code: v.code, message: v.message });
          return;
        }
        appendIdx.push(i);
        items.push({ avatar: parsePublicKey(item.avatar), link: v.link, idempotent: true });
      });
      const done = deps.store.appendLinks(items).then((outcomes) => {
        outcomes.forEach((o, k) => {
          const r = results[appendIdx[k]!]!;
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

