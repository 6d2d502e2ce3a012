/**
 * Audit against a service's verifiable log (`proofkeep audit --log URL`): verify its signed
 * checkpoint with the verifier key the auditor brings, prove that every link of the audited
 * chains is included (the entry bytes are recomputed here from the chain, never taken from the
 * service), and, given an older checkpoint, that the log only grew (consistency proof).
 * Offline: a tlog-proof file checked against a chain document. Everything fetched is untrusted.
 */
import { isRecord, parseLink, parsePublicKey, ProofError, type Link } from '../core/index.js';
import {
  encodeEntry, fromBase64, leafHash, linkEntry, openCheckpoint, parseVerifierKey, textDecoder, verifyConsistency, verifyInclusion,
  verifyTlogProof, type Checkpoint,
} from '../core/tlog/index.js';
import { fetchBytes, fetchJson, joinUrl, type FetchPolicy } from './http.js';

export interface LogProblem {
  avatar: string;
  uuid: string;
  code: 'NOT_IN_LOG' | 'BAD_PROOF' | 'NOT_CONSISTENT' | 'BAD_CHECKPOINT';
  message: string;
}

export interface LogAuditResult {
  origin: string;
  size: number;
  /** the verified checkpoint note (a state file for the next run) */
  checkpoint: string;
  links: number;
  /** null: no older checkpoint was given */
  grewFrom: number | null;
  problems: LogProblem[];
}

const hashes = (v: unknown): Uint8Array[] | null => {
  if (!Array.isArray(v) || v.length > 64) return null;
  const out = v.map((h) => (typeof h === 'string' ? fromBase64(h) : null));
  return out.every((h): h is Uint8Array => h !== null && h.length === 32) ? out : null;
};

/** The links of a chain document (JSON text); throws ProofError on a malformed one. */
export function documentLinks(text: string): { avatar: string; links: Link[] } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new ProofError('BAD_REQUEST', 'the chain document is not JSON');
  }
  if (!isRecord(doc) || !isRecord(doc['avatar']) || !Array.isArray(doc['links'])) throw new ProofError('BAD_REQUEST', 'not a chain document');
  return { avatar: parsePublicKey(doc['avatar']['public_key']).id, links: (doc['links'] as unknown[]).map((l) => parseLink(l)) };
}

const entryOf = (avatar: string, l: Link): Uint8Array => encodeEntry(linkEntry(avatar, l));

export async function auditLog(o: {
  url: string; verifierKey: string; avatars: readonly string[]; since: string | null; policy: FetchPolicy; signal?: AbortSignal;
}): Promise<LogAuditResult> {
  const key = parseVerifierKey(o.verifierKey);
  const init = o.signal ? { signal: o.signal } : {};
  const res = await fetchBytes(joinUrl(o.url, 'checkpoint'), o.policy, init);
  if (res.status !== 200) throw new ProofError('UNAVAILABLE', `${o.url}/checkpoint answered ${res.status}`);
  const note = textDecoder.decode(res.body);
  const cp: Checkpoint = openCheckpoint(note, key.name, [key]).checkpoint; // throws: not signed by the key
  const problems: LogProblem[] = [];
  let grewFrom: number | null = null;
  if (o.since !== null) {
    const old = openCheckpoint(o.since, key.name, [key]).checkpoint;
    grewFrom = old.size;
    let ok = old.size <= cp.size;
    if (ok && old.size > 0) {
      const r = await fetchJson(joinUrl(o.url, `v1/log/consistency?from=${old.size}&to=${cp.size}`), o.policy, init);
      const proof = isRecord(r.json) ? hashes(r.json['proof']) : null;
      ok = r.status === 200 && proof !== null && verifyConsistency(old.size, cp.size, old.root, cp.root, proof);
    }
    if (!ok) problems.push({ avatar: '', uuid: '', code: 'NOT_CONSISTENT', message: `the log of size ${cp.size} does not extend the older checkpoint of size ${old.size}` });
  }
  let count = 0;
  for (const input of o.avatars) {
    const avatar = parsePublicKey(input).id;
    const doc = await fetchBytes(joinUrl(o.url, `v1/chain/${avatar}`), { ...o.policy }, init);
    if (doc.status === 404) continue;
    const { links } = documentLinks(textDecoder.decode(doc.body));
    for (const l of links) {
      count++;
      const r = await fetchJson(joinUrl(o.url, `v1/log/receipt?avatar=${avatar}&uuid=${encodeURIComponent(l.uuid)}&size=${cp.size}`), o.policy, init);
      const body = isRecord(r.json) ? r.json : {};
      const proof = hashes(body['proof']);
      const index = body['index'];
      if (r.status === 404 || typeof index !== 'number' || !Number.isSafeInteger(index)) {
        problems.push({ avatar, uuid: l.uuid, code: 'NOT_IN_LOG', message: `link ${l.uuid} is served in the chain but the log has no entry for it` });
      } else if (!proof || !verifyInclusion(index, cp.size, leafHash(entryOf(avatar, l)), proof, cp.root)) {
        problems.push({ avatar, uuid: l.uuid, code: 'BAD_PROOF', message: `link ${l.uuid} is not included at index ${index} of the checkpoint of size ${cp.size}` });
      }
    }
  }
  return { origin: key.name, size: cp.size, checkpoint: note, links: count, grewFrom, problems };
}

/** Offline: which link of the chain document the tlog-proof proves included; throws when none. */
export function auditTlogProof(proofText: string, documentText: string, verifierKey: string): { uuid: string; index: number; size: number } {
  const key = parseVerifierKey(verifierKey);
  const { avatar, links } = documentLinks(documentText);
  for (const l of links) {
    try {
      const r = verifyTlogProof(proofText, entryOf(avatar, l), key.name, [key]);
      return { uuid: l.uuid, index: r.index, size: r.checkpoint.size };
    } catch {
      /* not this link */
    }
  }
  throw new ProofError('BAD_REQUEST', 'the tlog-proof proves none of the document\'s links (or is not signed by the key)');
}
