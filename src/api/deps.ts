/** What the API needs from the rest of the daemon. Optional providers are filled by components. */
import type { Logger } from 'pino';
import type { AvatarKey, Link } from '../core/index.js';
import type { ServerConfig } from '../config/schema.js';
import type { Store } from '../store/index.js';
import type { BulkVerifier } from '../crypto/verifier.js';

export interface SubmitCheckResult {
  /** 'unchecked': no checker can run for this platform (e.g. no token); accepted unchecked */
  status: 'valid' | 'unchecked';
  alt_id?: string;
  evidence?: unknown;
}

export interface ArchiveInfo {
  lastTxId(avatarId: number): string;
  txIdForLink(avatarId: number, seq: number): string;
}

export interface ApiDeps {
  config: ServerConfig;
  log: Logger;
  store: Store;
  verifier: BulkVerifier;
  version: string;
  /** a mirror refuses writes with READ_ONLY */
  readOnly?: boolean;
  /** fetch and check the proof post before accepting (checkers.verifyOnSubmit) */
  submitCheck?: (args: { avatar: AvatarKey; link: Link; signal: AbortSignal }) => Promise<SubmitCheckResult>;
  /** bindings just served by GET /v1/proof (overdue ones may be re-checked early) */
  onProofsRead?: (bindingIds: number[]) => void;
  archiveInfo?: ArchiveInfo;
  /** extra /healthz sections, by component name */
  health?: () => Record<string, unknown>;
}
