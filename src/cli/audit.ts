/**
 * `proofkeep audit SOURCE…` — verify chains without trusting anyone. See docs/audit-mirror.md.
 * Exit 0: everything verified; 1: problems found; 2: usage or fetch errors.
 */
import { parseArgs } from 'node:util';
import { AUDIT_DEFAULTS, classifySource, runAudit, type AuditSource } from '../audit/index.js';
import { noProgress, terminalProgress } from '../audit/progress.js';
import { parseTxId } from '../audit/sources/arweave.js';
import type { CliIO } from './io.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { runLogAudit } from './audit-log.js';


const USAGE = `usage: proofkeep audit [options] SOURCE...
       proofkeep audit [options] --service URL --avatar KEY [--avatar KEY...]
       proofkeep audit --log URL --log-key VKEY --avatar KEY... [--since FILE | --state FILE]
       proofkeep audit --tlog-proof FILE --document FILE --log-key VKEY

SOURCE is a chain document file, a directory of them, a JSON Lines dump (one chain document
or one /v1/proofchain/changes link per line), an IPFS CID (or ipfs://CID), or an Arweave
transaction id (or ar://ID) whose Previous-Tx history is walked back and checked.

options:
  --config FILE            config file (its "audit" and "crypto" sections apply; env PROOFKEEP_CONFIG)
  --json                   machine-readable report on stdout
  --service URL            a ProofService (Next.ID or proofkeep) to read /v1/proofchain from
  --avatar KEY             an Avatar public key on --service (repeatable)
  --ipfs-gateway URL       trustless gateway (env PROOFKEEP_AUDIT_IPFS_GATEWAY; default ${AUDIT_DEFAULTS.ipfsGateway})
  --arweave-gateway URL    Arweave gateway (env PROOFKEEP_AUDIT_ARWEAVE_GATEWAY; default ${AUDIT_DEFAULTS.arweaveGateway})
  --timeout MS             per-request timeout (env PROOFKEEP_AUDIT_TIMEOUT_MS; default ${AUDIT_DEFAULTS.timeoutMs})
  --retries N              retries of a failed request (env PROOFKEEP_AUDIT_RETRIES; default ${AUDIT_DEFAULTS.retries})
  --backend auto|native|noble   signature recovery backend (env PROOFKEEP_CRYPTO_BACKEND; default auto)
  --workers N              verify threads (env PROOFKEEP_CRYPTO_WORKERS): 0 = one per core (default), 1 = none
  --no-progress            no progress bar even on a terminal
  --log URL                audit against URL's verifiable log: checkpoint signature, every link of
                           the --avatar chains included, and (with --since/--state) that it only grew
  --log-key VKEY           the log's verifier key <origin>+<id>+<key> (required with --log and --tlog-proof)
  --since FILE             an older signed checkpoint of the log
  --state FILE             read the previous run's checkpoint from FILE (if any) and write this run's to it
  --tlog-proof FILE        offline: a c2sp.org/tlog-proof@v1 file, checked with --document and --log-key
  --document FILE          offline: the chain document holding the proved link
  -h, --help

exit status: 0 all verified, 1 problems found, 2 usage or fetch errors
`;

const OPTIONS = {
  config: { type: 'string' },
  json: { type: 'boolean' },
  service: { type: 'string' },
  avatar: { type: 'string', multiple: true },
  'ipfs-gateway': { type: 'string' },
  'arweave-gateway': { type: 'string' },
  timeout: { type: 'string' },
  retries: { type: 'string' },
  backend: { type: 'string' },
  workers: { type: 'string' },
  'no-progress': { type: 'boolean' },
  log: { type: 'string' },
  'log-key': { type: 'string' },
  since: { type: 'string' },
  state: { type: 'string' },
  'tlog-proof': { type: 'string' },
  document: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `--name` of every option that takes a value: the token after it is that value. */
const OPTIONS_WITH_VALUE = new Set(
  Object.entries(OPTIONS)
    .filter(([, o]) => o.type === 'string')
    .map(([name]) => `--${name}`),
);

/**
 * An Arweave id is 43 base64url characters, so one in 64 begins with "-" and parseArgs would
 * take it for an option ("Unknown option '-x'"). No option of ours is 43 characters long, so a
 * token that is a whole transaction id (and not the value of a preceding option) is a SOURCE:
 * it is rewritten to its unambiguous `ar://` form. Everything after "--" is left alone.
 */
export function protectTxIds(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return out.concat(argv.slice(i));
    const isValue = i > 0 && OPTIONS_WITH_VALUE.has(argv[i - 1]!);
    out.push(!isValue && a.startsWith('-') && parseTxId(a) === a ? `ar://${a}` : a);
  }
  return out;
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: protectTxIds(argv),
      allowPositionals: true,
      options: OPTIONS,
    });
  } catch (err) {
    io.stderr.write(`proofkeep audit: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values: v, positionals } = parsed;
  if (v.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const usage = (msg: string) => {
    io.stderr.write(`proofkeep audit: ${msg}\n${USAGE}`);
    return 2;
  };
  if (v.log !== undefined || v['tlog-proof'] !== undefined) return runLogAudit(v, io, usage);
  const sources: AuditSource[] = [];
  for (const arg of positionals) {
    const s = classifySource(arg);
    if (!s) return usage(`"${arg}" is not an existing file or directory, a CID or an Arweave transaction id`);
    sources.push(s);
  }
  const avatars = v.avatar ?? [];
  if (avatars.length > 0 && !v.service) return usage('--avatar needs --service URL');
  if (v.service && avatars.length === 0) return usage('--service needs at least one --avatar KEY');
  if (v.service && !/^https?:\/\//.test(v.service)) return usage('--service must be an http(s) URL');
  for (const a of avatars) sources.push({ kind: 'service', url: v.service!, avatar: a });
  if (sources.length === 0) return usage('no SOURCE given');
  // Flags override PROOFKEEP_* variables, which override the config file (same loader as serve).
  const num = (x: string | undefined) => (x !== undefined && /^\d{1,12}$/.test(x) ? Number(x) : x);
  let config;
  try {
    config = loadConfig({
      file: v.config,
      env: io.env,
      overrides: {
        'audit.ipfsGateway': v['ipfs-gateway'],
        'audit.arweaveGateway': v['arweave-gateway'],
        'audit.timeoutMs': num(v.timeout),
        'audit.retries': num(v.retries),
        'crypto.backend': v.backend,
        'crypto.workers': num(v.workers),
      },
    });
  } catch (err) {
    if (err instanceof ConfigError) return usage(err.message);
    throw err;
  }

  const ac = new AbortController();
  const onSigint = () => ac.abort(new Error('interrupted'));
  process.once('SIGINT', onSigint);
  try {
    const report = await runAudit(sources, {
      config: config.audit,
      backend: config.crypto.backend,
      workers: config.crypto.workers,
      progress: io.isTTY && !v['no-progress'] && !v.json ? terminalProgress(io.stderr) : noProgress,
      signal: ac.signal,
    });
    if (v.json) io.stdout.write(`${JSON.stringify(report.toJSON(), null, 2)}\n`);
    else io.stdout.write(report.toText());
    if (ac.signal.aborted) return 2;
    return report.exitCode();
  } catch (err) {
    io.stderr.write(`proofkeep audit: ${(err as Error).message}\n`);
    return 2;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}
