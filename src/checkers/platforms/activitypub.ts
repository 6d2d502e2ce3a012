/**
 * ActivityPub (Mastodon, Pleroma/Akkoma, Misskey and forks), identity `user@host`. The host
 * comes from the identity, so it is attacker-controlled: it must resolve to public addresses
 * only (ssrf.ts), every connection is pinned to the checked address, the nodeinfo document may
 * only point back at the same origin, and the post must be by the *local* account `user` of
 * that host (a Mastodon server also serves copies of remote users' posts).
 */
import { isRecord, PLATFORM_RULES } from '../../core/index.js';
import type { CheckersConfig } from '../config.js';
import { jsonBody } from '../http.js';
import { checkTextPost, evidence, htmlToText } from '../proof.js';
import { pinnedAgent, resolvePublic, systemResolver, type Resolver } from '../ssrf.js';
import { PermanentFailure, TransientFailure, type Checker, type CheckContext } from '../types.js';

const NOTE_ID = /^[A-Za-z0-9_-]{1,64}$/;
const NODEINFO_REL = /^https?:\/\/nodeinfo\.diaspora\.software\/ns\/schema\/2\.[01]$/;
const MASTODON_LIKE = new Set(['mastodon', 'pleroma', 'akkoma', 'hometown', 'glitchcafe']);
const MISSKEY_LIKE = new Set(['misskey', 'calckey', 'firefish', 'sharkey', 'foundkey', 'iceshrimp', 'cherrypick']);

export function splitActivitypubIdentity(identity: string): { user: string; host: string } | null {
  const id = identity.startsWith('@') ? identity.slice(1) : identity;
  if (!PLATFORM_RULES['activitypub']!.pattern.test(id)) return null;
  const at = id.indexOf('@');
  return { user: id.slice(0, at), host: id.slice(at + 1).toLowerCase() };
}

export function activitypubChecker(cfg: CheckersConfig['platforms']['activitypub'], resolver: Resolver = systemResolver, timeoutMs = 10_000): Checker {
  return {
    platform: 'activitypub',
    ready: cfg.enabled,
    validate(t) {
      if (!splitActivitypubIdentity(t.link.identity)) throw new PermanentFailure('BAD_IDENTITY', 'an activitypub identity is user@host');
      if (!t.link.proof_location || !NOTE_ID.test(t.link.proof_location)) throw new PermanentFailure('BAD_PROOF_LOCATION', 'an activitypub proof_location is the note/status id');
    },
    async check(t, ctx) {
      const { user, host } = splitActivitypubIdentity(t.link.identity)!;
      const noteId = t.link.proof_location!;
      const gate = ctx.http.gatedFor(host);
      if (gate > 0) throw new TransientFailure('RATE_LIMITED', `${host} asked us to wait`, gate);
      const addr = await resolvePublic(host, { resolver, allowLoopback: cfg.allowLoopback, timeoutMs });
      const agent = pinnedAgent(host, addr, timeoutMs);
      try {
        const origin = `${cfg.scheme}://${host}${cfg.port ? `:${cfg.port}` : ''}`;
        const get = (url: string, init: { method?: 'POST'; body?: string } = {}) =>
          ctx.http.request(url, {
            signal: ctx.signal,
            dispatcher: agent,
            gateKey: host,
            priority: ctx.priority,
            method: init.method ?? 'GET',
            body: init.body,
            headers: { accept: 'application/json', ...(init.body ? { 'content-type': 'application/json' } : {}) },
          });
        const software = await detectSoftware(origin, host, get);
        if (MASTODON_LIKE.has(software)) return await mastodon(origin, noteId, user, host, get, t, ctx);
        if (MISSKEY_LIKE.has(software)) return await misskey(origin, noteId, user, host, get, t, ctx);
        throw new PermanentFailure('UNSUPPORTED_SERVER', `${host} runs "${software.slice(0, 40)}", not Mastodon, Pleroma or Misskey`);
      } finally {
        void agent.close();
      }
    },
  };
}

type Get = (url: string, init?: { method?: 'POST'; body?: string }) => ReturnType<CheckContext['http']['request']>;

