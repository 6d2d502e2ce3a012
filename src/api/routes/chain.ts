/** Chain routes: /v1/proofchain (Next.ID), the changes feed, and the pinned chain document. */
import type { FastifyInstance } from 'fastify';
import { chainDocumentString, fail, parsePublicKey, ProofError, toProofchainItem, UUID_RE } from '../../core/index.js';
import { decodeEntry, type LogEntry } from '../../core/tlog/index.js';
import type { FeedRow } from '../../store/read.js';
import { rowToLink, type LinkRow } from '../../store/rows.js';
import type { ApiDeps } from '../deps.js';
import { pageParam, pagination, PER_PAGE } from '../paging.js';

type Q = { Querystring: Record<string, string | undefined> };

export function chainRoutes(app: FastifyInstance, deps: ApiDeps): void {
  // alt_id belongs to the link (what its proof was made by), not to today's binding: a later
  // delete or re-bind of the identity must not change an earlier link's item.
  const altIds = (rows: readonly LinkRow[]) => deps.store.read.altIdsOf(rows.map((r) => r.id));
  const item = (r: LinkRow, alt: Map<number, string>) =>
    toProofchainItem(rowToLink(r), alt.get(r.id) ?? '', deps.archiveInfo?.txIdForLink(r.avatar_id, r.seq) ?? '');

  app.get<Q>('/v1/proofchain', async (req) => {
    // `public_key`: the parameter's name before Next.ID renamed it (its SDK still sends it).
    const key = req.query['avatar'] || req.query['public_key'];
    if (!key) fail('BAD_REQUEST', 'avatar is required');
    const avatar = parsePublicKey(key, deps.verifier.backend);
    const page = pageParam(req.query['page']);
    const row = deps.store.avatarRow(avatar.id);
    if (!row) return { pagination: pagination(0, page), proof_chain: [] };
    const rows = deps.store.read.chainPage(row.id, (page - 1) * PER_PAGE, PER_PAGE);
    const alt = altIds(rows);
    return { pagination: pagination(row.link_count, page), proof_chain: rows.map((r) => item(r, alt)) };
  });

  app.get<Q>('/v1/proofchain/changes', async (req) => {
    const lastRaw = req.query['last_id'] ?? '0';
    const countRaw = req.query['count'] ?? '20';
    if (!/^\d{1,15}$/.test(lastRaw)) fail('BAD_REQUEST', 'last_id must be a non-negative integer');
    if (!/^\d{1,4}$/.test(countRaw) || Number(countRaw) < 1 || Number(countRaw) > 100) fail('BAD_REQUEST', 'count must be 1 to 100');
    // `prev` is an addition to the deployed shape: mirrors need it for legacy links.
    const linkItem = (id: number, r: FeedRow, alt: Map<number, string>) => ({ id, avatar: r.avatar, ...item(r, alt), prev: r.prev });
    if (!deps.tlog) {
      const rows = deps.store.read.changes(Number(lastRaw), Number(countRaw));
      const alt = altIds(rows);
      return { links: rows.map((r) => linkItem(r.id, r, alt)) };
    }
    // With the verifiable log the feed is the log: item id = log index + 1, so a mirror can
    // rebuild the tree. Links keep their shape (plus kind); other entries are their entry fields.
    const page = deps.tlog.feed(Number(lastRaw), Number(countRaw));
    const rows = new Map(deps.store.read.linksByIds(page.filter((e) => e.kind === 'link').map((e) => e.refId!)).map((r) => [r.id, r]));
    const alt = altIds([...rows.values()]);
    return {
      links: page.map((e) => {
        if (e.kind === 'link') return { ...linkItem(e.id, rows.get(e.refId!)!, alt), kind: 'link' };
        const { v: _v, ...fields } = decodeEntry(e.entry) as LogEntry & { v?: number };
        return { id: e.id, ...fields };
      }),
    };
  });

  // Native: which Avatars' chains hold a link with this uuid (the explorer's search by uuid).
  app.get<Q>('/v1/links/by_uuid', async (req) => {
    const uuid = (req.query['uuid'] ?? '').toLowerCase();
    if (!UUID_RE.test(uuid)) fail('BAD_UUID', 'uuid must be a canonical UUID');
    return {
      links: deps.store.read.linksByUuid(uuid, 100).map((r) => ({
        avatar: r.avatar, seq: r.seq, action: r.action, platform: r.platform, identity: r.identity, created_at: r.created_at, uuid: r.uuid,
      })),
    };
  });

  app.get<{ Params: { avatar: string } }>('/v1/chain/:avatar', async (req, reply) => {
    const avatar = parsePublicKey(req.params.avatar, deps.verifier.backend);
    const row = deps.store.avatarRow(avatar.id);
    if (!row) throw new ProofError('NOT_FOUND', `no chain for avatar ${avatar.id}`);
    const doc = chainDocumentString(row.public_key, deps.store.read.chainLinks(row.id));
    return reply.type('application/json; charset=utf-8').send(doc);
  });
}
