/**
 * Sections whose routes come from parts that a server may not have (KV, subkeys, the log): each
 * asks its route and says plainly when this server does not offer it. KV content is
 * attacker-controlled JSON: shown as preformatted text, never as markup.
 */
import { getJson, qs } from './api.js';
import { h, short, type Child } from './dom.js';
import { timeEl } from './time.js';

interface SubkeyJson {
  subkeys: Array<{ avatar: string; algorithm: string; public_key: string; name: string; rp_id: string; created_at: number }>;
}

const absent = (what: string) => h('p', { class: 'hint', 'data-absent': 'true' }, `${what} not available on this server.`);
const failed = (what: string, r: { code: string; message: string }) => h('p', { class: 'banner warn' }, `${what} could not be loaded (${r.code}: ${r.message}).`);

export { kvSection } from './kv-view.js';

export async function subkeySection(id: string, signal: AbortSignal): Promise<HTMLElement> {
  const res = await getJson<SubkeyJson>(`/v1/subkey?${qs({ avatar: id })}`, signal);
  const body: Child[] = [h('h2', { id: 'h-subkeys' }, 'Subkeys')];
  if (res.kind === 'absent') body.push(absent('Subkeys are'));
  else if (res.kind === 'error') body.push(failed('Subkeys', res));
  else if (!Array.isArray(res.body.subkeys) || res.body.subkeys.length === 0) body.push(h('p', null, 'No subkeys.'));
  else {
    body.push(h('p', { class: 'hint' }, 'As this server reports them: GET /v1/subkey does not carry the Avatar’s signatures, so this page cannot re-check them.'));
    body.push(h('table', null, h('caption', null, 'Keys this Avatar authorized for a relying party'),
      h('thead', null, h('tr', null, ['name', 'relying party', 'algorithm', 'key', 'added'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', null, res.body.subkeys.map((s) => h('tr', null,
        h('td', null, String(s.name)), h('td', null, String(s.rp_id)), h('td', null, String(s.algorithm)),
        h('td', null, short(String(s.public_key), 12, 6)), h('td', null, timeEl(Number(s.created_at))))))));
  }
  return h('section', { 'aria-labelledby': 'h-subkeys' }, body);
}

export { logSection } from './log-view.js';
