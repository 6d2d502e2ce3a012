/**
 * Search: an Avatar key in any spelling opens that Avatar; a uuid finds the links that carry it;
 * anything else is an identity (optionally on one platform). The query is attacker-chosen text
 * (it may come from a shared link): it is only ever URL-encoded and shown as text.
 */
import { tryAvatarId, UUID_RE } from '../../core/index.js';
import { getJson, qs, type ProofQueryJson, type UuidLookupJson } from './api.js';
import { describe } from './avatar.js';
import { clear, h, short } from './dom.js';
import { explainBinding } from '../../explorer/states.js';
import { local, timeEl } from './time.js';

export type SearchTarget = { kind: 'avatar'; id: string } | { kind: 'uuid'; uuid: string } | { kind: 'identity'; identity: string; platform: string };

export function classify(q: string, platform: string): SearchTarget {
  const t = q.trim();
  if (platform === '' || platform === 'nextid') {
    const id = tryAvatarId(t);
    if (id) return { kind: 'avatar', id };
  }
  if (platform === '' && UUID_RE.test(t.toLowerCase())) return { kind: 'uuid', uuid: t.toLowerCase() };
  return { kind: 'identity', identity: t, platform };
}

export const avatarPath = (id: string) => `/avatar/${encodeURIComponent(id)}`;

export async function renderSearch(view: HTMLElement, q: string, platform: string, signal: AbortSignal): Promise<string | null> {
  const target = classify(q, platform);
  if (target.kind === 'avatar') return avatarPath(target.id);
  clear(view, h('h1', { tabindex: -1 }, 'Search results'), h('p', { 'aria-busy': 'true' }, 'Searching…'));
  if (target.kind === 'uuid') {
    const res = await getJson<UuidLookupJson>(`/v1/links/by_uuid?${qs({ uuid: target.uuid })}`, signal);
    if (signal.aborted) return null;
    if (res.kind !== 'ok') {
      clear(view, h('h1', { tabindex: -1 }, 'Search results'), h('p', { class: 'banner warn' }, `The uuid lookup failed: ${describe(res)}.`));
      return null;
    }
    if (res.body.links.length === 1) return `${avatarPath(res.body.links[0]!.avatar)}#link-${res.body.links[0]!.seq}`;
    clear(view, h('h1', { tabindex: -1 }, 'Search results'),
      h('p', null, res.body.links.length === 0 ? `No link has the uuid ${target.uuid}.` : `${res.body.links.length} links carry the uuid ${target.uuid}:`),
      h('ul', { class: 'results' }, res.body.links.map((l) => h('li', null,
        h('a', { href: avatarPath(l.avatar), 'data-nav': '' }, short(l.avatar, 12, 6)), ` link #${l.seq}: ${l.action} `,
        h('span', { class: 'platform' }, l.platform), ' ', h('span', { class: 'identity' }, l.identity), ' ', timeEl(l.created_at)))));
    return null;
  }
  if (target.identity === '') {
    clear(view, h('h1', { tabindex: -1 }, 'Search'), h('p', null, 'Type an identity, an Avatar key or a uuid.'));
    return null;
  }
  const params: Record<string, string> = { identity: target.identity };
  if (target.platform) params['platform'] = target.platform;
  const res = await getJson<ProofQueryJson>(`/v1/proof?${qs(params)}`, signal);
  if (signal.aborted) return null;
  if (res.kind !== 'ok') {
    clear(view, h('h1', { tabindex: -1 }, 'Search results'), h('p', { class: 'banner warn', role: 'alert' }, `The search failed: ${describe(res)}.`));
    return null;
  }
  const ids = res.body.ids;
  clear(view, h('h1', { tabindex: -1 }, 'Search results'),
    h('p', null, ids.length === 0
      ? ['No Avatar has bound ', h('q', null, target.identity), target.platform ? ` on ${target.platform}` : '', '.']
      : [`${res.body.pagination.total} Avatar${res.body.pagination.total === 1 ? '' : 's'} bound to `, h('q', null, target.identity), target.platform ? ` on ${target.platform}` : '', ':']),
    h('ul', { class: 'results' }, ids.map((a) => h('li', null,
      h('a', { href: avatarPath(a.avatar), 'data-nav': '' }, h('span', { class: 'mono' }, a.avatar)),
      h('ul', null, a.proofs.map((b) => {
        const x = explainBinding(b, local);
        return h('li', null, h('span', { class: 'platform' }, b.platform), ' ', h('span', { class: 'identity' }, b.identity), ' ', h('span', { class: `badge ${x.tone}` }, x.label));
      }))))));
  return null;
}
