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
import { selectBackend } from '../crypto/select.js';
import { LinePool } from './line-pool.js';

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
  /** worker threads for dumps: 0 = one per core, 1 = the calling thread (config crypto.workers) */
  workers?: number;
  /** the run's clock (ms), for the created_at window; default Date.now */
  now?: () => number;
  progress?: Progress;
  signal?: AbortSignal;
}

export async function runAudit(sources: readonly AuditSource[], opts: AuditOptions = {}): Promise<AuditReport> {
  // This thread's backend (documents, deferred dump links) is selected and self-tested here: a
  // `native` that cannot load fails the run before any source. The dump workers start only
  // when a dump comes, each choosing its backend by the same mode.
  const mode = opts.backend ?? 'auto';
  const backend = selectBackend(mode).backend;
  let pool: LinePool | null = null;
  let starting: Promise<LinePool> | null = null;
  const lines = () =>
    (starting ??= (async () => {
      pool = new LinePool(mode, opts.workers ?? 0, backend);
      await pool.start();
      return pool;
    })());
  try {
    const ctx: AuditContext = {
      report: new AuditReport(),
      backend,
      lines,
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
    await (pool as LinePool | null)?.stop();
  }
}
