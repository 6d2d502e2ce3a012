/** What every source needs: where to report, how to verify, the config, progress, cancellation. */
import type { RecoveryBackend, TimeWindow } from '../core/index.js';
import type { BulkVerifier } from '../crypto/verifier.js';
import type { AuditConfig } from './config.js';
import type { Progress } from './progress.js';
import type { AuditReport } from './report.js';

export interface AuditContext {
  report: AuditReport;
  /** for whole documents (core verifyChain runs in-thread) */
  backend: RecoveryBackend;
  /** for the bulk path (dumps): the verify contract, pooled or inline */
  verifier: BulkVerifier;
  /** created_at bounds for every link the run judges (its clock, taken once) */
  window: TimeWindow;
  config: AuditConfig;
  progress: Progress;
  signal?: AbortSignal;
}
