/**
 * Config section `mirror` (composed into the full schema by src/config/schema.ts). A non-empty
 * `upstream` turns the daemon into a read-only mirror of that ProofService.
 */
import { int, section, str, type ConfigOf } from '../config/fields.js';

export const mirrorSection = section({
  upstream: str('', 'Base URL of a ProofService (Next.ID or proofkeep) to mirror through its GET /v1/proofchain/changes feed. Empty = not a mirror. Set, the daemon refuses writes (403 READ_ONLY).', {
    pattern: /^$|^https?:\/\/\S+$/,
  }),
  pageSize: int(100, 'Links asked per feed page (count); the feed allows at most 100.', 1, 100),
  pollIntervalMs: int(5000, 'Wait between polls once caught up with the upstream.', 10, 3_600_000),
  backoffBaseMs: int(1000, 'First wait after an upstream failure; doubles per consecutive failure (with jitter).', 10, 3_600_000),
  backoffMaxMs: int(60_000, 'Longest wait between retries during an upstream outage.', 10, 86_400_000),
  timeoutMs: int(30_000, 'Timeout of one upstream request.', 100, 600_000),
  upstreamVerifierKey: str('', 'The upstream log\'s checkpoint verifier key (<origin>+<hex id>+<base64 key>, from its /healthz tlog.verifier_key). Set, the mirror rebuilds the upstream\'s log, checks its checkpoints, cosigns consistent ones and serves POST /add-checkpoint. Empty = no witnessing.'),
  witnessName: str('', 'Name of this witness\'s cosigning key (e.g. mirror.example.org/witness). Empty = the name in the existing key file, else <hostname>/proofkeep-witness.', { pattern: /^$|^[^\s+]+$/ }),
  witnessKeyFile: str('', 'File holding the witness\'s Ed25519 key (PRIVATE+KEY+<name>+<id>+<key>, mode 600). Empty = <dataDir>/witness.key, generated on first start.'),
  maxPageBytes: int(8 * 1024 * 1024, 'Largest upstream page body accepted (bytes); a bigger one counts as an upstream failure.', 1024, 512 * 1024 * 1024),
});

export type MirrorConfig = ConfigOf<typeof mirrorSection>;
