/**
 * Minds: an activity (proof_location = its guid) read from
 * `/api/v2/entities/?urns=urn:activity:{id}`; the owner must be the bound username (and the
 * learnt owner guid), the message carries a line `Sig: …`.
 */
import { isRecord } from '../../core/index.js';
import type { CheckersConfig } from '../config.js';
import { jsonBody } from '../http.js';
import { checkTextPost, evidence } from '../proof.js';
import { PermanentFailure, TransientFailure, type Checker } from '../types.js';

const GUID = /^\d{1,24}$/;

export function mindsChecker(cfg: CheckersConfig['platforms']['minds']): Checker {
  const base = cfg.baseUrl.replace(/\/+$/, '');
  return {
    platform: 'minds',
    ready: cfg.enabled,
    validate(t) {
      if (!t.link.proof_location || !GUID.test(t.link.proof_location)) throw new PermanentFailure('BAD_PROOF_LOCATION', 'a minds proof_location is the activity guid (digits)');
    },
    async check(t, ctx) {
      const id = t.link.proof_location!;
      const url = `${base}/api/v2/entities/?urns=urn%3Aactivity%3A${id}&as_activities=0&export_user_counts=false`;
      const res = await ctx.http.request(url, { signal: ctx.signal, priority: ctx.priority });
      if (res.status === 404) throw new PermanentFailure('POST_NOT_FOUND', `minds activity ${id} not found`, evidence(url, null, ctx.now()));
      const body = jsonBody(res, 'minds');
      if (res.status !== 200 || !isRecord(body) || body['status'] !== 'success') throw new TransientFailure('BAD_RESPONSE', `minds answered HTTP ${res.status}`);
      const entities = Array.isArray(body['entities']) ? body['entities'].filter(isRecord) : [];
      const entity = entities.find((e) => String(e['guid']) === id) ?? entities[0];
      if (!entity) throw new PermanentFailure('POST_NOT_FOUND', `minds activity ${id} not found`, evidence(url, null, ctx.now()));
      const message = typeof entity['message'] === 'string' ? entity['message'] : '';
      const ev = evidence(url, message, ctx.now());
      const owner = isRecord(entity['ownerObj']) ? entity['ownerObj'] : {};
      const username = typeof owner['username'] === 'string' ? owner['username'] : '';
      const ownerGuid = owner['guid'] === undefined ? '' : String(owner['guid']);
      if (username.toLowerCase() !== t.link.identity) throw new PermanentFailure('AUTHOR_MISMATCH', `activity ${id} is by @${username.slice(0, 64)}, not @${t.link.identity}`, ev);
      return checkTextPost(t, ctx.backend, { text: message, label: 'Sig', accountId: ownerGuid, what: `activity ${id}` }, ev);
    },
  };
}
