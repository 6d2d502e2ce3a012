/**
 * An Arweave transaction holding a chain document (SPEC §5), followed back through its
 * `Previous-Tx` tags to the Avatar's first archived version. Every later version must extend
 * the earlier one link for link; anything else is HISTORY_REWRITTEN. Only the newest version
 * is verified in full: the others are, by that check, its prefixes.
 *
 * Memory: one parsed version at a time plus its successor (a long history is not held whole).
 * The gateway is not trusted; tx ids and tags from it are validated before use.
 */
import {
  isRecord, kvWriteJson, linkJson, looksLikeKvDocument, parseKvWrite, parseLink, parsePublicKey, prevKey, ProofError, type Link,
} from '../../core/index.js';
import type { AuditContext } from '../context.js';
import { auditDocument } from '../document.js';
import { fetchBytes, fetchJson, joinUrl } from '../http.js';
import type { SourceSummary } from '../report.js';

export const TX_ID_RE = /^[A-Za-z0-9_-]{43}$/;

export function parseTxId(s: string): string | null {
  const raw = s.startsWith('ar://') ? s.slice(5) : s;
  return TX_ID_RE.test(raw) ? raw : null;
}

interface Version {
  id: string;
  tags: Map<string, string>;
  doc: unknown;
  avatar: string | null;
  /** comparison keys of the links, in order */
  keys: string[];
  uuids: string[];
}

function b64urlText(s: unknown): string {
  return typeof s === 'string' ? Buffer.from(s, 'base64url').toString('utf8') : '';
}

/** A link's identity for history comparison: v=27/28 and v=0/1 spellings are the same link. */
function linkKey(raw: unknown): string {
  try {
    const l: Link = parseLink(raw);
    return linkJson({ ...l, signature: l.signature === '' ? '' : prevKey(l.signature), prev: l.prev === null ? null : prevKey(l.prev) });
  } catch {
    return `raw:${JSON.stringify(raw)}`;
  }
}

/** A KV write's identity for history comparison (signature spellings normalized). */
function kvWriteKey(raw: unknown): string {
  try {
    const w = parseKvWrite(raw);
    return kvWriteJson({ ...w, signature: prevKey(w.signature), previous: w.previous === null ? null : prevKey(w.previous) });
  } catch {
    return `raw:${JSON.stringify(raw)}`;
  }
}

async function fetchVersion(id: string, ctx: AuditContext): Promise<Version> {
  const opts = ctx.signal ? { signal: ctx.signal } : {};
  const gw = ctx.config.arweaveGateway;
  const head = await fetchJson(joinUrl(gw, `tx/${id}`), ctx.config, opts);
  if (head.status === 404 || !isRecord(head.json)) throw new ProofError('NOT_FOUND', `gateway has no transaction ${id} (or it is still pending)`);
  const tags = new Map<string, string>();
  const rawTags = head.json['tags'];
  if (Array.isArray(rawTags)) {
    for (const t of rawTags) if (isRecord(t)) tags.set(b64urlText(t['name']), b64urlText(t['value']));
  }
  const data = await fetchBytes(joinUrl(gw, id), ctx.config, opts);
  if (data.status === 404) throw new ProofError('NOT_FOUND', `gateway has no data for transaction ${id}`);
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(data.body).toString('utf8'));
  } catch {
    doc = null;
  }
  // A KV chain document's writes are compared the same way as a proof chain's links.
  const kv = looksLikeKvDocument(doc);
  const links = kv ? ((doc as Record<string, unknown>)['writes'] as unknown[]) : isRecord(doc) && Array.isArray(doc['links']) ? (doc['links'] as unknown[]) : [];
  let avatar: string | null = null;
  try {
    avatar = isRecord(doc) && isRecord(doc['avatar']) ? parsePublicKey(doc['avatar']['public_key']).id : null;
  } catch {
    avatar = null;
  }
  return {
    id,
    tags,
    doc,
    avatar,
    keys: links.map(kv ? kvWriteKey : linkKey),
    uuids: links.map((l) => (isRecord(l) && typeof l['uuid'] === 'string' ? l['uuid'].slice(0, 64) : '')),
  };
}

/** Does `later` extend `earlier` link for link? Returns the first differing index, or -1. */
function firstDifference(earlier: Version, later: Version): number {
  for (let i = 0; i < earlier.keys.length; i++) {
    if (i >= later.keys.length || earlier.keys[i] !== later.keys[i]) return i;
  }
  return -1;
}

export async function auditArweave(source: string, txId: string, ctx: AuditContext): Promise<void> {
  const summary: SourceSummary = ctx.report.beginSource(txId, 'arweave');
  const visited = new Set<string>();
  let versions = 0;
  try {
    const newest = await fetchVersion(txId, ctx);
    versions = 1;
    visited.add(txId);
    // The newest version gets the full verification.
    auditDocument(newest.doc, ctx, ctx.report, summary);
    const avatar = newest.avatar ?? '(unknown)';
    const tagAvatar = newest.tags.get('Avatar');
    if (tagAvatar !== undefined && newest.avatar !== null && tagAvatar.toLowerCase() !== newest.avatar) {
      ctx.report.warn(`${txId}: Avatar tag ${tagAvatar.slice(0, 80)} differs from the document's avatar ${newest.avatar}`);
    }
    let later = newest;
    for (;;) {
      const prevId = later.tags.get('Previous-Tx');
      if (prevId === undefined || prevId === '') break;
      if (!TX_ID_RE.test(prevId)) {
        ctx.report.problem(summary, { avatar, index: -1, uuid: '', code: 'HISTORY_REWRITTEN', message: `version ${later.id} has a malformed Previous-Tx tag` });
        break;
      }
      if (visited.has(prevId)) {
        ctx.report.problem(summary, { avatar, index: -1, uuid: '', code: 'HISTORY_REWRITTEN', message: `Previous-Tx of ${later.id} loops back to ${prevId}` });
        break;
      }
      if (versions >= ctx.config.maxArweaveVersions) {
        ctx.report.warn(`${txId}: stopped after ${versions} versions (maxArweaveVersions)`);
        break;
      }
      visited.add(prevId);
      const earlier = await fetchVersion(prevId, ctx);
      versions++;
      if (earlier.avatar !== later.avatar) {
        ctx.report.problem(summary, {
          avatar,
          index: -1,
          uuid: '',
          code: 'HISTORY_REWRITTEN',
          message: `version ${earlier.id} (Previous-Tx of ${later.id}) belongs to another avatar (${earlier.avatar ?? 'unreadable'})`,
        });
        break;
      }
      const at = firstDifference(earlier, later);
      if (at >= 0) {
        const what = at >= later.keys.length ? `has only ${later.keys.length} link(s)` : `differs at link ${at}`;
        ctx.report.problem(summary, {
          avatar,
          index: at,
          uuid: earlier.uuids[at] ?? '',
          code: 'HISTORY_REWRITTEN',
          message: `version ${later.id} does not extend the earlier version ${earlier.id} (${earlier.keys.length} links): it ${what}`,
        });
      }
      later = earlier;
    }
  } catch (err) {
    if (!(err instanceof ProofError)) throw err;
    ctx.report.error(source, err.code, err.message);
  } finally {
    summary.notes = { versions };
    ctx.report.endSource(summary);
  }
}
