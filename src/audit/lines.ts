/**
 * One chunk of a JSON Lines dump (whole lines), turned into what the ordering thread needs to
 * apply the chain rule: per feed link its Avatar, line, uuid, created_at, the `prevKey` forms of
 * its `prev` and of its signature, and its own verdict (form, payload, signatures). This is where
 * a dump is parsed and verified — in a line worker (src/audit/line-worker.ts), or on the calling
 * thread with `crypto.workers = 1` — so the ordering thread only orders and judges. Pure: only
 * src/core, the backend is passed in. Every line is attacker-controlled.
 *
 * Results are column arrays (typed arrays transfer without copying; strings only where needed):
 * cheap to send back, cheap to read in order.
 */
import {
  expectedPayload,
  isRecord,
  linksFromProofchainItems,
  parsePublicKey,
  prevFromPayload,
  prevKey,
  proofchainItemWithPrev,
  ProofError,
  verifyItem,
  type AvatarKey,
  type ErrorCode,
  type Link,
  type RecoveryBackend,
} from '../core/index.js';
import { looksLikeDocument } from './document.js';

/** A line that is not a feed link: reported (not JSON) or audited as a document by the ordering thread. */
export const SPECIAL_NOT_JSON = 1;
export const SPECIAL_DOCUMENT = 2;

/** How a link's prev key is given. */
export const PREV_NULL = 0;
/** the same as the previous link entry's `sigKey` (a chain in order: the common case) */
export const PREV_SAME = 1;
/** the next string of `prevKeys` */
export const PREV_LISTED = 2;

/** Where a link's own verdict failed. */
export const FAIL_OWN = 0;
/** the link could not even be read (key, fields): reported before the chain rule */
export const FAIL_UNREAD = 1;

export interface ChunkResult {
  /** lines in the chunk (the next chunk's first line follows them) */
  lines: number;
  /** feed links in the chunk, in input order */
  links: number;
  /** per link: 0-based line within the chunk */
  line: Int32Array;
  /** per link: created_at (unix seconds; 0 when the link did not parse) */
  createdAt: Float64Array;
  /** per link: its raw uuid, at most 64 characters ('' when absent) */
  uuid: string[];
  /** per link: PREV_NULL, PREV_SAME or PREV_LISTED */
  prevKind: Uint8Array;
  prevKeys: string[];
  /** per link: prevKey of its signature (of the raw one when it did not parse); null: none */
  sigKey: Array<string | null>;
  /** links whose own verdict is a rejection (ascending), with FAIL_OWN / FAIL_UNREAD, code, message */
  fail: Int32Array;
  failStage: Uint8Array;
  failCode: ErrorCode[];
  failMessage: string[];
  /** runs of consecutive links of one Avatar: its id, the link index the run ends at (exclusive) */
  runId: string[];
  runEnd: Int32Array;
  /**
   * the Avatar's "previous raw signature" (the legacy `prev` fallback) after the run; undefined
   * when only the ordering thread knows it (it resolved a deferred link of the run)
   */
  runLast: Array<string | null | undefined>;
  /**
   * links that take the legacy fallback from a link before this chunk: their item (JSON) goes
   * back to the ordering thread, which converts and verifies it with the Avatar's last signature
   */
  deferred: Int32Array;
  deferredItem: string[];
  /** non-link lines: the number of links before them, kind, line, text (documents only) */
  specialAt: Int32Array;
  specialKind: Uint8Array;
  specialLine: Int32Array;
  specialText: string[];
}

/** The transferable buffers of a result (postMessage transfer list). */
export function transferables(r: ChunkResult): ArrayBuffer[] {
  return [r.line, r.createdAt, r.prevKind, r.fail, r.failStage, r.runEnd, r.deferred, r.specialAt, r.specialKind, r.specialLine].map((a) => a.buffer as ArrayBuffer);
}

const decoder = new TextDecoder();
/** For the pieces after a chunk's first: a BOM there is a character of a line, as it was. */
const decoderKeepingBom = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * Bytes of whole lines decoded at once, at most. A whole chunk (256 KiB) as one string is a
 * large object: it outlives a scavenge while its lines are worked through and is promoted, so
 * every chunk would cost the old generation's collector. Pieces this size stay young.
 */
const PIECE_BYTES = 32 * 1024;

/**
 * `auditChunk` on bytes: UTF-8 decoded (invalid sequences become U+FFFD, as a utf8 stream reads
 * them), in pieces cut after a "\n" — a byte that is never part of a multi-byte sequence, so
 * the text is the same as decoding the chunk whole.
 */
