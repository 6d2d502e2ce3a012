/**
 * What Next.ID's own clients rely on beyond paths and shapes (issue: existing clients work
 * unchanged):
 * - Bodies are JSON whatever their content type. Next.ID's SDK sends `JSON.stringify(…)` with no
 *   content type, which fetch labels `text/plain;charset=UTF-8`, and Next.ID's servers (gin's
 *   BindJSON) parse any body as JSON. The same parser, limits and prototype-poisoning guard as
 *   application/json apply.
 * - CORS open to every origin, like upstream (gin-contrib/cors Default): browser apps and
 *   extensions call the API directly. No credentials are involved (no cookies; the admin token
 *   is a bearer header a browser never adds by itself), so `*` is safe; server.cors turns it off.
 */
import type { FastifyInstance } from 'fastify';

export function jsonWhateverTheContentType(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, parse);
  // '*' is also what fastify uses for a body without any content-type header.
  app.addContentTypeParser('*', { parseAs: 'string' }, parse);
}

const ALLOW_METHODS = 'GET, POST, OPTIONS';
const DEFAULT_ALLOW_HEADERS = 'Origin, Content-Length, Content-Type, Authorization';
const MAX_AGE_SECONDS = '43200';

export function openCors(app: FastifyInstance): void {
  // onSend: every reply, errors and 404s included, carries the header.
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('access-control-allow-origin', '*');
    return payload;
  });
  // Preflight for every path. The requested headers are echoed (capped): the SDK's own
  // `accept-type` header, for one, is not a CORS-safelisted name.
  app.options('*', { config: { write: false } }, async (req, reply) => {
    const asked = req.headers['access-control-request-headers'];
    const headers = typeof asked === 'string' && /^[A-Za-z0-9\-_, ]{1,512}$/.test(asked) ? asked : DEFAULT_ALLOW_HEADERS;
    return reply
      .status(204)
      .header('access-control-allow-methods', ALLOW_METHODS)
      .header('access-control-allow-headers', headers)
      .header('access-control-max-age', MAX_AGE_SECONDS)
      .header('vary', 'Access-Control-Request-Headers')
      .send();
  });
}
