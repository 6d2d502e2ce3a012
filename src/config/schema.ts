/**
 * The one config schema. Each part owns its section; this file composes them and exports the
 * types derived from it (`Config`, `ServerConfig`, ...). Defaults here are what `npm start` runs
 * with: loopback only, data under ./data, embedded IPFS and devnet. How to add a key: the header
 * of src/config/fields.ts (one line in a section, then `npm run config:gen`).
 */
import { checkersSection } from '../checkers/config.js';
import { cryptoSection, type CryptoConfig } from '../crypto/config.js';
import { mirrorSection } from '../mirror/config.js';
import { auditSection } from '../audit/config.js';
import { bool, int, list, oneOf, section, str, type ConfigOf } from './fields.js';
import { archiveSection } from '../archive/config.js';
import { limitsSection } from '../api/limits/config.js';
import { tlogSection } from '../log/config.js';
import { explorerSection } from '../explorer/config.js';

export const PLATFORMS_DEFAULT = ['twitter', 'github', 'keybase', 'dns', 'discord', 'minds', 'activitypub', 'ethereum', 'solana'] as const;

export const serverSection = section({
  host: str('127.0.0.1', 'Address the HTTP API listens on. Use 0.0.0.0 to serve other machines (behind a proxy).'),
  port: int(9800, 'TCP port of the HTTP API; 0 picks a free port.', 0, 65535),
  bodyLimit: int(65536, 'Largest accepted request body in bytes (413 PAYLOAD_TOO_LARGE above).', 1024, 64 * 1024 * 1024),
  bulkBodyLimit: int(8 * 1024 * 1024, 'Largest body of POST /v1/links (bulk import) in bytes.', 1024, 512 * 1024 * 1024),
  bulkMaxLinks: int(10000, 'Most links one POST /v1/links may carry.', 1, 1_000_000),
  platforms: list([...PLATFORMS_DEFAULT], 'Platforms POST /v1/proof accepts (UNKNOWN_PLATFORM otherwise). Imports and mirrors accept chains of any platform.'),
  createdAtSkewSeconds: int(600, 'How far in the future a link\'s created_at may be (clock skew).', 0, 86400),
  createdAtMaxAgeSeconds: int(86400, 'How old created_at may be on POST /v1/proof (the payload endpoint issues it fresh). 0 = no limit.', 0),
  writeRateLimit: int(600, 'Write requests per minute per client address (429 RATE_LIMITED above); 0 = unlimited.', 0),
  adminToken: str('', 'Bearer token for admin routes; empty disables them.', { secret: true }),
  cors: bool(true, 'Answer CORS for every origin (Access-Control-Allow-Origin: *, OPTIONS preflight), as Next.ID does, so browser apps and extensions can call the API. No credentials are involved.'),
  trustProxy: list([], 'Addresses or CIDRs of your own reverse proxies (e.g. ["127.0.0.1"] behind a local nginx). Only from these peers is server.proxyHeader believed, read from the right; empty = the TCP peer is the client.'),
  proxyHeader: oneOf(['x-forwarded-for', 'x-real-ip'], 'x-forwarded-for', 'Header a trusted proxy names the client in (X-Forwarded-For: the proxy appends; X-Real-IP: the proxy sets it).'),
  bulkImport: oneOf(['auto', 'admin', 'open'], 'auto', 'Who may POST /v1/links: auto = anyone on a loopback listener, the admin token otherwise; admin = always the admin token; open = anyone (a private network).'),
  maxConnectionsPerClient: int(64, 'Most open connections from one client address (IPv6: one /64); more are closed at once. Trusted proxies are not capped. 0 = unlimited.', 0),
  headersTimeoutMs: int(10000, 'A client must send its request headers within this many ms (slow-loris).', 100),
  requestTimeoutMs: int(30000, 'A client must send its whole request (headers and body) within this many ms; 0 = no limit.', 0),
  keepAliveTimeoutMs: int(5000, 'An idle keep-alive connection is closed after this many ms.', 0),
  limits: limitsSection,
  shutdownGraceMs: int(10000, 'How long shutdown waits for in-flight requests before closing them.', 0),
});

export const storeSection = section({
  engine: oneOf(['sqlite', 'postgres'], 'sqlite', 'Index engine: sqlite (one file in dataDir, one process) or postgres (a shared server; several daemons may run on one database, see docs/postgres.md).'),
  dataDir: str('./data', 'Directory for the SQLite index, IPFS stores and devnet state. Created if missing.'),
  file: str('proofkeep.sqlite', 'SQLite file name inside dataDir.'),
  postgres: section({
    url: str('', 'PostgreSQL connection URL (postgres://user@host:port/db or a libpq key=value string) when store.engine = postgres. A password in it is never logged; prefer PGPASSWORD or ~/.pgpass.', { secret: true }),
    statementTimeoutMs: int(10000, 'Longest a statement may run on the server before it is cancelled (the request answers 503).', 0),
    connectTimeoutMs: int(3000, 'How long a (re)connect to the server may take before the request answers 503 UNAVAILABLE.', 1000),
  }),
  groupCommitMs: int(2, 'Window in ms in which concurrent appends share one durable commit (0 = next tick).', 0, 1000),
  busyTimeoutMs: int(5000, 'How long SQLite waits on a lock held by another process.', 0),
});

export { cryptoSection };

export const logSection = section({
  level: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info', 'Log level (pino JSON on stderr).'),
});

export const schema = section({
  server: serverSection,
  store: storeSection,
  crypto: cryptoSection,
  archive: archiveSection,
  checkers: checkersSection,
  mirror: mirrorSection,
  audit: auditSection,
  tlog: tlogSection,
  explorer: explorerSection,
  log: logSection,
});

export type Config = ConfigOf<typeof schema>;
export type ServerConfig = Config['server'];
export type StoreConfig = Config['store'];
export type { CryptoConfig };
export type LogConfig = Config['log'];

/** Shorthand environment variables (besides PROOFKEEP_<SECTION>_<KEY>). */
export const ENV_ALIASES: Readonly<Record<string, string>> = {
  PROOFKEEP_HOST: 'server.host',
  PROOFKEEP_PORT: 'server.port',
  PROOFKEEP_DATA_DIR: 'store.dataDir',
  PROOFKEEP_DATABASE_URL: 'store.postgres.url',
  PROOFKEEP_PINNING_SERVICE_TOKEN: 'archive.pinningService.token',
};
