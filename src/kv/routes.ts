/**
 * The Next.ID KVService routes (SPEC §8), wire-compatible with kv-service.next.id plus our
 * `code` in every error, and GET /v1/kv/chain/:avatar (the KV chain document). Every body and
 * query field is attacker-controlled: each is type-checked here before the core sees it.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import {
  buildKvSignPayload, decodeSignature, fail, isRecord, kvAvatarField, kvChainDocumentString, parsePublicKey,
  ProofError, serdeJson, tryAvatarId, UUID_RE, verifyKvWrite, type AvatarKey, type KvJson, type KvWrite,
} from '../core/index.js';
import type { KvDeps } from './deps.js';
import { rowToKvWrite } from './kv-store.js';

type Q = { Querystring: Record<string, string | undefined> };

/** Longest accepted platform name and identity (bindings are far shorter; this bounds the index). */
const MAX_PLATFORM = 64;
const MAX_IDENTITY = 1024;
/** by_identity answers at most this many Avatars (upstream has no bound). */
const BY_IDENTITY_LIMIT = 1000;
// eslint-disable-next-line no-control-regex
const UNSIGNABLE = /[\u0000-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** `avatar` wins over `persona` (upstream's `avatar.or(persona)`). */
function avatarOf(o: Record<string, unknown>): AvatarKey {
  const raw = o['avatar'] ?? o['persona'];
  if (raw === undefined || raw === null || raw === '') fail('BAD_REQUEST', 'avatar (or persona) is required');
  return parsePublicKey(raw);
}

function text(o: Record<string, unknown>, key: string, max: number, code: 'BAD_REQUEST' | 'BAD_IDENTITY'): string {
  const v = o[key];
  if (typeof v !== 'string' || v === '') fail(code, `${key} must be a non-empty string`);
  if (v.length > max || UNSIGNABLE.test(v)) fail(code, `${key} is longer than ${max} or has control characters`);
  return v;
}

export interface KvSubject {
  avatar: AvatarKey;
  platform: string;
  identity: string;
  patch: KvJson;
}

/**
 * What POST /v1/kv/payload and POST /v1/kv both check: the Avatar, the namespace it may write
 * (its own `nextid` one, or one it holds a binding for in this daemon's index), a signable patch.
 */
export function kvSubject(deps: KvDeps, body: unknown): KvSubject {
  if (!isRecord(body)) fail('BAD_REQUEST', 'body must be a JSON object');
  const avatar = avatarOf(body);
  const platform = text(body, 'platform', MAX_PLATFORM, 'BAD_REQUEST');
  const identity = text(body, 'identity', MAX_IDENTITY, 'BAD_IDENTITY');
  if (!('patch' in body)) fail('BAD_PATCH', 'patch is required');
  const patch = body['patch'] as KvJson;
  serdeJson(patch); // BAD_PATCH for what cannot be signed portably
  if (platform === 'nextid') {
    if (tryAvatarId(identity) !== avatar.id) fail('BAD_IDENTITY', 'for platform nextid, identity must be the avatar\'s own key');
  } else {
    // Exact match, like upstream's check against the ProofService; is_valid is not consulted
    // (see docs/kv.md): the Avatar's own signed link is what grants the namespace.
    const row = deps.store.avatarRow(avatar.id);
    if (!row || !deps.store.read.binding(row.id, platform, identity)) {
      fail('NOT_BOUND', `avatar holds no ${platform.slice(0, 32)} binding for this identity in this proofkeep; bind it first (POST /v1/proof)`);
    }
  }
  return { avatar, platform, identity, patch };
}

function checkCreatedAt(deps: KvDeps, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail('BAD_CREATED_AT', 'created_at must be a JSON integer (unix seconds)');
  const now = Math.floor(deps.now() / 1000);
  if (v > now + deps.server.createdAtSkewSeconds) fail('BAD_CREATED_AT', 'created_at is in the future');
  const maxAge = deps.server.createdAtMaxAgeSeconds;
  if (maxAge > 0 && v < now - maxAge) fail('BAD_CREATED_AT', `created_at is older than ${maxAge}s; request a new payload`);
  return v;
}

/** GET /v1/kv's body: both keys 0x + uncompressed; proofs in first-write order. */
export function avatarView(deps: KvDeps, avatar: AvatarKey) {
  const row = deps.kv.avatarRow(avatar.id);
  const proofs = row
    ? deps.kv.contentsOf(row.id).map((c) => ({
        platform: c.platform,
        identity: c.identity,
        content: JSON.parse(c.content) as KvJson,
        arweave_id: deps.archiveTx?.(row.id, c.seq) ?? null,
      }))
    : [];
  return { persona: avatar.uncompressedHex, avatar: avatar.uncompressedHex, proofs };
}

/**
 * Verify with previous = the head as read now. A signature that fails there but verifies over
 * an older head (the head moved between payload and write: a race lost) is FORK, not forgery.
 */
function verifyAgainstHead(deps: KvDeps, avatar: AvatarKey, w: Omit<KvWrite, 'sign_payload'>): KvWrite {
  const backend = deps.backend;
  try {
    return verifyKvWrite(avatar, w, { backend });
  } catch (err) {
    const row = deps.kv.avatarRow(avatar.id);
    if (!(err instanceof ProofError) || err.code !== 'SIGNATURE_MISMATCH' || !row || row.write_count === 0) throw err;
    const older = deps.kv.writeBySeq(row.id, row.write_count - 1)?.previous;
    if (older === undefined) throw err;
    try {
      verifyKvWrite(avatar, { ...w, previous: older }, { backend });
    } catch {
      throw err;
    }
    throw new ProofError('FORK', 'the payload was signed against an older head of this KV chain; request a new payload');
  }
}

export function kvRoutes(app: FastifyInstance, deps: KvDeps): void {
  app.post('/v1/kv/payload', async (req) => {
    const s = kvSubject(deps, req.body);
    const row = deps.kv.avatarRow(s.avatar.id);
    const uuid = randomUUID();
    const createdAt = Math.floor(deps.now() / 1000);
    const signPayload = buildKvSignPayload({
      uuid, avatar: kvAvatarField(s.avatar), platform: s.platform, identity: s.identity, patch: s.patch,
      created_at: createdAt, previous: row?.head_signature ?? null,
    });
    return { uuid, sign_payload: signPayload, created_at: createdAt };
  });

  app.post('/v1/kv', { config: { write: true } }, async (req, reply) => {
    if (deps.readOnly) fail('READ_ONLY', 'this proofkeep is a read-only mirror');
    const s = kvSubject(deps, req.body);
    const body = req.body as Record<string, unknown>;
    const uuidRaw = body['uuid'];
    if (typeof uuidRaw !== 'string' || uuidRaw.length > 64) fail('BAD_UUID', 'uuid must be a string');
    // Upstream parses the uuid and signs its canonical (lowercase, hyphenated) form.
    const uuid = uuidRaw.toLowerCase();
    if (!UUID_RE.test(uuid)) fail('BAD_UUID', 'uuid must be a canonical UUID');
    const createdAt = checkCreatedAt(deps, body['created_at']);
    const signature = body['signature'];
    // Low-s only: the twin (r, n−s) of a signature seen in public verifies too and must not
    // take the honest write's place.
    if (decodeSignature(signature).highS) fail('BAD_SIGNATURE_ENCODING', 'signature has a high s value; send the low-s form (s ≤ n/2)');
    const row = deps.kv.avatarRow(s.avatar.id);
    // Cheap checks before recovery: replays are the common bad input (upstream answers 500).
    if (deps.kv.chainView(row).hasUuid(uuid)) fail('DUPLICATE_UUID', `uuid ${uuid} was already used by this avatar`);
    const write = verifyAgainstHead(deps, s.avatar, {
      previous: row?.head_signature ?? null, platform: s.platform, identity: s.identity, uuid, created_at: createdAt,
      patch: s.patch, signature: signature as string,
    });
    deps.kv.append(s.avatar, write); // re-checks the head inside its transaction; durable on return
    return reply.status(201).send(avatarView(deps, s.avatar));
  });

  app.get<Q>('/v1/kv', async (req) => {
    return avatarView(deps, avatarOf(req.query));
  });

  app.get<Q>('/v1/kv/by_identity', async (req) => {
    const { platform, identity } = req.query;
    if (!platform || !identity) fail('BAD_REQUEST', 'platform and identity are required');
    if (platform.length > MAX_PLATFORM || identity.length > MAX_IDENTITY) return { values: [] };
    const rows = deps.kv.byIdentity(platform, identity, BY_IDENTITY_LIMIT);
    return { values: rows.map((r) => ({ avatar: r.public_key, content: JSON.parse(r.content) as KvJson })) };
  });

  // The native KV change feed (mirrors follow it like /v1/proofchain/changes, whose shape is
  // Next.ID's and stays links-only): writes in acceptance order, each in document form.
  app.get<Q>('/v1/kv/changes', async (req) => {
    const lastRaw = req.query['last_id'] ?? '0';
    const countRaw = req.query['count'] ?? '20';
    if (!/^\d{1,15}$/.test(lastRaw)) fail('BAD_REQUEST', 'last_id must be a non-negative integer');
    if (!/^\d{1,4}$/.test(countRaw) || Number(countRaw) < 1 || Number(countRaw) > 100) fail('BAD_REQUEST', 'count must be 1 to 100');
    const rows = deps.kv.changes(Number(lastRaw), Number(countRaw));
    return {
      writes: rows.map((r) => ({ id: r.id, avatar: r.avatar, ...rowToKvWrite(r) })),
      latest: deps.kv.counts().writes,
    };
  });

  app.get<{ Params: { avatar: string } }>('/v1/kv/chain/:avatar', async (req, reply) => {
    const avatar = parsePublicKey(req.params.avatar);
    const row = deps.kv.avatarRow(avatar.id);
    if (!row) throw new ProofError('NOT_FOUND', `no KV chain for avatar ${avatar.id}`);
    const doc = kvChainDocumentString(row.public_key, deps.kv.writes(row.id));
    return reply.type('application/json; charset=utf-8').send(doc);
  });
}
