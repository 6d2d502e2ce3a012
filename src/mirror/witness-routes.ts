/**
 * The witness's HTTP face (mirror with mirror.upstreamVerifierKey set):
 * - POST /add-checkpoint — C2SP tlog-witness (body: old size, proof lines, blank, checkpoint).
 *   200: our cosignature line(s); 409 text/x.tlog.size: our latest size; 400/403/404/422 as the spec says.
 * - GET /v1/mirror/checkpoint — the latest cosigned upstream checkpoint with our cosignature.
 * - GET /v1/mirror/alarms — the kept evidence (both signed notes of each alarm).
 * - POST /v1/mirror/alarm/clear (Authorization: Bearer <server.adminToken>) — the operator's
 *   action after investigating: clears the standing alarm and resumes following; `{"reset":true}`
 *   also forgets the rebuilt tree and the cosigned state (re-witness from scratch).
 * Request bodies are attacker-controlled and bounded by bodyLimit.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { fail, ProofError } from '../core/index.js';
import type { Witness } from './witness.js';
import type { WitnessState } from './witness-state.js';

export interface WitnessRouteDeps {
  witness: Witness;
  state: WitnessState;
  adminToken: string;
  /** resume following after the alarm is cleared (and reload the tree after a reset) */
  resume(reset: boolean): Promise<void>;
}

const MAX_ADD_BODY = 64 * 1024;

function requireAdmin(token: string, header: string | undefined): void {
  if (token === '') throw new ProofError('UNAUTHORIZED', 'admin routes are disabled (server.adminToken is empty)');
  const digest = (s: string) => createHash('sha256').update(s).digest();
  if (!header?.startsWith('Bearer ') || !timingSafeEqual(digest(header.slice(7)), digest(token))) {
    throw new ProofError('UNAUTHORIZED', 'a valid admin bearer token is required');
  }
}

export function witnessRoutes(app: FastifyInstance, d: WitnessRouteDeps): void {
  app.register(async (scope) => {
    // The protocol's body is text whatever the client labels it.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: MAX_ADD_BODY }, (_req, body, done) => done(null, body));
    scope.post('/add-checkpoint', { bodyLimit: MAX_ADD_BODY }, async (req, reply) => {
      const body = typeof req.body === 'string' ? req.body : '';
      const r = d.witness.addRequest(body);
      if (r.status === 200) return reply.type('text/plain; charset=utf-8').send(r.body);
      if (r.status === 409 && r.size !== null) return reply.code(409).type('text/x.tlog.size').send(`${r.size}\n`);
      if (r.status === 409) return reply.code(409).send({ message: r.message, code: 'FORK' });
      return reply.code(r.status).send({ message: r.message, code: r.code });
    });
  });

  app.get('/v1/mirror/checkpoint', async (_req, reply) => {
    const note = d.witness.cosignedNote();
    if (!note) fail('NOT_FOUND', 'this witness has cosigned no checkpoint yet');
    return reply.type('text/plain; charset=utf-8').header('cache-control', 'no-cache, max-age=0').send(note);
  });

  app.get('/v1/mirror/alarms', async () => ({
    origin: d.witness.origin,
    alarms: d.state.alarms().map((a) => ({
      id: a.id, kind: a.kind, message: a.message, note_a: a.note_a, note_b: a.note_b,
      raised_at: Math.floor(a.raised_at / 1000), cleared_at: a.cleared_at === null ? null : Math.floor(a.cleared_at / 1000),
    })),
  }));

  app.post<{ Body: unknown }>('/v1/mirror/alarm/clear', async (req) => {
    requireAdmin(d.adminToken, req.headers.authorization);
    const body = req.body;
    const reset = typeof body === 'object' && body !== null && (body as Record<string, unknown>)['reset'] === true;
    if (typeof body === 'object' && body !== null && 'reset' in body && typeof (body as Record<string, unknown>)['reset'] !== 'boolean') {
      fail('BAD_REQUEST', 'reset must be a boolean');
    }
    const cleared = d.state.clear(d.witness.origin, reset);
    await d.resume(reset);
    return { cleared, reset };
  });
}
