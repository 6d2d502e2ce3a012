/**
 * An AbortSignal for "the client went away before we answered". Not `req.raw` 'close': an
 * IncomingMessage emits 'close' as soon as its body has been read, so work that awaits anything
 * after that (the verify pool, a proof check) would be aborted on every request.
 */
import type { FastifyReply } from 'fastify';

export function clientGone(reply: FastifyReply): AbortSignal {
  const ac = new AbortController();
  const res = reply.raw;
  res.once('close', () => {
    if (!res.writableFinished) ac.abort(new Error('client closed the connection'));
  });
  return ac.signal;
}
