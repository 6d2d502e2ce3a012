/**
 * HTTP routes of the checkers:
 * - GET /v1/proof/evidence?platform=&identity=&public_key= — a binding's state and the last
 *   fetched proof (URL, text, time), so anyone can verify the post themselves.
 * - POST /v1/admin/recheck (Authorization: Bearer <server.adminToken>) — body
 *   {platform, identity, public_key}: re-check that binding now and answer its new state;
 *   body {platform}: make every binding of the platform due now (rate limits still apply).
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { fail, normalizeIdentity, parsePublicKey, ProofError } from '../core/index.js';
import type { BindingRow } from '../store/bindings.js';
import type { Reader } from '../store/read.js';
import type { CheckStore } from './check-store.js';
import type { CheckRunner } from './runner.js';
import type { Scheduler } from './scheduler.js';
import { CheckCancelled } from './types.js';

export interface RouteDeps {
  read: Pick<Reader, 'binding' | 'avatarByKey'>;
  checks: CheckStore;
  runner: CheckRunner;
  scheduler: Scheduler;
  adminToken: string;
  now(): number;
}

function findBinding(deps: RouteDeps, q: Record<string, unknown>): { binding: BindingRow; avatar: string } {
  const { platform, identity, public_key: publicKey } = q;
  if (typeof platform !== 'string' || typeof identity !== 'string' || typeof publicKey !== 'string' || !platform || !identity || !publicKey) {
    fail('BAD_REQUEST', 'platform, identity and public_key are required');
  }
  const avatar = parsePublicKey(publicKey);
  let id = identity;
  try {
    id = normalizeIdentity(platform, identity, false);
  } catch {
    /* a query just finds nothing */
  }
  const row = deps.read.avatarByKey(avatar.id);
  const binding = row ? deps.read.binding(row.id, platform, id) : undefined;
  if (!binding) throw new ProofError('NOT_FOUND', 'no such binding');
  return { binding, avatar: avatar.id };
}

function view(deps: RouteDeps, binding: BindingRow, avatar: string) {
  const sched = deps.checks.scheduleOf(binding.id);
  const ev = deps.checks.evidenceOf(binding.id);
  return {
    avatar,
    platform: binding.platform,
    identity: binding.identity,
    alt_id: binding.alt_id,
    proof_location: binding.proof_location ?? '',
    status: binding.status,
    is_valid: binding.is_valid === 1,
    invalid_code: binding.invalid_code,
    invalid_reason: binding.invalid_reason,
    last_checked_at: String(binding.last_checked_at ?? 0),
    next_check_at: String(sched ? Math.max(sched.next_check_at, 0) : 0),
    consecutive_failures: sched?.transient_streak ?? 0,
    last_error_code: sched?.last_error_code ?? '',
    last_error: sched?.last_error ?? '',
    evidence: ev ? { url: ev.url, text: ev.text, fetched_at: String(ev.fetched_at), outcome: ev.outcome } : null,
  };
}

/** Fires when the client goes away before the reply was sent (same rule as the API's; no part imports the API). */
function clientGone(reply: FastifyReply): AbortSignal {
  const ac = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) ac.abort(new Error('client disconnected'));
  });
  return ac.signal;
}

function requireAdmin(deps: RouteDeps, req: FastifyRequest): void {
  if (deps.adminToken === '') throw new ProofError('UNAUTHORIZED', 'admin routes are disabled (server.adminToken is empty)');
  const h = req.headers.authorization ?? '';
  const given = Buffer.from(h.startsWith('Bearer ') ? h.slice(7) : '');
  const want = Buffer.from(deps.adminToken);
  if (given.length !== want.length || !timingSafeEqual(given, want)) throw new ProofError('UNAUTHORIZED', 'a valid admin bearer token is required');
}

export function checkerRoutes(app: FastifyInstance, deps: RouteDeps): void {
  app.get<{ Querystring: Record<string, string | undefined> }>('/v1/proof/evidence', async (req) => {
    const { binding, avatar } = findBinding(deps, req.query);
    return view(deps, binding, avatar);
  });

  app.post<{ Body: Record<string, unknown> }>('/v1/admin/recheck', async (req, reply) => {
    requireAdmin(deps, req);
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (typeof body['platform'] !== 'string' || body['platform'] === '') fail('BAD_REQUEST', 'platform is required');
    const platform = body['platform'];
    if (!deps.runner.checkers.has(platform)) fail('UNKNOWN_PLATFORM', `no checker for platform "${platform.slice(0, 40)}"`);
    if (body['identity'] === undefined && body['public_key'] === undefined) {
      const queued = deps.checks.queuePlatform(platform, deps.now());
      deps.scheduler.kick();
      return reply.status(202).send({ platform, queued });
    }
    const { binding, avatar } = findBinding(deps, body);
    const due = deps.checks.load(binding.id);
    if (!due) throw new ProofError('NOT_FOUND', 'no such binding');
    let result;
    try {
      result = await deps.runner.run(due.target, { signal: clientGone(reply), priority: 5 });
    } catch (err) {
      if (err instanceof CheckCancelled) throw new ProofError('UNAVAILABLE', 'request cancelled', { cause: err });
      throw err;
    }
    if (!(result.kind === 'transient' && result.code === 'DISABLED')) deps.checks.apply(due, result, deps.now(), deps.scheduler.policy);
    const fresh = deps.read.binding(binding.avatar_id, binding.platform, binding.identity);
    return {
      result: result.kind === 'transient' ? { kind: 'transient', code: result.code, reason: result.reason } : { kind: result.kind, ...(result.kind === 'invalid' ? { code: result.code, reason: result.reason } : {}) },
      binding: fresh ? view(deps, fresh, avatar) : null,
    };
  });
}
