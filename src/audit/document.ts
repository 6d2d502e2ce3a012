/**
 * Auditing whole chain documents (SPEC §5): from a file, a dump line, an IPFS block or an
 * Arweave version. The document is attacker-controlled: every field is parsed by the core
 * before use, and a link that does not parse is reported, not thrown.
 */
import {
  isRecord,
  looksLikeKvDocument,
  parseLink,
  parsePublicKey,
  ProofError,
  verifyChain,
  type AvatarKey,
  type Link,
  type RecoveryBackend,
  type TimeWindow,
} from '../core/index.js';
import { auditKvDocument } from './kv-document.js';
import type { AuditReport, SourceSummary } from './report.js';

export interface ParsedDocument {
  avatar: AvatarKey;
  /** links that parsed, with their input positions */
  links: Link[];
  positions: number[];
}

/** Is this JSON value shaped like a chain document — proof or KV — (vs a feed link)? */
export function looksLikeDocument(v: unknown): boolean {
  return (isRecord(v) && Array.isArray(v['links']) && isRecord(v['avatar'])) || looksLikeKvDocument(v);
}

/** Avatar id for reports even when the key does not parse. */
function rawAvatar(doc: unknown): string {
  const a = isRecord(doc) && isRecord(doc['avatar']) ? doc['avatar']['public_key'] : undefined;
  return typeof a === 'string' ? a.slice(0, 140) : '(unknown)';
}

/**
 * Parse a document's envelope and links. Envelope errors are reported against index -1 and
 * yield null; link parse errors are reported unplaced and the link is left out.
 */
export function parseDocument(doc: unknown, report: AuditReport, summary: SourceSummary, line?: number): ParsedDocument | null {
  const at = line === undefined ? {} : { line };
  const whole = (code: ProofError['code'], message: string) =>
    report.problem(summary, { avatar: rawAvatar(doc), index: -1, uuid: '', code, message, ...at });
  if (!isRecord(doc) || !isRecord(doc['avatar']) || !Array.isArray(doc['links'])) {
    whole('BAD_REQUEST', 'not a chain document: expected {version, avatar: {public_key, curve}, links: [...]}');
    return null;
  }
  if (doc['version'] !== '1') {
    whole('BAD_REQUEST', `unsupported chain document version ${JSON.stringify(doc['version'])?.slice(0, 20)}`);
    return null;
  }
  if (doc['avatar']['curve'] !== undefined && doc['avatar']['curve'] !== 'secp256k1') {
    whole('BAD_PUBLIC_KEY', 'avatar.curve must be secp256k1');
    return null;
  }
  let avatar: AvatarKey;
  try {
    avatar = parsePublicKey(doc['avatar']['public_key']);
  } catch (err) {
    if (!(err instanceof ProofError)) throw err;
    whole(err.code, err.message);
    return null;
  }
  const links: Link[] = [];
  const positions: number[] = [];
  (doc['links'] as unknown[]).forEach((raw, i) => {
    try {
      links.push(parseLink(raw));
      positions.push(i);
    } catch (err) {
      if (!(err instanceof ProofError)) throw err;
      const uuid = isRecord(raw) && typeof raw['uuid'] === 'string' ? raw['uuid'].slice(0, 64) : '';
      report.problem(summary, { avatar: avatar.id, index: i, unplaced: true, uuid, code: err.code, message: err.message, ...at });
    }
  });
  summary.links += (doc['links'] as unknown[]).length - links.length; // unparsed ones count too
  return { avatar, links, positions };
}

/** How a document is judged: the backend for its own verification, the run's time window. */
export interface DocumentJudging {
  backend: RecoveryBackend;
  window?: TimeWindow;
}

/**
 * Verify one parsed document with the core's verifyChain and report its problems. Returns the
 * verified links (stored form), e.g. for a history comparison.
 */
export function auditParsedDocument(parsed: ParsedDocument, judging: DocumentJudging, report: AuditReport, summary: SourceSummary, line?: number): Link[] {
  const { avatar, links, positions } = parsed;
  summary.avatars++;
  summary.links += links.length;
  const result = verifyChain(avatar, links, { backend: judging.backend, allowLegacy: true, ...(judging.window ? { window: judging.window } : {}) });
  summary.verified += result.verified.length;
  for (const p of result.problems) {
    report.problem(summary, {
      avatar: avatar.id,
      // unplaced problems index the parsed list; map back to the document's own positions
      index: p.unplaced ? (positions[p.index] ?? p.index) : p.index,
      ...(p.unplaced ? { unplaced: true } : {}),
      uuid: p.uuid,
      code: p.code,
      message: p.message,
      ...(line === undefined ? {} : { line }),
    });
  }
  return result.verified;
}

/** A proof chain document, or a KV chain document (then null: its writes are not links). */
export function auditDocument(doc: unknown, judging: DocumentJudging, report: AuditReport, summary: SourceSummary, line?: number): Link[] | null {
  if (looksLikeKvDocument(doc)) {
    auditKvDocument(doc as Record<string, unknown>, judging.backend, report, summary, line);
    return null;
  }
  const parsed = parseDocument(doc, report, summary, line);
  if (!parsed) {
    summary.avatars++;
    return null;
  }
  return auditParsedDocument(parsed, judging, report, summary, line);
}
