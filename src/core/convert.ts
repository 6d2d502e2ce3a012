/**
 * Parsing links from untrusted JSON (bulk import, chain documents, /v1/proofchain pages, feed
 * entries, dump lines) into the core's Link, with a clear code for every wrong type.
 */
import { fail } from './errors.js';
import type { Link } from './link.js';
import { ACTIONS } from './link.js';

export const MAX_PROOF_LOCATION_LENGTH = 1024;
/** created_at is unix seconds; anything past this (year ~36812) is not a timestamp */
const MAX_UNIX_SECONDS = 2 ** 40;

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(o: Record<string, unknown>, key: string, opts: { optional?: boolean; max?: number } = {}): string {
  const v = o[key];
  if (v === undefined || v === null) {
    if (opts.optional) return '';
    fail('BAD_REQUEST', `field "${key}" is required`);
  }
  if (typeof v !== 'string') fail('BAD_REQUEST', `field "${key}" must be a string`);
  if (opts.max !== undefined && v.length > opts.max) fail('BAD_REQUEST', `field "${key}" is longer than ${opts.max}`);
  return v;
}

/** unix seconds as a number or a decimal string (the API carries strings, documents numbers) */
export function parseUnixSeconds(v: unknown, key = 'created_at'): number {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^\d{1,15}$/.test(v)) n = Number(v);
  else fail('BAD_CREATED_AT', `${key} must be unix seconds (an integer or a decimal string)`);
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_UNIX_SECONDS) fail('BAD_CREATED_AT', `${key} is not a plausible unix time`);
  return n;
}

export function parseExtra(v: unknown): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (!isRecord(v)) fail('BAD_REQUEST', 'extra must be an object');
  const out: Record<string, string> = {};
  const keys = Object.keys(v);
  if (keys.length > 16) fail('BAD_REQUEST', 'extra has too many keys');
  for (const k of keys) {
    const val = v[k];
    if (typeof val !== 'string' || val.length > 1024 || k.length > 64) fail('BAD_REQUEST', `extra.${k.slice(0, 64)} must be a short string`);
    out[k] = val;
  }
  return out;
}

/** A link in chain-document form (protocol: the chain document); created_at may also be a decimal string. */
export function parseLink(input: unknown): Link {
  if (!isRecord(input)) fail('BAD_REQUEST', 'a link must be a JSON object');
  return parseLinkWithPrev(input, input['prev']);
}

/**
 * A /v1/proofchain item read with `prev` as its prev: what linksFromProofchainItems gives for it
 * when its payload's prev is `prev`. For a caller that already knows that prev (the dump audit
 * checks a guess against the rebuilt payload) and need not parse the payload to learn it.
 */
export function proofchainItemWithPrev(item: unknown, prev: string | null): Link {
  if (!isRecord(item)) fail('BAD_REQUEST', 'a proofchain item must be an object');
  return parseLinkWithPrev(item, prev);
}

/** parseLink of `input` with `prevRaw` as its prev (no copy of the object to set it). */
function parseLinkWithPrev(input: Record<string, unknown>, prevRaw: unknown): Link {
  if (prevRaw !== null && prevRaw !== undefined && typeof prevRaw !== 'string') fail('BAD_REQUEST', 'field "prev" must be a string or null');
  const prev = typeof prevRaw === 'string' ? prevRaw : null;
  if (prev !== null && prev.length > 200) fail('BAD_REQUEST', 'field "prev" is too long');
  const action = str(input, 'action', { max: 32 });
  if (!(ACTIONS as readonly string[]).includes(action)) fail('UNKNOWN_ACTION', `unknown action "${action}"`);
  const proofLocation = str(input, 'proof_location', { optional: true });
  if (proofLocation.length > MAX_PROOF_LOCATION_LENGTH) fail('BAD_PROOF_LOCATION', 'proof_location is too long');
  return {
    prev,
    action: action as Link['action'],
    platform: str(input, 'platform', { max: 64 }),
    identity: str(input, 'identity', { max: 1024 }),
    proof_location: proofLocation === '' ? null : proofLocation,
    created_at: parseUnixSeconds(input['created_at']),
    uuid: str(input, 'uuid', { optional: true, max: 64 }),
    signature: str(input, 'signature', { optional: true, max: 200 }),
    signature_payload: str(input, 'signature_payload', { optional: true, max: 8192 }),
    extra: signedExtra(parseExtra(input['extra'])),
  };
}

/**
 * Only `wallet_signature` of `extra` means anything (protocol: signatures); nothing in `extra` is signed, so
 * other keys are dropped rather than relayed, pinned and archived for whoever added them.
 */
export function signedExtra(extra: Record<string, string>): Record<string, string> {
  return extra['wallet_signature'] === undefined ? {} : { wallet_signature: extra['wallet_signature'] };
}

/** The `prev` a signed payload carries, or undefined when the payload is empty or not JSON. */
export function prevFromPayload(payload: string): string | null | undefined {
  if (payload === '') return undefined;
  try {
    const p: unknown = JSON.parse(payload);
    if (isRecord(p) && (p['prev'] === null || typeof p['prev'] === 'string')) return p['prev'] as string | null;
  } catch {
    /* fall through: the verifier reports PAYLOAD_MISMATCH */
  }
  return undefined;
}

/**
 * Links from /v1/proofchain items (which carry no `prev`), given in chain order as the
 * deployed service returns them. Each link's prev is read from its signed payload; a legacy
 * link (no payload) takes the previous item's signature. `previous` seeds the first item's
 * fallback when pages are fed one at a time.
 */
export function linksFromProofchainItems(items: readonly unknown[], previous: string | null = null): Link[] {
  let before = previous;
  return items.map((item) => {
    if (!isRecord(item)) fail('BAD_REQUEST', 'a proofchain item must be an object');
    let prev: unknown;
    if ('prev' in item) prev = item['prev'];
    else {
      const fromPayload = typeof item['signature_payload'] === 'string' ? prevFromPayload(item['signature_payload']) : undefined;
      prev = fromPayload === undefined ? before : fromPayload;
    }
    const link = parseLinkWithPrev(item, prev);
    before = link.signature;
    return link;
  });
}

export interface ProofchainItem {
  action: string;
  platform: string;
  identity: string;
  alt_id: string;
  proof_location: string;
  created_at: string;
  signature: string;
  signature_payload: string;
  uuid: string;
  extra: Record<string, string>;
  arweave_id: string;
}

/** A stored link in the Next.ID /v1/proofchain item shape. */
export function toProofchainItem(link: Link, altId = '', arweaveId = ''): ProofchainItem {
  return {
    action: link.action,
    platform: link.platform,
    identity: link.identity,
    alt_id: altId,
    proof_location: link.proof_location ?? '',
    created_at: String(link.created_at),
    signature: link.signature,
    signature_payload: link.signature_payload,
    uuid: link.uuid,
    extra: link.extra,
    arweave_id: arweaveId,
  };
}
