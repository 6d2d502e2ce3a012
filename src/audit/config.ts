/**
 * Config section `audit` (composed into the full schema by src/config/schema.ts), read by
 * `proofkeep audit` from the config file, PROOFKEEP_AUDIT_* variables and its flags. Retry
 * policy is plain data.
 */
import { defaultsOf, int, section, str, type ConfigOf } from '../config/fields.js';

export const auditSection = section({
  ipfsGateway: str('http://127.0.0.1:9800', 'Trustless IPFS gateway the auditor fetches CIDs from (GET {url}/ipfs/{cid}, Accept: application/vnd.ipld.raw); default: a local proofkeep daemon.', {
    pattern: /^https?:\/\/\S+$/,
  }),
  arweaveGateway: str('https://arweave.net', 'Arweave gateway the auditor reads transactions from (GET {url}/tx/{id} and {url}/{id}).', { pattern: /^https?:\/\/\S+$/ }),
  timeoutMs: int(30_000, 'Timeout of one auditor request, ms.', 100, 600_000),
  retries: int(3, 'Retries of a failed auditor request (network error, 429, 5xx), with exponential backoff.', 0, 20),
  retryBaseMs: int(500, 'First retry delay of the auditor, ms; doubles per retry.', 1, 600_000),
  maxBodyBytes: int(32 * 1024 * 1024, 'Largest document or page the auditor accepts from a remote, bytes.', 1024, 1024 * 1024 * 1024),
  maxArweaveVersions: int(100_000, 'Most Arweave versions followed back through Previous-Tx (cycles and hostile gateways stop here).', 1),
  maxServicePages: int(100_000, 'Most /v1/proofchain pages read for one Avatar.', 1),
  // Kept so that config files written for earlier releases still load; nothing reads it.
  batchSize: int(512, 'Deprecated and ignored: dumps are now cut into chunks of `chunkBytes` that the workers parse and verify.', 1, 100_000),
  chunkBytes: int(256 * 1024, 'Bytes of whole lines a dump worker parses and verifies at once (a few hundred feed links per 256 KiB); a longer line is one chunk.', 1024, 64 * 1024 * 1024),
});

export type AuditConfig = ConfigOf<typeof auditSection>;

/** The section's defaults, for callers that do not load the whole config (tests, embedders). */
export const AUDIT_DEFAULTS: AuditConfig = defaultsOf(auditSection);
