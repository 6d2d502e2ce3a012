/** The archive part's entry for the daemon: its component factory and its tables. */
export { ArchiveComponent, type ArchiveComponentOptions } from './component.js';
export { archiveSection, type ArchiveConfig } from './config.js';
export { archiveMigration } from './migration.js';
