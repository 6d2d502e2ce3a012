/**
 * What the API needs from the rest of the daemon, given once when it is built: the store, the
 * verifier, and the capabilities components contribute (see src/component.ts). Never changed
 * afterwards.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ApiCapabilities } from '../component.js';
import type { ServerConfig } from '../config/schema.js';
import type { Store } from '../store/index.js';
import type { BulkVerifier } from '../crypto/verifier.js';

export type { ArchiveInfo, SubmitCheckResult } from '../component.js';

export interface ApiDeps extends Readonly<ApiCapabilities> {
  readonly config: ServerConfig;
  readonly log: Logger;
  readonly store: Store;
  readonly verifier: BulkVerifier;
  readonly version: string;
  /** extra /healthz sections, by component name */
  readonly health?: () => Record<string, unknown>;
  /** where the API registers its request and ingest metrics (none: not measured) */
  readonly metrics?: Registry;
}
