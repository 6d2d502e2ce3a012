/**
 * The auditor's config section (`audit` in the daemon config; every key also has a CLI flag).
 * Plain data so the lead's schema can compose it; retry policy is data, not code.
 */
export interface AuditConfig {
  /** trustless IPFS gateway base URL: GET {ipfsGateway}/ipfs/{cid} with Accept: application/vnd.ipld.raw */
  ipfsGateway: string;
  /** Arweave gateway base URL: GET {arweaveGateway}/tx/{id} (tags) and /{id} (data) */
  arweaveGateway: string;
  /** per-request timeout */
  timeoutMs: number;
  /** retries of a failed fetch (network error, 429, 5xx), with exponential backoff */
  retries: number;
  retryBaseMs: number;
  /** largest document or page body accepted from a remote (bytes): remote input is hostile */
  maxBodyBytes: number;
  /** stop following Previous-Tx after this many versions (a cycle or a hostile gateway) */
  maxArweaveVersions: number;
  /** stop reading /v1/proofchain after this many pages */
  maxServicePages: number;
  /** links verified per batch on the bulk (dump) path; a batch is what a worker pool receives */
  batchSize: number;
}

export const AUDIT_DEFAULTS: Readonly<AuditConfig> = Object.freeze({
  ipfsGateway: 'http://127.0.0.1:8080',
  arweaveGateway: 'https://arweave.net',
  timeoutMs: 30_000,
  retries: 3,
  retryBaseMs: 500,
  maxBodyBytes: 32 * 1024 * 1024,
  maxArweaveVersions: 100_000,
  maxServicePages: 100_000,
  batchSize: 512,
});
