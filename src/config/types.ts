/** The frozen config's shape. Keep in step with schema.ts (a test compares them). */
import type { ArchiveConfig } from '../archive/config.js';
import type { AuditConfig } from '../audit/config.js';
import type { CheckersConfig } from '../checkers/config.js';
import type { MirrorConfig } from '../mirror/config.js';

export type { AuditConfig, MirrorConfig };

export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  readonly bodyLimit: number;
  readonly bulkBodyLimit: number;
  readonly bulkMaxLinks: number;
  readonly platforms: readonly string[];
  readonly createdAtSkewSeconds: number;
  readonly createdAtMaxAgeSeconds: number;
  readonly writeRateLimit: number;
  readonly adminToken: string;
  readonly cors: boolean;
  readonly trustProxy: boolean;
  readonly shutdownGraceMs: number;
}

export interface StoreConfig {
  readonly dataDir: string;
  readonly file: string;
  readonly groupCommitMs: number;
  readonly busyTimeoutMs: number;
}

export interface CryptoConfig {
  readonly backend: 'auto' | 'native' | 'noble';
  readonly workers: number;
}

export interface LogConfig {
  readonly level: string;
}

export interface Config {
  readonly server: ServerConfig;
  readonly store: StoreConfig;
  readonly crypto: CryptoConfig;
  readonly archive: ArchiveConfig;
  readonly checkers: CheckersConfig;
  readonly mirror: MirrorConfig;
  readonly audit: AuditConfig;
  readonly log: LogConfig;
}
