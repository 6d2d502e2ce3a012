/**
 * The one map from stable error codes (src/core/errors.ts) to HTTP statuses, and the one way to
 * send an error reply ({message, code}): the error handler, the not-found handler and the routes
 * that answer errors themselves (the IPFS gateway) all go through `sendError`.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ProofError, type ErrorCode } from '../core/index.js';

export const STATUS: Readonly<Record<ErrorCode, number>> = {
  BAD_REQUEST: 400,
  BAD_PUBLIC_KEY: 400,
  BAD_SIGNATURE_ENCODING: 400,
  SIGNATURE_MISMATCH: 400,
  WALLET_SIGNATURE_MISMATCH: 400,
  PREV_MISMATCH: 409,
  FORK: 409,
  DUPLICATE_UUID: 409,
  UNKNOWN_PLATFORM: 400,
  UNSUPPORTED_PLATFORM: 400,
  UNKNOWN_ACTION: 400,
  PAYLOAD_MISMATCH: 400,
  BAD_IDENTITY: 400,
  BAD_UUID: 400,
  BAD_CREATED_AT: 400,
  BAD_PROOF_LOCATION: 400,
  BAD_PATCH: 400,
  NOT_BOUND: 400,
  UNVERIFIABLE: 400,
  BROKEN_ANCESTOR: 400,
  HISTORY_REWRITTEN: 400,
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  UNAUTHORIZED: 401,
  READ_ONLY: 403,
  PROOF_CHECK_FAILED: 400,
  SIGNATURE_REQUIRED: 400,
  UNKNOWN_ALGORITHM: 400,
  DUPLICATE_SUBKEY: 409,
  UNAVAILABLE: 503,
  NOT_ACCEPTABLE: 406,
  // never a client's fault; only start-up reports it (a reply would mean a bug)
  BAD_CONFIG: 500,
  INTERNAL: 500,
};

export interface ErrorBody {
  message: string;
  code: ErrorCode;
}

/** Fastify's own errors (parser, limits, schema) mapped onto our codes. */
function fromFastify(err: FastifyError): ProofError {
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new ProofError('PAYLOAD_TOO_LARGE', 'request body is too large');
  if (err.validation) return new ProofError('BAD_REQUEST', `invalid request: ${err.message}`);
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new ProofError('BAD_REQUEST', 'content-type must be application/json');
  if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return new ProofError('BAD_REQUEST', 'request body is empty');
  if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY') return new ProofError('BAD_REQUEST', 'request body is not valid JSON');
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return new ProofError('BAD_REQUEST', err.message);
  }
  return new ProofError('INTERNAL', 'internal error', { cause: err });
}

/** Send `pe` as the error reply: its status from STATUS, body {message, code} (INTERNAL's message hidden). */
export function sendError(reply: FastifyReply, pe: ProofError): FastifyReply {
  const status = STATUS[pe.code];
  if (pe.code === 'RATE_LIMITED' && typeof pe.details?.['retryAfter'] === 'number') reply.header('retry-after', String(pe.details['retryAfter']));
  // The database is away (or a statement timed out): the PgDb tries it again at most once a second.
  else if (pe.code === 'UNAVAILABLE') reply.header('retry-after', String(typeof pe.details?.['retryAfter'] === 'number' ? pe.details['retryAfter'] : 1));
  const body: ErrorBody = { message: status >= 500 && pe.code === 'INTERNAL' ? 'internal error' : pe.message, code: pe.code };
  return reply.status(status).send(body);
}

export function errorHandler(err: FastifyError | ProofError, req: FastifyRequest, reply: FastifyReply): void {
  const pe = err instanceof ProofError ? err : fromFastify(err as FastifyError);
  if (STATUS[pe.code] >= 500) req.log.error({ err }, 'request failed');
  else req.log.debug({ code: pe.code, msg: pe.message }, 'request rejected');
  void sendError(reply, pe);
}
