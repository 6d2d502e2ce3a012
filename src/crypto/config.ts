/**
 * Config section `crypto` (composed into the full schema by src/config). Plain data:
 *   backend  auto | native | noble   which signature-recovery implementation to use
 *            (auto = libsecp256k1 when it loads and passes its self-test, else noble with a WARN)
 *   workers  0 = one per core (os.availableParallelism()); 1 = no pool, verify on the calling
 *            thread; N = N worker threads for bulk verification
 */
import os from 'node:os';

export const BACKEND_MODES = ['auto', 'native', 'noble'] as const;
export type BackendMode = (typeof BACKEND_MODES)[number];

export interface CryptoConfig {
  backend: BackendMode;
  workers: number;
}

export const cryptoDefaults: CryptoConfig = Object.freeze({ backend: 'auto', workers: 0 });

/** Hard cap on worker threads: more than this only costs memory on any machine we target. */
export const MAX_WORKERS = 64;

export function isBackendMode(v: unknown): v is BackendMode {
  return typeof v === 'string' && (BACKEND_MODES as readonly string[]).includes(v);
}

/** Validate a `crypto` section; returns the problems (empty when valid). */
export function checkCryptoConfig(c: unknown): string[] {
  if (typeof c !== 'object' || c === null || Array.isArray(c)) return ['crypto must be an object'];
  const problems: string[] = [];
  for (const k of Object.keys(c)) if (k !== 'backend' && k !== 'workers') problems.push(`crypto.${k} is not a known setting`);
  const { backend, workers } = c as Record<string, unknown>;
  if (backend !== undefined && !isBackendMode(backend)) problems.push(`crypto.backend must be one of ${BACKEND_MODES.join(', ')}`);
  if (workers !== undefined && !(Number.isInteger(workers) && (workers as number) >= 0 && (workers as number) <= MAX_WORKERS)) {
    problems.push(`crypto.workers must be an integer from 0 to ${MAX_WORKERS}`);
  }
  return problems;
}

/** Effective worker count: 0 means one per core. */
export function workerCount(workers: number): number {
  if (workers > 0) return Math.min(workers, MAX_WORKERS);
  return Math.max(1, Math.min(os.availableParallelism(), MAX_WORKERS));
}
