/** Next.ID-compatible proof routes: payload, submit, query, exists. */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  buildSignPayload, fail, isWalletPlatform, normalizeIdentity, parsePublicKey, ProofError, tryAvatarId,
} from '../../core/index.js';
import type { ProofItemRow } from '../../store/read.js';
import { clientGone } from '../abort.js';
import type { ApiDeps } from '../deps.js';
import { proofSubject, submitProof, type ProofBody } from '../ingest.js';
import { pageParam, pagination, PER_PAGE } from '../paging.js';
import { postContent } from '../templates.js';

const str = { type: 'string', maxLength: 2048 } as const;
const payloadSchema = {
  body: {
    type: 'object',
    required: ['action', 'platform', 'identity', 'public_key'],
    properties: { action: str, platform: str, identity: str, public_key: str, extra: { type: 'object' } },
  },
};
const proofSchema = {
  body: {
    type: 'object',
    // `extra` may be absent: Next.ID's SDK sends none for post-based platforms (see ingest.ts).
    required: ['action', 'platform', 'identity', 'public_key', 'uuid', 'created_at'],
    properties: {
      action: str, platform: str, identity: str, public_key: str, proof_location: str, uuid: str,
      created_at: { anyOf: [{ type: 'string', maxLength: 20 }, { type: 'integer' }] },
      extra: { type: 'object', properties: { signature: str, wallet_signature: str } },
    },
  },
};

/** Normalize a queried identity like a signed one, but never fail: a query just finds nothing. */
function queryIdentity(platform: string | undefined, identity: string): string {
  if (!platform) return identity;
  try {
    return normalizeIdentity(platform, identity, false);
  } catch {
    return identity;
  }
}

function proofItem(b: ProofItemRow) {
  return {
    platform: b.platform,
    identity: b.identity,
    alt_id: b.alt_id,
    created_at: String(b.created_at),
    last_checked_at: String(b.last_checked_at ?? 0),
    is_valid: b.is_valid === 1,
    invalid_reason: b.invalid_reason,
    invalid_code: b.invalid_code,
    status: b.status,
  };
}

/** One recovery for the Avatar's signature, one more for a wallet signature (charged before either is checked). */
const submitCost = { recoveries: (req: FastifyRequest) => ((req.body as ProofBody | undefined)?.extra?.wallet_signature ? 2 : 1) };

export function proofRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.post<{ Body: ProofBody }>('/v1/proof/payload', { schema: payloadSchema }, async (req) => {
    const b = req.body;
    const { action, avatar, identity, head: prev } = proofSubject(deps, b);
    const uuid = randomUUID();
    const createdAt = String(Math.floor(Date.now() / 1000));
    const signPayload = buildSignPayload({
      action, created_at: createdAt, identity, platform: b.platform, prev, uuid,
      ...(isWalletPlatform(b.platform) ? { persona: avatar.id } : {}),
    });
    return {
      post_content: postContent({ platform: b.platform, identity, avatar: avatar.id, signPayload, uuid, createdAt, prev }),
      sign_payload: signPayload,
      uuid,
      created_at: createdAt,
    };
  });

  // oneLink: the API's metrics count this answer as the link's fate (accepted or rejected by code)
  app.post<{ Body: ProofBody }>('/v1/proof', { schema: proofSchema, config: { write: true, oneLink: true, cost: submitCost } }, async (req, reply) => {
    const { linkId } = await submitProof(deps, req.body, clientGone(reply));
    // The body stays Next.ID's `{}`; the receipt (log index) travels in a header, and the
    // inclusion proof is at GET /v1/log/receipt once a checkpoint covers it.
    const index = deps.tlog?.receiptIndex(linkId);
    if (index !== undefined) reply.header('x-proofkeep-log-index', String(index));
    return reply.status(201).send({});
  });

  app.get<{ Querystring: Record<string, string | undefined> }>('/v1/proof', async (req) => {
    const q = req.query;
    const identities = (q['identity'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (identities.length === 0) fail('BAD_REQUEST', 'identity is required');
    if (identities.length > 50 || identities.some((s) => s.length > 256)) fail('BAD_REQUEST', 'too many or too long identities');
    const platform = q['platform'] || undefined;
    const page = pageParam(q['page']);
    const sort = q['sort'] ?? 'activated_at';
    if (!['activated_at', 'created_at'].includes(sort)) fail('BAD_REQUEST', 'sort must be activated_at or created_at');
    const order = (q['order'] ?? 'desc').toLowerCase();
    if (order !== 'asc' && order !== 'desc') fail('BAD_REQUEST', 'order must be asc or desc');
    const exact = q['exact'] === 'true' || q['exact'] === '1';
    const offset = (page - 1) * PER_PAGE;
    const found =
      platform === 'nextid'
        ? deps.store.read.avatarsByKeys(identities.map((k) => tryAvatarId(k)).filter((k): k is string => k !== null), offset, PER_PAGE, order)
        : deps.store.read.queryAvatars({
            identities: identities.map((i) => queryIdentity(platform, i)), platform, exact, offset, limit: PER_PAGE, order,
          });
    const seen: number[] = [];
    const ids = found.avatars.map((a) => {
      const bindings = deps.store.read.proofItems(a.id);
      for (const b of bindings) seen.push(b.id);
      return {
        avatar: a.avatar,
        persona: a.avatar,
        last_arweave_id: deps.archiveInfo?.lastTxId(a.id) ?? '',
        activated_at: String(a.activated_at),
        proofs: bindings.map(proofItem),
      };
    });
    if (seen.length) deps.proofsRead?.(seen);
    return { pagination: pagination(found.total, page), ids };
  });

  app.get<{ Querystring: Record<string, string | undefined> }>('/v1/proof/exists', async (req) => {
    const { platform, identity, public_key: publicKey } = req.query;
    if (!platform || !identity || !publicKey) fail('BAD_REQUEST', 'platform, identity and public_key are required');
    const avatar = parsePublicKey(publicKey, deps.verifier.backend);
    const row = deps.store.avatarRow(avatar.id);
    const b = row ? deps.store.read.binding(row.id, platform, queryIdentity(platform, identity)) : undefined;
    if (!b) throw new ProofError('NOT_FOUND', 'no such binding');
    return {
      created_at: String(b.created_at),
      last_checked_at: String(b.last_checked_at ?? 0),
      is_valid: b.is_valid === 1,
      invalid_reason: b.invalid_reason,
    };
  });
}
