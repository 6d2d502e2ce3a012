/**
 * Auditing KV chain documents (SPEC §8, kv-chain.ts): from a file, an IPFS block or an Arweave
 * version, reported with the same codes and shape as proof chain documents. The document is
 * attacker-controlled: the envelope and every write are parsed by the core before use.
 */
import {
  isRecord, parseKvWrite, parsePublicKey, ProofError, verifyKvChain, type AvatarKey, type KvWrite, type RecoveryBackend,
} from '../core/index.js';
import type { AuditReport, SourceSummary } from './report.js';

function rawAvatar(doc: Record<string, unknown>): string {
  const a = isRecord(doc['avatar']) ? doc['avatar']['public_key'] : undefined;
  return typeof a === 'string' ? a.slice(0, 140) : '(unknown)';
}

/** Verify one KV chain document and report its problems; returns the verified writes. */
export function auditKvDocument(doc: Record<string, unknown>, backend: RecoveryBackend, report: AuditReport, summary: SourceSummary, line?: number): KvWrite[] | null {
  const at = line === undefined ? {} : { line };
  summary.avatars++;
  const whole = (code: ProofError['code'], message: string) => {
    report.problem(summary, { avatar: rawAvatar(doc), index: -1, uuid: '', code, message, ...at });
    return null;
  };
  if (doc['version'] !== '1') return whole('BAD_REQUEST', `unsupported KV chain document version ${JSON.stringify(doc['version'])?.slice(0, 20)}`);
  if (!isRecord(doc['avatar'])) return whole('BAD_REQUEST', 'not a KV chain document: expected {version, type, avatar: {public_key, curve}, writes: [...]}');
  if (doc['avatar']['curve'] !== undefined && doc['avatar']['curve'] !== 'secp256k1') return whole('BAD_PUBLIC_KEY', 'avatar.curve must be secp256k1');
  let avatar: AvatarKey;
  try {
    avatar = parsePublicKey(doc['avatar']['public_key']);
  } catch (err) {
    if (!(err instanceof ProofError)) throw err;
    return whole(err.code, err.message);
  }
  const raw = doc['writes'] as unknown[];
  const writes: KvWrite[] = [];
  const positions: number[] = [];
  raw.forEach((w, i) => {
    try {
      writes.push(parseKvWrite(w));
      positions.push(i);
    } catch (err) {
      if (!(err instanceof ProofError)) throw err;
      const uuid = isRecord(w) && typeof w['uuid'] === 'string' ? w['uuid'].slice(0, 64) : '';
      report.problem(summary, { avatar: avatar.id, index: i, unplaced: true, uuid, code: err.code, message: err.message, ...at });
    }
  });
  summary.links += raw.length;
  // History: 2022 payloads keyed `persona` are accepted, as for proof chains' legacy links.
  const result = verifyKvChain(avatar, writes, { backend, allowLegacy: true });
  summary.verified += result.verified.length;
  for (const p of result.problems) {
    report.problem(summary, {
      avatar: avatar.id,
      index: p.unplaced ? (positions[p.index] ?? p.index) : p.index,
      ...(p.unplaced ? { unplaced: true } : {}),
      uuid: p.uuid,
      code: p.code,
      message: p.message,
      ...at,
    });
  }
  return result.verified;
}
