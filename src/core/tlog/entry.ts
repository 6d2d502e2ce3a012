/**
 * Canonical bytes of log entries (docs/protocol.md, "Verifiable log"). One entry per accepted
 * change: a proof link, a KV write, a subkey, or a binding validity change. Bytes are compact
 * JSON (UTF-8) with the keys in the fixed order written below; free-form objects (a link's
 * `extra`) have their keys sorted by code point; strings are escaped as ECMAScript
 * JSON.stringify does; numbers are safe integers. decodeEntry accepts only canonical bytes, so
 * an entry has exactly one encoding and a mirror recomputes identical leaves from the feed.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { textDecoder, textEncoder, toHex } from './bytes.js';
import { TlogError } from './errors.js';
import { MAX_ENTRY_SIZE } from './tiles.js';

export const ENTRY_VERSION = 1;

export interface LinkEntry {
  kind: 'link';
  /** 0x + compressed key */
  avatar: string;
  action: string;
  platform: string;
  identity: string;
  proof_location: string | null;
  created_at: number;
  uuid: string;
  prev: string | null;
  signature: string;
  signature_payload: string;
  extra: Record<string, string>;
}

export interface KvEntry {
  kind: 'kv';
  avatar: string;
  platform: string;
  identity: string;
  uuid: string;
  created_at: number;
  /** the exact signed payload (carries the patch and `previous`) */
  sign_payload: string;
  signature: string;
}

export interface SubkeyEntry {
  kind: 'subkey';
  avatar: string;
  algorithm: string;
  public_key: string;
  rp_id: string;
  name: string;
  created_at: number;
  sign_payload: string;
  signature: string;
}

export interface ValidityEntry {
  kind: 'validity';
  avatar: string;
  platform: string;
  identity: string;
  /** log index of the link entry that created the binding */
  link_index: number;
  change: 'downgrade' | 'restore';
  /** 'valid', or the invalid code (POST_NOT_FOUND, …) */
  outcome: string;
  /** unix seconds of the check */
  checked_at: number;
  /** hex SHA-256 of the evidence bytes (evidenceBytes), null when the check kept none */
  evidence_sha256: string | null;
}

export type LogEntry = LinkEntry | KvEntry | SubkeyEntry | ValidityEntry;
export type EntryKind = LogEntry['kind'];

const FIELDS: Record<EntryKind, readonly string[]> = {
  link: ['avatar', 'action', 'platform', 'identity', 'proof_location', 'created_at', 'uuid', 'prev', 'signature', 'signature_payload', 'extra'],
  kv: ['avatar', 'platform', 'identity', 'uuid', 'created_at', 'sign_payload', 'signature'],
  subkey: ['avatar', 'algorithm', 'public_key', 'rp_id', 'name', 'created_at', 'sign_payload', 'signature'],
  validity: ['avatar', 'platform', 'identity', 'link_index', 'change', 'outcome', 'checked_at', 'evidence_sha256'],
};
const INTS = new Set(['created_at', 'link_index', 'checked_at']);
const NULLABLE = new Set(['proof_location', 'prev', 'evidence_sha256']);

