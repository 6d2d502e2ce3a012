import type { FastifyReply } from 'fastify';

/**
 * A signal that fires when the client goes away before its reply was sent. (IncomingMessage's
 * own 'close' fires as soon as the body is read, so it cannot be used for this.)
 */
export function clientGone(reply: FastifyReply): AbortSignal {
  const ac = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) ac.abort(new Error('client disconnected'));
  });
  return ac.signal;
}
