/** The archive part's entry for the daemon: a component factory. */
import type { DaemonContext } from '../daemon.js';
import { ArchiveComponent } from './component.js';

export { ArchiveComponent } from './component.js';
export { archiveSection, type ArchiveConfig } from './config.js';

export function archiveComponent(ctx: DaemonContext): ArchiveComponent {
  const c = new ArchiveComponent({ config: ctx.config.archive, store: ctx.store, dataDir: ctx.dataDir, log: ctx.log.child({ part: 'archive' }), ...(ctx.kv ? { kv: ctx.kv } : {}) });
  if (ctx.config.archive.enabled) {
    ctx.api.archiveInfo = c.archiveInfo;
    const kvOutbox = c.kvOutbox;
    if (kvOutbox) ctx.kvArchiveTx = (id, seq) => kvOutbox.txIdForLink(id, seq) || null;
  }
  return c;
}
