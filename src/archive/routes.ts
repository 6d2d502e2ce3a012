/**
 * GET /v1/chain/:avatar/archive — an Avatar's archived versions, newest last: link count,
 * head uuid, CID, Arweave tx (+ Previous-Tx), IPFS / Kubo / pinning service / Arweave statuses and times, plus
 * what is still pending; GET /v1/kv/chain/:avatar/archive the same for the KV chain.
 * `:avatar` is attacker-controlled: any key spelling, else 400.
 */
import type { FastifyInstance } from 'fastify';
import { parsePublicKey, ProofError } from '../core/index.js';
import type { KvStore } from '../kv/kv-store.js';
import type { Reader } from '../store/read.js';
import type { OutboxStore, VersionRow } from './outbox-store.js';
import type { RemotePinRow } from './remote-pins.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * The version's pinning service request: `disabled` without a service; `pending` before the run
 * asked; then requesting | queued | pinning | pinned | failed (asked again) | unpinned.
 */
function remoteJson(r: RemotePinRow | undefined, enabled: boolean): Record<string, unknown> {
  return {
    pinning_service_status: r ? r.status : enabled ? 'pending' : 'disabled',
    pinning_service_request_id: r?.request_id ?? '',
    pinning_service_attempts: r?.attempts ?? 0,
    pinning_service_error: r?.last_error ?? '',
    pinning_service_pinned_at: iso(r?.pinned_at ?? null),
  };
}

export function versionJson(v: VersionRow, remote?: { row: RemotePinRow | undefined; enabled: boolean }): Record<string, unknown> {
  return {
    links: v.link_count,
    head_uuid: v.head_uuid,
    cid: v.cid,
    size: v.size,
    arweave_tx: v.tx_id ?? '',
    previous_tx: v.previous_tx ?? '',
    ipfs_status: v.ipfs_status,
    kubo_status: v.kubo_status,
    arweave_status: v.arweave_status,
    ...remoteJson(remote?.row, remote?.enabled ?? false),
    confirmations: v.confirmations,
    block_height: v.block_height,
    reposts: v.reposts,
    last_error: v.last_error,
    created_at: iso(v.created_at),
    ipfs_pinned_at: iso(v.ipfs_pinned_at),
    arweave_signed_at: iso(v.arweave_signed_at),
    arweave_posted_at: iso(v.arweave_posted_at),
    arweave_confirmed_at: iso(v.arweave_confirmed_at),
  };
}

function archiveView(outbox: OutboxStore, row: { id: number; avatar: string }, count: Record<string, number>, pinningService: boolean) {
  const pending = outbox.pendingOf(row.id);
  const remote = outbox.remotePins.ofAvatar(row.id);
  return {
    avatar: row.avatar,
    ...count,
    versions: outbox.versionsOf(row.id).map((v) => versionJson(v, { row: remote.get(v.id), enabled: pinningService })),
    pending: {
      jobs: pending.jobs,
      attempts: pending.attempts,
      next_attempt_at: pending.jobs ? iso(pending.next_attempt_at) : null,
      last_error: pending.last_error,
    },
  };
}

export function archiveRoutes(
  app: FastifyInstance,
  read: Pick<Reader, 'avatarByKey'>,
  outbox: OutboxStore,
  kv?: { store: Pick<KvStore, 'avatarRow'>; outbox: OutboxStore },
  pinningService = false,
): void {
  app.get<{ Params: { avatar: string } }>('/v1/chain/:avatar/archive', async (req) => {
    const avatar = parsePublicKey(req.params.avatar);
    const row = read.avatarByKey(avatar.id);
    if (!row) throw new ProofError('NOT_FOUND', `no chain for avatar ${avatar.id}`);
    return archiveView(outbox, row, { link_count: row.link_count }, pinningService);
  });
  if (!kv) return;
  // The KV chain's versions; `links` in each version counts its KV writes.
  app.get<{ Params: { avatar: string } }>('/v1/kv/chain/:avatar/archive', async (req) => {
    const avatar = parsePublicKey(req.params.avatar);
    const row = kv.store.avatarRow(avatar.id);
    if (!row) throw new ProofError('NOT_FOUND', `no KV chain for avatar ${avatar.id}`);
    return archiveView(kv.outbox, row, { write_count: row.write_count }, pinningService);
  });
}
