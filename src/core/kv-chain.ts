/**
 * Whole KV chains and their archived document (SPEC §8, shaped like the chain document of §5):
 * every write with its exact signed payload and signature, so one document can be audited alone.
 * Deterministic bytes — the same chain always gives the same CID.
 */
import { orderChain, type ChainProblem } from './chain.js';
import { fail, ProofError, type ErrorCode } from './errors.js';
import type { AvatarKey } from './keys.js';
import { mergePatch, serdeJson, type KvJson } from './kv-json.js';
import { verifyKvWrite, type KvVerifyOptions, type KvWrite } from './kv.js';
import { isRecord, parseUnixSeconds } from './convert.js';
import { utf8 } from './encoding.js';

/** The `type` of a KV chain document (a proof chain document has no `type`). */
export const KV_DOCUMENT_TYPE = 'kv_chain';

export interface KvChainDocument {
  version: '1';
  type: typeof KV_DOCUMENT_TYPE;
  avatar: { public_key: string; curve: 'secp256k1' };
  writes: KvWrite[];
}

const s = JSON.stringify;

/** One write in document form; the patch in its canonical (serde) bytes, as it was signed. */
export function kvWriteJson(w: KvWrite): string {
  return (
    `{"previous":${w.previous === null ? 'null' : s(w.previous)},"platform":${s(w.platform)},"identity":${s(w.identity)},` +
    `"uuid":${s(w.uuid)},"created_at":${Math.trunc(w.created_at)},"patch":${serdeJson(w.patch)},` +
    `"signature":${s(w.signature)},"sign_payload":${s(w.sign_payload)}}`
  );
}

/** `publicKeyUncompressed` is 0x + 130 lowercase hex digits. */
export function kvChainDocumentString(publicKeyUncompressed: string, writes: readonly KvWrite[]): string {
  return (
    `{"version":"1","type":"${KV_DOCUMENT_TYPE}","avatar":{"public_key":${s(publicKeyUncompressed)},"curve":"secp256k1"},` +
    `"writes":[${writes.map(kvWriteJson).join(',')}]}`
  );
}

export function kvChainDocumentBytes(publicKeyUncompressed: string, writes: readonly KvWrite[]): Uint8Array {
  return utf8(kvChainDocumentString(publicKeyUncompressed, writes));
}

/** Is this parsed JSON shaped like a KV chain document? */
export function looksLikeKvDocument(v: unknown): boolean {
  return isRecord(v) && v['type'] === KV_DOCUMENT_TYPE && Array.isArray(v['writes']);
}

function str(o: Record<string, unknown>, key: string, max: number): string {
  const v = o[key];
  if (typeof v !== 'string') fail('BAD_REQUEST', `field "${key}" must be a string`);
  if (v.length > max) fail('BAD_REQUEST', `field "${key}" is longer than ${max}`);
  return v;
}

/** A KV write from untrusted JSON (documents, feed entries), with a clear code for every wrong type. */
export function parseKvWrite(input: unknown): KvWrite {
  if (!isRecord(input)) fail('BAD_REQUEST', 'a KV write must be a JSON object');
  const prev = input['previous'];
  if (prev !== null && prev !== undefined && typeof prev !== 'string') fail('BAD_REQUEST', 'field "previous" must be a string or null');
  if (typeof prev === 'string' && prev.length > 200) fail('BAD_REQUEST', 'field "previous" is too long');
  if (!('patch' in input)) fail('BAD_PATCH', 'field "patch" is required');
  const patch = input['patch'] as KvJson;
  serdeJson(patch); // throws BAD_PATCH for what cannot have been signed
  return {
    previous: typeof prev === 'string' ? prev : null,
    platform: str(input, 'platform', 64),
    identity: str(input, 'identity', 1024),
    uuid: str(input, 'uuid', 64),
    created_at: parseUnixSeconds(input['created_at']),
    patch,
    signature: str(input, 'signature', 200),
    sign_payload: input['sign_payload'] === undefined ? '' : str(input, 'sign_payload', 4 * 1024 * 1024),
  };
}

export interface KvChainResult {
  ordered: KvWrite[];
  verified: KvWrite[];
  problems: ChainProblem[];
}

/** Writes seen as chain links (prev/signature/uuid), so the proof chain's ordering applies as is. */
function asChained(w: KvWrite) {
  return { prev: w.previous, signature: w.signature, uuid: w.uuid, w };
}

/**
 * Verify a whole KV chain: order by `previous` pointers, then each write's signature and the
 * uuid-once rule. Every write after the first failing one is BROKEN_ANCESTOR — same verdicts
 * and codes as verifyChain for proof chains, so audit and mirror treat both alike.
 */
export function verifyKvChain(avatar: AvatarKey, writes: readonly KvWrite[], opts: KvVerifyOptions): KvChainResult {
  const { ordered: placed, problems } = orderChain(writes.map(asChained));
  const ordered = placed.map((p) => p.w);
  const verified: KvWrite[] = [];
  const uuids = new Set<string>();
  let broken: ChainProblem | null = null;
  ordered.forEach((w, index) => {
    const at = (code: ErrorCode, message: string): ChainProblem => ({ code, message, index, uuid: w.uuid, signature: w.signature });
    if (broken) {
      problems.push(at('BROKEN_ANCESTOR', `write follows write ${broken.index}, which failed with ${broken.code}`));
      return;
    }
    try {
      if (uuids.has(w.uuid)) throw new ProofError('DUPLICATE_UUID', `uuid ${w.uuid} appears twice in this KV chain`);
      verified.push(verifyKvWrite(avatar, w, opts));
      uuids.add(w.uuid);
    } catch (err) {
      if (!(err instanceof ProofError)) throw err;
      broken = at(err.code, err.message);
      problems.push(broken);
    }
  });
  return { ordered, verified, problems };
}

/** The namespace key of a write: (platform, identity), verbatim. */
export function kvNamespaceKey(platform: string, identity: string): string {
  return JSON.stringify([platform, identity]);
}

/** Content per namespace after applying `writes` in chain order (RFC 7396 from `{}`). */
export function kvContents(writes: readonly KvWrite[]): Map<string, { platform: string; identity: string; content: KvJson }> {
  const out = new Map<string, { platform: string; identity: string; content: KvJson }>();
  for (const w of writes) {
    const key = kvNamespaceKey(w.platform, w.identity);
    const prev = out.get(key)?.content ?? {};
    out.set(key, { platform: w.platform, identity: w.identity, content: mergePatch(prev, w.patch) });
  }
  return out;
}