async function detectSoftware(origin: string, host: string, get: Get): Promise<string> {
  const res = await get(`${origin}/.well-known/nodeinfo`);
  if (res.status === 404 || res.status === 410) throw new PermanentFailure('UNSUPPORTED_SERVER', `${host} serves no nodeinfo`);
  const body = jsonBody(res, 'activitypub');
  if (res.status !== 200 || !isRecord(body) || !Array.isArray(body['links'])) throw new TransientFailure('BAD_RESPONSE', `${host} nodeinfo answered HTTP ${res.status}`);
  const link = body['links'].filter(isRecord).find((l) => typeof l['rel'] === 'string' && NODEINFO_REL.test(l['rel']));
  const href = link && typeof link['href'] === 'string' ? link['href'] : null;
  if (href === null) throw new PermanentFailure('UNSUPPORTED_SERVER', `${host} nodeinfo has no schema 2.0/2.1 link`);
  let u: URL;
  try {
    u = new URL(href);
  } catch {
    throw new PermanentFailure('UNSUPPORTED_SERVER', `${host} nodeinfo link is not a URL`);
  }
  // Attacker-controlled: only the same origin may be contacted.
  if (u.origin !== origin) throw new PermanentFailure('HOST_FORBIDDEN', `${host} nodeinfo points at another origin (${u.origin.slice(0, 80)})`);
  const info = await get(u.toString());
  const doc = jsonBody(info, 'activitypub');
  if (info.status !== 200 || !isRecord(doc) || !isRecord(doc['software'])) throw new TransientFailure('BAD_RESPONSE', `${host} nodeinfo 2.x answered HTTP ${info.status}`);
  return String(doc['software']['name'] ?? '').toLowerCase();
}

async function mastodon(origin: string, noteId: string, user: string, host: string, get: Get, t: Parameters<Checker['check']>[0], ctx: CheckContext) {
  const url = `${origin}/api/v1/statuses/${noteId}`;
  const res = await get(url);
  if (res.status === 404 || res.status === 410) throw new PermanentFailure('POST_NOT_FOUND', `status ${noteId} not found on ${host}`, evidence(url, null, ctx.now()));
  if (res.status === 401 || res.status === 403) throw new PermanentFailure('POST_INACCESSIBLE', `status ${noteId} on ${host} is not public`, evidence(url, null, ctx.now()));
  const body = jsonBody(res, 'activitypub');
  if (res.status !== 200 || !isRecord(body)) throw new TransientFailure('BAD_RESPONSE', `${host} answered HTTP ${res.status}`);
  const account = isRecord(body['account']) ? body['account'] : {};
  const text = htmlToText(typeof body['content'] === 'string' ? body['content'] : '');
  const ev = evidence(url, text, ctx.now());
  const acct = typeof account['acct'] === 'string' ? account['acct'] : '';
  const username = typeof account['username'] === 'string' ? account['username'] : '';
  if (acct.includes('@')) throw new PermanentFailure('AUTHOR_MISMATCH', `status ${noteId} is a copy of remote account @${acct.slice(0, 80)}, not @${user}@${host}`, ev);
  if (username.toLowerCase() !== user.toLowerCase()) throw new PermanentFailure('AUTHOR_MISMATCH', `status ${noteId} is by @${username.slice(0, 64)}@${host}, not @${user}@${host}`, ev);
  return finish(t, ctx, text, typeof account['id'] === 'string' ? account['id'] : '', ev);
}

async function misskey(origin: string, noteId: string, user: string, host: string, get: Get, t: Parameters<Checker['check']>[0], ctx: CheckContext) {
  const url = `${origin}/api/notes/show`;
  const res = await get(url, { method: 'POST', body: JSON.stringify({ noteId }) });
  const body = jsonBody(res, 'activitypub');
  const errCode = isRecord(body) && isRecord(body['error']) ? String(body['error']['code'] ?? '') : '';
  if (res.status === 404 || errCode === 'NO_SUCH_NOTE') throw new PermanentFailure('POST_NOT_FOUND', `note ${noteId} not found on ${host}`, evidence(url, null, ctx.now()));
  if (res.status !== 200 || !isRecord(body)) throw new TransientFailure('BAD_RESPONSE', `${host} answered HTTP ${res.status}${errCode ? ` (${errCode})` : ''}`);
  const u = isRecord(body['user']) ? body['user'] : {};
  const text = typeof body['text'] === 'string' ? body['text'] : '';
  const ev = evidence(`${url}#${noteId}`, text, ctx.now());
  const username = typeof u['username'] === 'string' ? u['username'] : '';
  if (u['host'] !== null && u['host'] !== undefined) throw new PermanentFailure('AUTHOR_MISMATCH', `note ${noteId} is by remote user @${username.slice(0, 64)}@${String(u['host']).slice(0, 80)}`, ev);
  if (username.toLowerCase() !== user.toLowerCase()) throw new PermanentFailure('AUTHOR_MISMATCH', `note ${noteId} is by @${username.slice(0, 64)}@${host}, not @${user}@${host}`, ev);
  return finish(t, ctx, text, typeof u['id'] === 'string' ? u['id'] : '', ev);
}

function finish(t: Parameters<Checker['check']>[0], ctx: CheckContext, text: string, accountId: string, ev: ReturnType<typeof evidence>) {
  return checkTextPost(t, ctx.backend, { text, label: 'Signature', accountId, what: 'the post' }, ev);
}
