/**
 * The closed set of stable error codes (SPEC §4). Every rejection anywhere in proofkeep —
 * API replies, audit reports, mirror quarantine, logs — carries exactly one of these.
 * The HTTP layer maps codes to statuses in one place (src/api/errors.ts).
 */
export const ERROR_CODES = [
  'BAD_REQUEST', // malformed JSON, wrong types, missing fields
  'BAD_PUBLIC_KEY', // not a valid secp256k1 public key in any accepted form
  'BAD_SIGNATURE_ENCODING', // not base64/hex of 65 bytes, or v not in {0,1,27,28}
  'SIGNATURE_MISMATCH', // recovers to another key than the claimed Avatar
  'WALLET_SIGNATURE_MISMATCH', // wallet signature missing or not from the bound wallet
  'PREV_MISMATCH', // prev points at nothing this chain knows
  'FORK', // prev points at a link that already has a successor
  'DUPLICATE_UUID', // uuid already used by this Avatar (replay)
  'UNKNOWN_PLATFORM',
  'UNSUPPORTED_PLATFORM', // a known platform the operation cannot work for (restore_pubkey on a wallet)
  'UNKNOWN_ACTION',
  'PAYLOAD_MISMATCH', // stored signature_payload differs from the one rebuilt from fields
  'BAD_IDENTITY', // identity empty, too long, or with characters no platform allows
  'BAD_UUID', // not a canonical UUID
  'BAD_CREATED_AT', // not unix seconds, or absurd (future beyond skew, too old)
  'BAD_PROOF_LOCATION', // proof_location malformed for its platform or too long
  'BAD_PATCH', // KV patch not signable portably (non-integer or unsafe number, lone surrogate, too deep)
  'NOT_BOUND', // KV write to a namespace the Avatar holds no binding for
  'UNVERIFIABLE', // a link with an empty signature (deployed service's GitHub/Steam bug)
  'BROKEN_ANCESTOR', // a link hanging off an unverifiable or invalid link
  'HISTORY_REWRITTEN', // a later archived version does not extend an earlier one
  'NOT_FOUND',
  'PAYLOAD_TOO_LARGE',
  'RATE_LIMITED',
  'UNAUTHORIZED',
  'READ_ONLY', // a mirror refuses writes
  'PROOF_CHECK_FAILED', // the proof post could not be verified on submit
  'SIGNATURE_REQUIRED', // no extra.signature, and no checker can take it from the proof post
  'UNKNOWN_ALGORITHM', // a subkey algorithm other than es256 / secp256k1
  'DUPLICATE_SUBKEY', // this avatar already authorized this key for this rp_id (under another name)
  'UNAVAILABLE', // a dependency (platform, gateway) could not be reached
  'NOT_ACCEPTABLE', // no representation in the format asked for (gateway: a non-json block without format=raw|car)
  'BAD_CONFIG', // the operator's configuration cannot be used (a bad key or value, a wallet file others can read)
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const CODE_SET: ReadonlySet<string> = new Set(ERROR_CODES);

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && CODE_SET.has(value);
}

/** An error with a stable code. `details` is safe to show to clients (no secrets). */
export class ProofError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProofError';
    this.code = code;
    this.details = options?.details;
  }

  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

export function fail(code: ErrorCode, message: string, details?: Record<string, unknown>): never {
  throw new ProofError(code, message, details ? { details } : undefined);
}

export function isProofError(err: unknown): err is ProofError {
  return err instanceof ProofError;
}
