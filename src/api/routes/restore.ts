/** POST /v1/proof/restore_pubkey (protocol: subkeys and restore_pubkey): who signed this link? Pure logic in core/restore.ts. */
import type { FastifyInstance } from 'fastify';
import { MAX_PROOF_POST_LENGTH, restorePubkey, type RestoreRequest } from '../../core/index.js';
import type { ApiDeps } from '../deps.js';

const str = { type: 'string', maxLength: 256 } as const;
const schema = {
  body: {
    type: 'object',
    properties: {
      action: str, platform: str, identity: str, uuid: str, created_at: str, previous: str, signature: str,
      proof_post: { type: 'string', maxLength: MAX_PROOF_POST_LENGTH },
    },
  },
};

export function restoreRoutes(app: FastifyInstance, deps: ApiDeps): void {
  // One signature recovery per request, charged to the client's budget before it is done.
  app.post<{ Body: RestoreRequest }>('/v1/proof/restore_pubkey', { schema, config: { cost: { recoveries: 1 } } }, async (req) => ({
    public_key: restorePubkey(deps.verifier.backend, req.body),
  }));
}
