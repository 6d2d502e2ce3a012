/**
 * GitHub: a public gist (proof_location = gist id) owned by the bound login, holding the file
 * `0x{compressed avatar}.json` whose `sign_payload` is this link's payload (the deployed
 * service did not compare it, which let an old gist be replayed) and whose signature verifies.
 */
import { isRecord } from '../../core/index.js';
import type { CheckersConfig } from '../config.js';
import { jsonBody } from '../http.js';
import { checkJsonProofFile, evidence } from '../proof.js';
import { PermanentFailure, TransientFailure, type Checker } from '../types.js';

const GIST_ID = /^[0-9a-f]{1,64}$/i;

export function githubChecker(cfg: CheckersConfig['platforms']['github']): Checker {
  const base = cfg.baseUrl.replace(/\/+$/, '');
  return {
    platform: 'github',
    // A token is optional: without one GitHub allows 60 requests per hour (set the limit accordingly).
    ready: cfg.enabled,
    validate(t) {
      if (!t.link.proof_location || !GIST_ID.test(t.link.proof_location)) {
        throw new PermanentFailure('BAD_PROOF_LOCATION', 'a github proof_location is a gist id (hex)');
      }
    },
    async check(t, ctx) {
      const id = t.link.proof_location!;
      const url = `${base}/gists/${id}`;
      const headers: Record<string, string> = { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' };
      if (cfg.token !== '') headers['authorization'] = `Bearer ${cfg.token}`;
      const res = await ctx.http.request(url, { signal: ctx.signal, headers, priority: ctx.priority });
      const notFound = evidence(url, null, ctx.now());
      if (res.status === 404) throw new PermanentFailure('POST_NOT_FOUND', `gist ${id} not found`, notFound);
      if (res.status === 401) throw new TransientFailure('AUTH_ERROR', 'github rejected our token (HTTP 401)');
      if (res.status === 403) throw new TransientFailure('UPSTREAM_ERROR', 'github answered HTTP 403');
      const body = jsonBody(res, 'github');
      if (res.status !== 200 || !isRecord(body)) throw new TransientFailure('BAD_RESPONSE', `github answered HTTP ${res.status}`);
      const owner = isRecord(body['owner']) ? body['owner'] : null;
      const login = owner && typeof owner['login'] === 'string' ? owner['login'] : null;
      const ownerId = owner && (typeof owner['id'] === 'number' || typeof owner['id'] === 'string') ? String(owner['id']) : '';
      const fileName = `${t.avatar.id}.json`;
      const files = isRecord(body['files']) ? body['files'] : {};
      const file = Object.prototype.hasOwnProperty.call(files, fileName) && isRecord(files[fileName]) ? (files[fileName] as Record<string, unknown>) : null;
      const content = file && typeof file['content'] === 'string' ? file['content'] : null;
      const ev = evidence(url, content, ctx.now());
      if (login === null) throw new PermanentFailure('AUTHOR_MISMATCH', `gist ${id} has no owner (anonymous gist)`, ev);
      if (login.toLowerCase() !== t.link.identity) throw new PermanentFailure('AUTHOR_MISMATCH', `gist ${id} belongs to ${login}, not ${t.link.identity}`, ev);
      if (t.altId && ownerId !== '' && t.altId !== ownerId) {
        throw new PermanentFailure('AUTHOR_MISMATCH', `login ${login} is now account ${ownerId}, the binding was made by account ${t.altId}`, ev);
      }
      if (content === null || content === '') throw new PermanentFailure('SIGNATURE_MISSING', `gist ${id} has no file ${fileName}`, ev);
      if (file?.['truncated'] === true) throw new PermanentFailure('PROOF_MALFORMED', `${fileName} is too large`, ev);
      const signature = checkJsonProofFile(t, content, 'github_username', ctx.backend, ev);
      return { altId: ownerId || undefined, evidence: ev, signature };
    },
  };
}
