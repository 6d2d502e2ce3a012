/**
 * Every table owner's migrations, in one list: the database is opened with all of them, so a
 * database written with a component enabled is still understood with it disabled (an unknown
 * applied migration means a newer build wrote it, and start-up refuses). A new table owner adds
 * its migration here; its module alone queries those tables.
 */
import { archiveMigration } from './archive/migration.js';
import { kvArchive } from './archive/kv-migration.js';
import { archiveLeases } from './archive/lease-migration.js';
import { remotePinsMigration } from './archive/remote-pins-migration.js';
import { checkersMigration } from './checkers/migration.js';
import { kv } from './kv/migration.js';
import { mirrorMigration } from './mirror/migration.js';
import { witnessMigration } from './mirror/witness-migration.js';
import { MIGRATIONS as STORE_MIGRATIONS, type Migration } from './store/migrations.js';
import { subkeysMigration } from './subkeys/migration.js';
import { logMigration } from './log/migration.js';
import { logAvatarIndex } from './log/avatar-index-migration.js';

export const SCHEMA: readonly Migration[] = [...STORE_MIGRATIONS, archiveMigration, checkersMigration, mirrorMigration, witnessMigration, subkeysMigration, logMigration, logAvatarIndex, kv, kvArchive, remotePinsMigration, archiveLeases].sort((a, b) => a.version - b.version);