export function auditChunkBytes(bytes: Uint8Array, backend: RecoveryBackend): ChunkResult {
  const b = new Builder();
  let lines = 0;
  for (let at = 0; at < bytes.length; ) {
    let end = at + PIECE_BYTES;
    if (end >= bytes.length) end = bytes.length;
    else {
      const nl = bytes.lastIndexOf(10, end - 1);
      if (nl >= at) end = nl + 1;
      else {
        const after = bytes.indexOf(10, end);
        end = after < 0 ? bytes.length : after + 1;
      }
    }
    lines = feedLines(b, (at === 0 ? decoder : decoderKeepingBom).decode(bytes.subarray(at, end)), lines, backend);
    at = end;
  }
  return b.result(lines);
}

class Builder {
  line: number[] = [];
  createdAt: number[] = [];
  uuid: string[] = [];
  prevKind: number[] = [];
  prevKeys: string[] = [];
  sigKey: Array<string | null> = [];
  fail: number[] = [];
  failStage: number[] = [];
  failCode: ErrorCode[] = [];
  failMessage: string[] = [];
  runId: string[] = [];
  runEnd: number[] = [];
  runLast: Array<string | null | undefined> = [];
  deferred: number[] = [];
  deferredItem: string[] = [];
  specialAt: number[] = [];
  specialKind: number[] = [];
  specialLine: number[] = [];
  specialText: string[] = [];

  /** this chunk's "previous raw signature" per Avatar id; absent: known only to the ordering thread */
  last = new Map<string, string | null>();
  /** raw signature behind the previous link's sigKey (for PREV_SAME) */
  prevRaw: string | null = null;
  /** the Avatar of the current run, and the parse of its key (cached: dumps are grouped) */
  runAvatarRaw: unknown = Symbol('none');
  runKey: AvatarKey | null = null;
  runIdCur: string | null = null;

  result(lines: number): ChunkResult {
    this.closeRun();
    return {
      lines,
      links: this.line.length,
      line: new Int32Array(this.line),
      createdAt: new Float64Array(this.createdAt),
      uuid: this.uuid,
      prevKind: new Uint8Array(this.prevKind),
      prevKeys: this.prevKeys,
      sigKey: this.sigKey,
      fail: new Int32Array(this.fail),
      failStage: new Uint8Array(this.failStage),
      failCode: this.failCode,
      failMessage: this.failMessage,
      runId: this.runId,
      runEnd: new Int32Array(this.runEnd),
      runLast: this.runLast,
      deferred: new Int32Array(this.deferred),
      deferredItem: this.deferredItem,
      specialAt: new Int32Array(this.specialAt),
      specialKind: new Uint8Array(this.specialKind),
      specialLine: new Int32Array(this.specialLine),
      specialText: this.specialText,
    };
  }

  private closeRun(): void {
    if (this.runIdCur === null) return;
    this.runEnd.push(this.line.length);
    this.runLast.push(this.last.has(this.runIdCur) ? this.last.get(this.runIdCur) : undefined);
  }

  /** The Avatar of the next link: same spelling as the run's, or a new run (id as the auditor reports it). */
  avatar(raw: unknown, backend: RecoveryBackend): { id: string; key: AvatarKey | null } {
    if (raw !== this.runAvatarRaw || this.runIdCur === null) {
      let key: AvatarKey | null = null;
      try {
        key = parsePublicKey(raw, backend);
      } catch {
        /* reported per link */
      }
      const id = key ? key.id : typeof raw === 'string' ? raw.slice(0, 140) : '(none)';
      this.runAvatarRaw = raw;
      this.runKey = key;
      if (id !== this.runIdCur) {
        this.closeRun();
        this.runId.push(id);
        this.runIdCur = id;
      }
    }
    return { id: this.runIdCur!, key: this.runKey };
  }

  special(kind: number, line: number, text: string): void {
    this.specialAt.push(this.line.length);
    this.specialKind.push(kind);
    this.specialLine.push(line);
    this.specialText.push(text);
  }

