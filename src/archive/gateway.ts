/**
 * `GET /ipfs/:cid` — a trustless gateway (https://specs.ipfs.tech/http-gateways/trustless-gateway/)
 * for what this node pins: the raw block (`application/vnd.ipld.raw`, by Accept or
 * `?format=raw`) or a CAR holding it (`application/vnd.ipld.car`, `?format=car`). Clients verify
 * the bytes against the CID themselves, so nothing here needs trusting. Without a format the
 * json document itself is returned (for json CIDs the block *is* the document).
 *
 * `:cid` and the query are attacker-controlled: parse defensively, answer 400, never 500.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { CarWriter } from '@ipld/car';
import { CID } from 'multiformats/cid';
import * as jsonCodec from 'multiformats/codecs/json';
import { sendError } from '../api/errors.js';
import { ProofError, type ErrorCode } from '../core/index.js';
import type { BlockReader } from './blocks.js';

const RAW = 'application/vnd.ipld.raw';
const CAR = 'application/vnd.ipld.car';

// statuses come from the one map in src/api/errors.ts
const error = (reply: FastifyReply, code: ErrorCode, message: string): FastifyReply => sendError(reply, new ProofError(code, message));

export function wantedFormat(accept: string | undefined, format: unknown): 'raw' | 'car' | 'json' | null {
  if (format !== undefined) {
    if (format === 'raw') return 'raw';
    if (format === 'car') return 'car';
    return null;
  }
  const a = (accept ?? '').toLowerCase();
  if (a.includes(RAW)) return 'raw';
  if (a.includes(CAR)) return 'car';
  return 'json';
}

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of chunks) parts.push(c);
  return new Uint8Array(Buffer.concat(parts));
}

export async function carBytes(cid: CID, block: Uint8Array): Promise<Uint8Array> {
  const { writer, out } = CarWriter.create([cid]);
  const done = collect(out);
  await writer.put({ cid, bytes: block });
  await writer.close();
  return done;
}

/** Seconds a client is asked to wait when the stores are not open yet (Retry-After). */
const RETRY_AFTER_S = 5;

/**
 * `blocks()` is the on-disk store reader, open before the IPFS node runs (see ./blocks.ts), or
 * null when even the stores could not be opened: only then is the answer 503.
 */
export function registerGateway(app: FastifyInstance, blocks: () => BlockReader | null): void {
  app.get<{ Params: { cid: string }; Querystring: { format?: string } }>('/ipfs/:cid', async (req, reply) => {
    const ipfs = blocks();
    if (!ipfs) {
      reply.header('retry-after', String(RETRY_AFTER_S));
      return error(reply, 'UNAVAILABLE', 'the IPFS block store is not open yet');
    }
    let cid: CID;
    try {
      if (req.params.cid.length > 200) throw new Error('too long');
      cid = CID.parse(req.params.cid).toV1();
    } catch {
      return error(reply, 'BAD_REQUEST', 'not a valid CID');
    }
    const query = (req.query ?? {}) as Record<string, unknown>;
    const fmt = wantedFormat(req.headers.accept, query.format);
    if (!fmt) return error(reply, 'BAD_REQUEST', 'format must be raw or car');
    const signal = AbortSignal.timeout(10_000);
    // Only pinned content is served: the node is an archive of chain documents, not a cache.
    if (!(await ipfs.isPinned(cid, signal))) return error(reply, 'NOT_FOUND', 'not pinned here');
    const block = await ipfs.getLocalBlock(cid, signal);
    if (!block) return error(reply, 'NOT_FOUND', 'block not held');
    reply
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'public, max-age=29030400, immutable')
      .header('x-ipfs-roots', cid.toString());
    if (fmt === 'raw') {
      return reply.header('etag', `"${cid}.raw"`).type(RAW).send(Buffer.from(block));
    }
    if (fmt === 'car') {
      return reply.header('etag', `"${cid}.car"`).type(`${CAR}; version=1`).send(Buffer.from(await carBytes(cid, block)));
    }
    if (cid.code !== jsonCodec.code) return error(reply, 'NOT_ACCEPTABLE', 'ask for format=raw or format=car');
    return reply.header('etag', `"${cid}"`).type('application/json').send(Buffer.from(block));
  });
}
