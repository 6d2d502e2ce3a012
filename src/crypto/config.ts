/**
 * Config section `crypto` (composed into the full schema by src/config/schema.ts):
 *   backend  auto | native | noble   which signature-recovery implementation to use
 *            (auto = libsecp256k1 when it loads and passes its self-test, else noble with a WARN)
 *   workers  0 = one per core (os.availableParallelism()); 1 = no pool, verify on the calling
 *            thread; N = N worker threads for bulk verification
 */
import os from 'node:os';
import { int, oneOf, section, type ConfigOf } from '../config/fields.js';

export const BACKEND_MODES = ['auto', 'native', 'noble'] as const;
export type BackendMode = (typeof BACKEND_MODES)[number];

/** Hard cap on worker threads: more than this only costs memory on any machine we target. */
export const MAX_WORKERS = 64;

export const cryptoSection = section({
  backend: oneOf(
    BACKEND_MODES,
    'auto',
    'Signature recovery backend: native (libsecp256k1; start-up fails if it cannot load), noble (pure JS, ~50x slower), or auto (native when it loads and passes its self-test, else noble with a warning).',
  ),
  workers: int(0, 'Worker threads for bulk verification (POST /v1/links, mirror, audit); 0 = one per core, 1 = verify on the main thread.', 0, MAX_WORKERS),
});

export type CryptoConfig = ConfigOf<typeof cryptoSection>;

export function isBackendMode(v: unknown): v is BackendMode {
  return typeof v === 'string' && (BACKEND_MODES as readonly string[]).includes(v);
}

/** Effective worker count: 0 means one per core. */
export function workerCount(workers: number): number {
  if (workers > 0) return Math.min(workers, MAX_WORKERS);
  return Math.max(1, Math.min(os.availableParallelism(), MAX_WORKERS));
}
