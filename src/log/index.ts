/**
 * The verifiable log component: every accepted change becomes one log entry inside the
 * transaction that accepts it (links through the store's append hook, validity changes and
 * other writers through its change hook), checkpoints are signed in the background, and the
 * tiles, checkpoint, receipts and proofs are served. Seams for witnessing and log audits:
 * LogTree (entries, tile hashes, proofs), Checkpointer (signed notes), and the pure code in
 * src/core/tlog (tree math from any hash source, note and checkpoint verification).
 */
import { hash } from 'node:crypto';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Component } from '../component.js';
import { isWalletPlatform, ProofError } from '../core/index.js';
import { evidenceHash, formatCosignerKey, linkEntry, openCheckpoint, parseVerifierKey, TlogError, type LogEntry } from '../core/tlog/index.js';
import type { AppendEvent, StoreChange, ValidityChange } from '../store/index.js';
import type { Reader } from '../store/read.js';
import type { Db } from '../store/sqlite.js';
import type { TlogConfig } from './config.js';
import { Checkpointer } from './checkpointer.js';
import { keyNameIn, loadLogKey } from './key.js';
import { logRoutes } from './routes.js';
import { LogTree } from './tree.js';
import { parseWitnessTarget, WitnessSubmitter } from './witnesses.js';

export { tlogSection, type TlogConfig } from './config.js';
export { LogTree } from './tree.js';
export { Checkpointer } from './checkpointer.js';

export interface LogComponent extends Component {
  readonly tree: LogTree;
  readonly checkpoints: Checkpointer;
  readonly origin: string;
  readonly verifierKey: string;
}

export interface LogDeps {
  config: TlogConfig;
  /** the shared connection, for the log's tables */
  db: Db;
  /** links by uuid (receipts) */
  read: Reader;
  dataDir: string;
  log: Logger;
}

/** `origin` wins; else the name already in the key file; else a name derived from the host. */
function resolveOrigin(configured: string, keyFile: string): string {
  return configured || keyNameIn(keyFile) || `${hostname().replace(/[\s+]/g, '-') || 'localhost'}/proofkeep`;
}

function requireSameKey(tree: LogTree, verifierKey: string, origin: string, keyFile: string): void {
  const latest = tree.latestCheckpoint();
  if (!latest) return;
  try {
    openCheckpoint(latest.note, origin, [parseVerifierKey(verifierKey)]);
  } catch {
    throw new ProofError('BAD_CONFIG', `the log in this database is signed by another key or origin than ${keyFile} (${verifierKey}): every daemon on one database must use the same tlog.keyFile and tlog.origin (docs/postgres.md)`);
  }
}

/** node's native SHA-256 for the evidence hash of validity entries (written inside the verdict's transaction). */
const sha256 = (data: Uint8Array): Uint8Array => hash('sha256', data, 'buffer');

