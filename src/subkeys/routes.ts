/**
 * Next.ID's subkey routes (SPEC §9): POST /v1/subkey/payload, POST /v1/subkey, GET /v1/subkey.
 * Shapes and statuses as upstream (200 with {sign_payload} after a write); every bad input is a
 * 4xx with a code and writes nothing. Bodies are attacker-controlled.
 */
import type { FastifyInstance } from 'fastify';
import {
  buildSubkeyPayload, canonicalSubkey, checkSubkeyName, fail, parseAlgorithm, parsePublicKey,
  parseSubkeyRequest, verifySubkeySignature, type RecoveryBackend,
} from '../core/index.js';
import type { SubkeyRow, SubkeyStore } from './store.js';

export interface SubkeyRouteDeps {
  subkeys: SubkeyStore;
  backend: RecoveryBackend;
  /** a read-only mirror refuses writes */
  readOnly: () => boolean;
  /** unix seconds */
  now: () => number;
}

const str = { type: 'string', maxLength: 512 } as const;
const fields = { avatar: str, algorithm: str, public_key: str, rp_id: str } as const;
const payloadSchema = { body: { type: 'object', properties: fields } };
const submitSchema = { body: { type: 'object', properties: { ...fields, name: str, signature: str } } };

/** Upstream's item, plus (additions) the exact signed payload and signature: anyone can re-verify it. */
export function subkeyItem(r: SubkeyRow) {
  return {
    avatar: r.avatar, algorithm: r.algorithm, public_key: r.public_key, name: r.name, rp_id: r.rp_id, created_at: r.created_at,
    sign_payload: r.sign_payload, signature: r.signature,
  };
}

export function subkeyRoutes(app: FastifyInstance, deps: SubkeyRouteDeps): void {
  app.post<{ Body: Record<string, unknown> }>('/v1/subkey/payload', { schema: payloadSchema }, async (req) => {
    return { sign_payload: buildSubkeyPayload(parseSubkeyRequest(req.body)) };
  });

  app.post<{ Body: Record<string, unknown> }>('/v1/subkey', { schema: submitSchema, config: { write: true, cost: { recoveries: 1 } } }, async (req) => {
    if (deps.readOnly()) fail('READ_ONLY', 'this proofkeep is a read-only mirror');
    const r = parseSubkeyRequest(req.body);
    const name = checkSubkeyName(req.body['name']);
    const payload = buildSubkeyPayload(r);
    if (req.body['signature'] === undefined || req.body['signature'] === '') fail('BAD_SIGNATURE_ENCODING', 'signature is required');
    const signature = verifySubkeySignature(deps.backend, r.avatar, payload, req.body['signature']);
    deps.subkeys.insert({
      avatar: r.avatar.id, algorithm: r.algorithm, public_key: r.canonicalKey, rp_id: r.rpId, name,
      sign_payload: payload, signature, created_at: deps.now(),
    });
    return { sign_payload: payload };
  });

  // Native: every record in acceptance order, for mirrors (like /v1/proofchain/changes for links).
  app.get<{ Querystring: Record<string, string | undefined> }>('/v1/subkey/changes', async (req) => {
    const last = req.query['last_id'] ?? '0';
    const count = req.query['count'] ?? '100';
    if (!/^\d{1,15}$/.test(last)) fail('BAD_REQUEST', 'last_id must be a non-negative integer');
    if (!/^\d{1,4}$/.test(count) || Number(count) < 1 || Number(count) > 100) fail('BAD_REQUEST', 'count must be 1 to 100');
    return { subkeys: deps.subkeys.after(Number(last), Number(count)).map((r) => ({ id: r.id, ...subkeyItem(r) })) };
  });

  app.get<{ Querystring: Record<string, string | undefined> }>('/v1/subkey', async (req) => {
    const q = req.query;
    if (q['avatar']) return { subkeys: deps.subkeys.byAvatar(parsePublicKey(q['avatar']).id).map(subkeyItem) };
    if (!q['public_key']) fail('BAD_REQUEST', 'avatar, or algorithm and public_key, are required');
    const algorithm = parseAlgorithm(q['algorithm']);
    return { subkeys: deps.subkeys.byKey(algorithm, canonicalSubkey(algorithm, q['public_key'])).map(subkeyItem) };
  });
}
