/** What every source needs: where to report, how to verify (in-thread and in workers), the config, progress, cancellation. */
import type { RecoveryBackend, TimeWindow } from '../core/index.js';
import type { AuditConfig } from './config.js';
import type { LinePool } from './line-pool.js';
import type { Progress } from './progress.js';
import type { AuditReport } from './report.js';

export interface AuditContext {
  report: AuditReport;
  /** for whole documents (core verifyChain runs in-thread) */
  backend: RecoveryBackend;
  /** for the bulk path (dumps): the workers that parse and verify chunks of lines, started on first use */
  lines(): Promise<LinePool>;
  /** created_at bounds for every link the run judges (its clock, taken once) */
  window: TimeWindow;
  config: AuditConfig;
  progress: Progress;
  signal?: AbortSignal;
}