export function logComponent(deps: LogDeps): LogComponent {
  const cfg = deps.config;
  const log = deps.log;
  const keyFile = cfg.keyFile ? resolve(cfg.keyFile) : join(deps.dataDir, 'log.key');
  const origin = resolveOrigin(cfg.origin, keyFile);
  const { key, generated } = loadLogKey({ file: keyFile, origin, generate: !cfg.keyFile });
  if (generated) log.info({ keyFile, verifierKey: key.verifierKey }, 'generated a new log signing key');
  const tree = new LogTree(deps.db);
  // Several daemons on one PostgreSQL sign one log: a daemon with another key (each data dir makes
  // its own by default) would sign checkpoints clients and witnesses cannot verify. Refuse to start.
  if (deps.db.dialect === 'postgres') requireSameKey(tree, key.verifierKey, origin, keyFile);
  const checkpoints = new Checkpointer(tree, key, origin, cfg.checkpointIntervalMs, log);
  const targets = cfg.witnesses.map((w) => parseWitnessTarget(w));
  const witnesses = targets.length === 0 ? null : new WitnessSubmitter(tree, targets, log);
  if (witnesses) checkpoints.onSigned = (c) => witnesses.submit(c);

  const append = (entry: LogEntry, refId: number | null): number => {
    try {
      return tree.append(entry, refId);
    } catch (err) {
      if (err instanceof TlogError) throw new ProofError('PAYLOAD_TOO_LARGE', `the change cannot be logged: ${err.message}`, { cause: err });
      throw err;
    }
  };
  const validity = (ev: ValidityChange): void => {
    const linkIndex = tree.indexOf('link', ev.linkId);
    if (linkIndex === undefined) throw new Error(`binding ${ev.bindingId} has a link that is not in the log`);
    append({
      kind: 'validity', avatar: ev.avatar, platform: ev.platform, identity: ev.identity, link_index: linkIndex, change: ev.change,
      outcome: ev.outcome, checked_at: ev.checkedAt, evidence_sha256: ev.evidence ? evidenceHash(ev.evidence, sha256) : null,
    }, ev.linkId);
  };

  const onAppend = (ev: AppendEvent): void => {
    append(linkEntry(ev.avatar, ev.link), ev.linkId);
    // A check that passed on submit made the binding valid with the link: log that too.
    const init = ev.initial;
    if (ev.bindingId !== null && ev.link.action === 'create' && init?.status === 'valid' && !isWalletPlatform(ev.link.platform)) {
      const e = init.evidence as { url?: unknown; text?: unknown; fetchedAt?: unknown } | undefined;
      const evidence = e && typeof e.url === 'string' && typeof e.fetchedAt === 'number' ? { url: e.url, text: typeof e.text === 'string' ? e.text : null, fetchedAt: e.fetchedAt } : null;
      validity({
        kind: 'validity', bindingId: ev.bindingId, linkId: ev.linkId, avatar: ev.avatar, platform: ev.link.platform, identity: ev.link.identity,
        change: 'restore', outcome: 'valid', checkedAt: init.checkedAt ?? Math.floor(Date.now() / 1000), evidence,
      });
    }
  };
  const onChange = (ev: StoreChange): void => {
    if (ev.kind === 'validity') validity(ev);
    else if (ev.kind === 'subkey') {
      append({
        kind: 'subkey', avatar: ev.avatar, algorithm: ev.algorithm, public_key: ev.public_key, rp_id: ev.rp_id, name: ev.name,
        created_at: ev.created_at, sign_payload: ev.sign_payload, signature: ev.signature,
      }, ev.id);
    } else {
      append({
        kind: 'kv', avatar: ev.avatar, platform: ev.platform, identity: ev.identity, uuid: ev.uuid, created_at: ev.created_at,
        sign_payload: ev.sign_payload, signature: ev.signature,
      }, ev.id);
    }
  };
  const linkIdByUuid = (avatar: string, uuid: string): number | undefined => deps.read.linksByUuid(uuid, 1000).find((r) => r.avatar === avatar)?.id;
  const bindingLinkId = (avatar: string, platform: string, identity: string): number | undefined => {
    const row = deps.read.avatarByKey(avatar);
    return row ? deps.read.binding(row.id, platform, identity)?.link_id : undefined;
  };

  return {
    name: 'tlog',
    after: ['store'],
    tree,
    checkpoints,
    origin,
    verifierKey: key.verifierKey,
    onAppend,
    onChange,
    api: {
      tlog: {
        feed: (lastId, count) => tree.entries(lastId, count).map((r) => ({ id: r.idx + 1, kind: r.kind, refId: r.ref_id, entry: r.entry })),
        receiptIndex: (linkId) => tree.indexOf('link', linkId),
      },
    },
    async start() {
      const n = tree.catchUp();
      if (n > 0) log.info({ entries: n }, 'hashed log entries carried over from before the log');
      checkpoints.start();
      log.info({ origin, verifierKey: key.verifierKey, size: tree.size() }, 'verifiable log ready');
    },
    async stop() {
      checkpoints.stop();
      witnesses?.stop();
    },
    health() {
      // Every configured witness, with its key so a reader (the explorer) can verify its cosignatures.
      const cosigned = witnesses
        ? targets.map((t) => ({ url: t.url, cosigner_key: formatCosignerKey(t.key), ...(witnesses.status.get(t.url) ?? { size: null, error: null }) }))
        : undefined;
      return { origin, verifier_key: key.verifierKey, size: tree.size(), sequencer: checkpoints.sequencer.held, checkpoint: checkpoints.health(), ...(cosigned ? { witnesses: cosigned } : {}) };
    },
    routes(app) {
      logRoutes(app, { tree, checkpoints, linkIdByUuid, bindingLinkId, ...(witnesses ? { cosignatures: (size: number) => witnesses.lines(size) } : {}) });
    },
  };
}
