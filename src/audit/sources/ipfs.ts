/**
 * An IPFS CID fetched through a trustless gateway (`GET {gateway}/ipfs/{cid}` with
 * `Accept: application/vnd.ipld.raw`). The gateway is not trusted: the bytes must hash to the
 * CID (SPEC §5: json codec 0x0200, sha2-256) before they are parsed at all.
 */
import { CID } from 'multiformats/cid';
import { sha256 } from 'multiformats/hashes/sha2';
import { ProofError } from '../../core/index.js';
import type { AuditContext } from '../context.js';
import { auditDocument } from '../document.js';
import { fetchBytes, joinUrl } from '../http.js';

export const JSON_CODEC = 0x0200;
const SHA2_256 = 0x12;

/** Is this string a CID (so a SOURCE is an IPFS one)? */
export function parseCid(s: string): CID | null {
  const raw = s.startsWith('ipfs://') ? s.slice(7) : s.startsWith('/ipfs/') ? s.slice(6) : s;
  try {
    return CID.parse(raw);
  } catch {
    return null;
  }
}

/** Fetch a block and check it hashes to its CID; throws ProofError on any mismatch. */
export async function fetchVerifiedBlock(cid: CID, gateway: string, ctx: AuditContext): Promise<Uint8Array> {
  if (cid.multihash.code !== SHA2_256) throw new ProofError('BAD_REQUEST', `CID uses hash 0x${cid.multihash.code.toString(16)}; only sha2-256 is supported`);
  const url = joinUrl(gateway, `ipfs/${cid.toString()}?format=raw`);
  const res = await fetchBytes(url, ctx.config, { headers: { accept: 'application/vnd.ipld.raw' }, ...(ctx.signal ? { signal: ctx.signal } : {}) });
  if (res.status === 404) throw new ProofError('NOT_FOUND', `gateway has no block ${cid.toString()}`);
  const digest = await sha256.digest(res.body);
  const want = cid.multihash.digest;
  if (Buffer.compare(Buffer.from(digest.digest), Buffer.from(want)) !== 0) {
    throw new ProofError('PAYLOAD_MISMATCH', `gateway returned bytes that do not hash to ${cid.toString()}`);
  }
  return res.body;
}

export async function auditCid(source: string, cid: CID, ctx: AuditContext): Promise<void> {
  const summary = ctx.report.beginSource(cid.toString(), 'ipfs');
  try {
    if (cid.code !== JSON_CODEC) ctx.report.warn(`${cid.toString()}: codec 0x${cid.code.toString(16)}, chain documents use json (0x0200)`);
    const bytes = await fetchVerifiedBlock(cid, ctx.config.ipfsGateway, ctx);
    let doc: unknown;
    try {
      doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
    } catch {
      ctx.report.problem(summary, { avatar: '(unknown)', index: -1, uuid: '', code: 'BAD_REQUEST', message: 'block is not JSON' });
      return;
    }
    auditDocument(doc, ctx, ctx.report, summary);
  } catch (err) {
    if (!(err instanceof ProofError)) throw err;
    if (err.code === 'PAYLOAD_MISMATCH' || err.code === 'BAD_REQUEST') {
      ctx.report.problem(summary, { avatar: '(unknown)', index: -1, uuid: '', code: err.code, message: err.message });
    } else {
      ctx.report.error(source, err.code, err.message);
    }
  } finally {
    ctx.report.endSource(summary);
  }
}