  /** One feed link: pass 1 (Avatar, conversion) and its own verification, as the auditor always did. */
  link(avatarRaw: unknown, raw: unknown, line: number, backend: RecoveryBackend): void {
    const { id, key } = this.avatar(avatarRaw, backend);
    const j = this.line.length;
    const rec = isRecord(raw) ? raw : null;
    const rawSignature = rec && typeof rec['signature'] === 'string' ? rec['signature'] : null;
    this.line.push(line);
    this.uuid.push(rec && typeof rec['uuid'] === 'string' ? rec['uuid'].slice(0, 64) : '');
    let link: Link | null = null;
    let failed: { stage: number; code: ErrorCode; message: string } | null = null;
    let deferred = false;
    if (!key) {
      failed = { stage: FAIL_UNREAD, code: 'BAD_PUBLIC_KEY', message: 'avatar is not a secp256k1 public key' };
    } else {
      const known = this.last.has(id);
      let payload: string | undefined;
      // prev comes from the item, else its signed payload, else (legacy) the Avatar's previous
      // link — which, when it is not in this chunk, only the ordering thread knows.
      const guessed = rec ? guessedLink(rec, key, known ? this.last.get(id)! : null) : null;
      if (guessed) {
        link = guessed.link;
        payload = guessed.payload;
      } else if (!known && rec && !('prev' in rec) && (typeof rec['signature_payload'] !== 'string' || prevFromPayload(rec['signature_payload']) === undefined)) {
        deferred = true;
      } else {
        try {
          link = linksFromProofchainItems([raw], known ? this.last.get(id)! : null)[0]!;
        } catch (err) {
          if (!(err instanceof ProofError)) throw err;
          failed = { stage: FAIL_UNREAD, code: err.code, message: err.message };
        }
      }
      if (link) {
        const own = verifyItem({ avatar: key, link, allowLegacy: true }, backend, payload);
        if (!own.ok) failed = { stage: FAIL_OWN, code: own.code, message: own.message };
      }
    }
    if (deferred) {
      this.deferred.push(j);
      this.deferredItem.push(JSON.stringify(raw));
      this.createdAt.push(0);
      this.prevKind.push(PREV_NULL);
      this.sigKey.push(null);
      // What follows it: its raw signature either way, unless it has none (then '' or null
      // depending on whether it parses, which only the ordering thread can tell).
      if (rawSignature !== null) this.last.set(id, rawSignature);
      else this.last.delete(id);
      this.prevRaw = null;
      return;
    }
    if (failed) {
      this.fail.push(j);
      this.failStage.push(failed.stage);
      this.failCode.push(failed.code);
      this.failMessage.push(failed.message);
    }
    this.createdAt.push(link ? link.created_at : 0);
    const prev = link ? link.prev : null;
    if (prev === null) this.prevKind.push(PREV_NULL);
    else if (j > 0 && prev === this.prevRaw && this.sigKey[j - 1] !== null) this.prevKind.push(PREV_SAME);
    else {
      this.prevKind.push(PREV_LISTED);
      this.prevKeys.push(prevKey(prev));
    }
    const sig = link ? link.signature : rawSignature;
    this.sigKey.push(sig === null ? null : prevKey(sig));
    this.prevRaw = sig;
    this.last.set(id, sig);
  }
}

/**
 * The common feed item (no `prev` field, a signed payload): instead of parsing the payload
 * for its prev, guess it — the Avatar's previous signature in this chunk, or null for a first
 * link — and rebuild the payload with it. When that rebuild is the signed payload byte for
 * byte, the payload's prev is the guess (a payload built from fields parses back to them), so
 * the link is exactly what `linksFromProofchainItems` reads, and the rebuilt payload is the one
 * the verifier would build. Anything else (a wrong guess, a field that does not parse): null,
 * and the item takes the general path, which reports it.
 */
function guessedLink(rec: Record<string, unknown>, key: AvatarKey, guess: string | null): { link: Link; payload: string } | null {
  const signed = rec['signature_payload'];
  if (typeof signed !== 'string' || signed === '' || 'prev' in rec) return null;
  let link: Link;
  try {
    link = proofchainItemWithPrev(rec, guess);
  } catch {
    return null;
  }
  const payload = expectedPayload(key, link);
  return payload === signed ? { link, payload } : null;
}

/**
 * Parse and verify the lines of `text` (whole lines; the last may lack its "\n"). Lines split at
 * "\n" only (a trailing "\r" dropped): not readline, which from Node 24 on also breaks at U+2028
 * and U+2029, which JSON allows raw inside strings. Blank lines count but say nothing.
 */
export function auditChunk(text: string, backend: RecoveryBackend): ChunkResult {
  const b = new Builder();
  return b.result(feedLines(b, text, 0, backend));
}

/** The lines of `text` into `b`, numbered on from `lines`; returns the count after them. */
function feedLines(b: Builder, text: string, lines: number, backend: RecoveryBackend): number {
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    const next = end < 0 ? text.length : end + 1;
    if (end < 0) end = text.length;
    if (end > start && text.charCodeAt(end - 1) === 13) end--;
    const lineText = text.slice(start, end);
    const line = lines++;
    start = next;
    if (lineText.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(lineText);
    } catch {
      b.special(SPECIAL_NOT_JSON, line, '');
      continue;
    }
    if (looksLikeDocument(value)) b.special(SPECIAL_DOCUMENT, line, lineText);
    else if (isRecord(value) && Array.isArray(value['links']) && value['avatar'] === undefined) {
      // a whole /v1/proofchain/changes page on one line
      for (const item of value['links'] as unknown[]) b.link(isRecord(item) ? item['avatar'] : undefined, item, line, backend);
    } else {
      b.link(isRecord(value) ? value['avatar'] : undefined, value, line, backend);
    }
  }
  return lines;
}
