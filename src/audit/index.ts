/**
 * The auditor: verifies chains from sources it does not trust, with the core's one verifier,
 * and reports every problem. Uses only `src/core` — never a local index.
 */
import { existsSync } from 'node:fs';
import { AUDIT_DEFAULTS, type AuditConfig } from './config.js';
import type { AuditContext } from './context.js';
import { noProgress, type Progress } from './progress.js';
import { AuditReport } from './report.js';
import { auditArweave, parseTxId } from './sources/arweave.js';
import { auditPath } from './sources/files.js';
import { auditCid, parseCid } from './sources/ipfs.js';
import { auditServiceAvatar } from './sources/service.js';
import type { BackendMode } from '../crypto/config.js';
import { DEFAULT_CREATED_AT_SKEW_SECONDS, timeWindow } from '../core/index.js';
import { VerifyPool } from '../crypto/pool.js';
import type { BulkVerifier } from '../crypto/verifier.js';

export { AUDIT_DEFAULTS, type AuditConfig } from './config.js';
export { AuditReport, type AuditProblem } from './report.js';
export { inlineVerifier, type BulkVerifier, type VerifyItem, type VerifyResult } from '../crypto/verifier.js';

export type AuditSource =
  | { kind: 'path'; path: string }
  | { kind: 'ipfs'; input: string }
  | { kind: 'arweave'; txId: string; input: string }
  | { kind: 'service'; url: string; avatar: string };

/**
 * What a SOURCE argument names. An existing path wins (a file could be named like a tx id);
 * then `ipfs://`/CID, then `ar://`/43-character Arweave id. Null when it is none of them.
 */
export function classifySource(arg: string): AuditSource | null {
  if (!arg.startsWith('ipfs://') && !arg.startsWith('ar://') && existsSync(arg)) return { kind: 'path', path: arg };
  if (parseCid(arg)) return { kind: 'ipfs', input: arg };
  const tx = parseTxId(arg);
  if (tx) return { kind: 'arweave', txId: tx, input: arg };
  return null;
}

export interface AuditOptions {
  config?: Partial<AuditConfig>;
  /** signature recovery backend (config crypto.backend) */
  backend?: BackendMode;
  /** worker threads for the bulk path: 0 = one per core, 1 = the calling thread (config crypto.workers) */
  workers?: number;
  /** replaces the verifier on the bulk path entirely (tests, embedders) */
  verifier?: BulkVerifier;
  /** the run's clock (ms), for the created_at window; default Date.now */
  now?: () => number;
  progress?: Progress;
  signal?: AbortSignal;
}

export async function runAudit(sources: readonly AuditSource[], opts: AuditOptions = {}): Promise<AuditReport> {
  // The pool selects (and self-tests) the backend; with workers = 1 it verifies in-thread.
  const pool = new VerifyPool({ mode: opts.backend ?? 'auto', workers: opts.workers ?? 0 });
  await pool.start();
  try {
    const ctx: AuditContext = {
      report: new AuditReport(),
      backend: pool.backend,
      verifier: opts.verifier ?? pool,
      // A link dated beyond the clock skew is judged as the daemon judges it (BAD_CREATED_AT).
      window: timeWindow((opts.now ?? Date.now)(), DEFAULT_CREATED_AT_SKEW_SECONDS),
      config: { ...AUDIT_DEFAULTS, ...(opts.config ?? {}) },
      progress: opts.progress ?? noProgress,
      ...(opts.signal ? { signal: opts.signal } : {}),
    };
    for (const s of sources) {
      if (ctx.signal?.aborted) break;
      switch (s.kind) {
        case 'path':
          await auditPath(s.path, ctx);
          break;
        case 'ipfs':
          await auditCid(s.input, parseCid(s.input)!, ctx);
          break;
        case 'arweave':
          await auditArweave(s.input, s.txId, ctx);
          break;
        case 'service':
          await auditServiceAvatar(s.url, s.avatar, ctx);
          break;
      }
    }
    return ctx.report;
  } finally {
    await pool.stop();
  }
}
