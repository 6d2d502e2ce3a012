/** What the KV routes need from the daemon: narrow, so the component can be built and tested alone. */
import type { Logger } from 'pino';
import type { ServerConfig } from '../config/schema.js';
import type { RecoveryBackend } from '../core/index.js';
import type { Store } from '../store/index.js';
import type { KvStore } from './kv-store.js';

export interface KvDeps {
  kv: KvStore;
  /** the proof index: non-nextid namespaces need the Avatar's binding there */
  store: Pick<Store, 'avatarRow' | 'read'>;
  server: ServerConfig;
  /** the recovery backend selected at start-up (native when it loaded) */
  backend: RecoveryBackend;
  /** a mirror refuses writes (READ_ONLY) */
  readOnly: boolean;
  /** the Arweave tx of the KV chain version that first covered write `seq`, or null */
  archiveTx?: (kvAvatarId: number, seq: number) => string | null;
  /** unix ms; injected so tests control created_at */
  now: () => number;
  log: Logger;
}
