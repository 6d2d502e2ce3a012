/**
 * The two kinds of check failure and their stable codes. A permanent failure (the post or
 * account is gone, the author or signature is wrong) makes a binding `invalid`; a transient one
 * (timeout, 5xx, 429, DNS error, reset, our own token rejected) never does — it only delays
 * the next attempt. Imports nothing, so the HTTP client and the checkers can share it.
 */
/** Stable `invalid_code`s of a binding (shown by the API next to `invalid_reason`). */
export const INVALID_CODES = [
  'POST_NOT_FOUND', // the post, gist, file or TXT record does not exist (any more)
  'POST_INACCESSIBLE', // it exists but is not public (protected account, bot lacks access)
  'ACCOUNT_GONE', // the account was suspended or deleted
  'AUTHOR_MISMATCH', // the post was made by another account than the bound identity
  'SIGNATURE_MISSING', // the post carries no signature line / field
  'SIGNATURE_MISMATCH', // the signature does not verify over the link's payload with the avatar key
  'PAYLOAD_MISMATCH', // the post is for another link (uuid, created_at, prev or sign_payload differ): replay
  'PROOF_MALFORMED', // the proof document cannot be parsed
  'BAD_PROOF_LOCATION', // proof_location has the wrong shape for the platform
  'BAD_IDENTITY', // the identity cannot name anything on the platform
  'HOST_FORBIDDEN', // an activitypub host resolves to a private/loopback/link-local address
  'UNSUPPORTED_SERVER', // activitypub server software not Mastodon, Pleroma/Akkoma or Misskey
] as const;
export type InvalidCode = (typeof INVALID_CODES)[number];

/** Codes of transient failures (logged and kept in the check state; never downgrade). */
export const TRANSIENT_CODES = ['TIMEOUT', 'NETWORK_ERROR', 'DNS_ERROR', 'UPSTREAM_ERROR', 'RATE_LIMITED', 'BAD_RESPONSE', 'AUTH_ERROR', 'DISABLED'] as const;
export type TransientCode = (typeof TRANSIENT_CODES)[number];

/** What was fetched: kept per binding and served, so users can verify the post themselves. */
export interface Evidence {
  /** where the proof was read (the platform API URL or the public file URL) */
  url: string;
  /** the proof text / document as fetched (capped), or null when nothing was found */
  text: string | null;
  /** unix seconds */
  fetchedAt: number;
}

export class PermanentFailure extends Error {
  constructor(
    readonly code: InvalidCode,
    message: string,
    readonly evidence: Evidence | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PermanentFailure';
  }
}

/**
 * A guard refused to contact a host the link's own data points at: an origin outside the
 * platform's configured ones (http.ts) or an address that is not public (ssrf.ts). Checkers
 * build URLs from configured bases, so only attacker input leads here: the binding is invalid
 * (HOST_FORBIDDEN), never "try again later".
 */
export class GuardRefused extends PermanentFailure {
  constructor(message: string, options?: { cause?: unknown }) {
    super('HOST_FORBIDDEN', message, null, options);
    this.name = 'GuardRefused';
  }
}

export class TransientFailure extends Error {
  constructor(
    readonly code: TransientCode,
    message: string,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TransientFailure';
  }
}

/** The caller's signal fired (shutdown): not a result, nothing is recorded. */
export class CheckCancelled extends Error {
  constructor() {
    super('check cancelled');
    this.name = 'CheckCancelled';
  }
}

