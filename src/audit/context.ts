/** What every source needs: where to report, how to verify, the config, progress, cancellation. */
import type { RecoveryBackend } from '../core/index.js';
import type { AuditConfig } from './config.js';
import type { Progress } from './progress.js';
import type { AuditReport } from './report.js';
import type { VerifyLinks } from './verifier.js';

export interface AuditContext {
  report: AuditReport;
  /** for whole documents (core verifyChain runs in-thread) */
  backend: RecoveryBackend;
  /** for the bulk path (dumps): batched, swappable for a worker pool */
  verify: VerifyLinks;
  config: AuditConfig;
  progress: Progress;
  signal?: AbortSignal;
}