/** Compact JSON with object keys sorted by code point (used for free-form values). */
function sortedJson(v: unknown): string {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return JSON.stringify(v);
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new TlogError('MALFORMED', 'entry numbers must be safe integers');
    return String(v);
  }
  if (Array.isArray(v)) return `[${v.map(sortedJson).join(',')}]`;
  if (typeof v === 'object') {
    const keys = Object.keys(v as object).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${keys.map((k) => `${JSON.stringify(k)}:${sortedJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  throw new TlogError('MALFORMED', 'unsupported value in entry');
}

function field(kind: EntryKind, key: string, v: unknown): string {
  if (INTS.has(key)) {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new TlogError('MALFORMED', `${kind}.${key} must be a non-negative integer`);
    return String(v);
  }
  if (v === null && NULLABLE.has(key)) return 'null';
  if (key === 'extra') {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.values(v).every((x) => typeof x === 'string')) {
      throw new TlogError('MALFORMED', 'link.extra must be an object of strings');
    }
    return sortedJson(v);
  }
  if (typeof v !== 'string') throw new TlogError('MALFORMED', `${kind}.${key} must be a string`);
  return JSON.stringify(v);
}

/** `field`, for `extra` (an object of strings, keys sorted), without sortedJson's general walk. */
function extraField(kind: EntryKind, v: unknown): string {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return field(kind, 'extra', v);
  const rec = v as Record<string, unknown>;
  const keys = Object.keys(rec);
  if (keys.length === 0) return '{}';
  for (const k of keys) if (typeof rec[k] !== 'string') return field(kind, 'extra', v);
  keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let out = '{';
  for (let i = 0; i < keys.length; i++) out += `${i === 0 ? '' : ','}${JSON.stringify(keys[i])}:${JSON.stringify(rec[keys[i]!])}`;
  return `${out}}`;
}

/**
 * Each kind's fields, their JSON key prefixes and types worked out once: every accepted change
 * is encoded inside its transaction (and a mirror re-encodes every entry it decodes).
 */
const PLAN = Object.fromEntries(
  (Object.keys(FIELDS) as EntryKind[]).map((kind) => [kind, {
    head: `{"v":${ENTRY_VERSION},"kind":${JSON.stringify(kind)}`,
    fields: FIELDS[kind].map((key) => ({ key, prefix: `,${JSON.stringify(key)}:`, type: INTS.has(key) ? 'int' : key === 'extra' ? 'extra' : NULLABLE.has(key) ? 'nullable' : 'string' })),
  }]),
) as Record<EntryKind, { head: string; fields: Array<{ key: string; prefix: string; type: 'int' | 'extra' | 'nullable' | 'string' }> }>;

/** The canonical bytes of an entry. Throws when a field is missing or mistyped, or the entry exceeds 65535 bytes. */
export function encodeEntry(e: LogEntry): Uint8Array {
  const plan = Object.hasOwn(PLAN, e.kind) ? PLAN[e.kind] : undefined;
  if (!plan) throw new TlogError('MALFORMED', 'unknown entry kind');
  const rec = e as unknown as Record<string, unknown>;
  let text = plan.head;
  // The same checks, in the same order, as `field`; the common cases inline.
  for (const f of plan.fields) {
    const v = rec[f.key];
    text += f.prefix;
    if (f.type === 'string' || (f.type === 'nullable' && v !== null)) text += typeof v === 'string' ? JSON.stringify(v) : field(e.kind, f.key, v);
    else if (f.type === 'nullable') text += 'null';
    else if (f.type === 'int') text += typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? String(v) : field(e.kind, f.key, v);
    else text += extraField(e.kind, v);
  }
  const bytes = textEncoder.encode(`${text}}`);
  if (bytes.length > MAX_ENTRY_SIZE) throw new TlogError('MALFORMED', `log entry is ${bytes.length} bytes; at most ${MAX_ENTRY_SIZE}`);
  return bytes;
}

/** Parse entry bytes (from a tile bundle: untrusted). Only canonical encodings are accepted. */
export function decodeEntry(bytes: Uint8Array): LogEntry {
  let v: unknown;
  try {
    v = JSON.parse(textDecoder.decode(bytes));
  } catch {
    throw new TlogError('MALFORMED', 'entry is not UTF-8 JSON');
  }
  if (typeof v !== 'object' || v === null || (v as Record<string, unknown>)['v'] !== ENTRY_VERSION) throw new TlogError('MALFORMED', 'unknown entry version');
  const { v: _v, ...rest } = v as Record<string, unknown>;
  const kind = rest['kind'];
  if (typeof kind !== 'string' || !Object.hasOwn(FIELDS, kind)) throw new TlogError('MALFORMED', 'unknown entry kind');
  const e = rest as unknown as LogEntry;
  const again = encodeEntry(e);
  if (again.length !== bytes.length || !again.every((b, i) => b === bytes[i])) throw new TlogError('MALFORMED', 'entry is not in canonical form');
  return e;
}

/** Bytes whose SHA-256 a validity entry carries: the check's evidence as canonical JSON. */
export function evidenceBytes(ev: { url: string; text: string | null; fetchedAt: number }): Uint8Array {
  return textEncoder.encode(`{"url":${JSON.stringify(ev.url)},"text":${JSON.stringify(ev.text)},"fetched_at":${field('validity', 'checked_at', ev.fetchedAt)}}`);
}

/** `sha`: any SHA-256 (the daemon's log writer passes node's native one); noble's by default. */
export function evidenceHash(ev: { url: string; text: string | null; fetchedAt: number }, sha: (data: Uint8Array) => Uint8Array = sha256): string {
  return toHex(sha(evidenceBytes(ev)));
}

/** The log entry of an accepted proof link (a chain-document link of the Avatar `avatar`, 0x + compressed key). */
export function linkEntry(avatar: string, link: {
  action: string; platform: string; identity: string; proof_location: string | null; created_at: number; uuid: string;
  prev: string | null; signature: string; signature_payload: string; extra: Record<string, string>;
}): LinkEntry {
  return {
    kind: 'link', avatar, action: link.action, platform: link.platform, identity: link.identity, proof_location: link.proof_location,
    created_at: link.created_at, uuid: link.uuid, prev: link.prev, signature: link.signature, signature_payload: link.signature_payload, extra: link.extra,
  };
}
