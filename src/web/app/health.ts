/**
 * Operator view: /healthz rendered per component and refreshed live (every few seconds while the
 * tab is visible). Values come from the server: shown as text. Parts this page does not know
 * (added by newer components) are listed generically rather than hidden.
 */
import { getJson } from './api.js';
import { card, clear, h, short, type Child } from './dom.js';
import { timeEl } from './time.js';
import { originWitnesses, witnessCard } from './witness-view.js';

type J = Record<string, unknown>;
const REFRESH_MS = 5000;
const KNOWN = new Set(['hello', 'platforms', 'version', 'read_only', 'started_at', 'crypto', 'store', 'archive', 'checkers', 'mirror', 'explorer', 'log', 'tlog', 'metrics', 'subkeys', 'kv']);

const isObj = (v: unknown): v is J => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string =>
  typeof v === 'string' ? v : v === null || v === undefined ? '—' : Array.isArray(v) ? (v.length ? v.map(text).join(', ') : 'none') : JSON.stringify(v);

function kv(obj: J, keys?: string[]): HTMLElement {
  const entries = (keys ?? Object.keys(obj)).filter((k) => k in obj);
  return h('dl', { class: 'kv' }, entries.map((k) => [h('dt', null, k.replace(/_/g, ' ')), h('dd', null, isObj(obj[k]) ? kv(obj[k] as J) : text(obj[k]))]));
}

async function archiveCard(a: unknown): Promise<HTMLElement> {
  if (!isObj(a) || a['enabled'] === false) return card('Archive', 'neutral', 'Archiving (IPFS, Arweave) is turned off on this server.');
  const depth = Number(a['queue_depth'] ?? 0);
  const state = a['error'] ? 'bad' : depth > 100 ? 'warn' : 'good';
  return card('Archive', state, a['error'] ? `Archive error: ${text(a['error'])}` : `${depth} job${depth === 1 ? '' : 's'} in the archive queue.`, kv(a));
}

function checkersCard(c: unknown): HTMLElement {
  if (!isObj(c)) return card('Checkers', 'neutral', 'No checker information.');
  const ready = Array.isArray(c['ready']) ? (c['ready'] as unknown[]).map(String) : [];
  const inFlight = isObj(c['in_flight']) ? (c['in_flight'] as J) : {};
  const on = c['scheduler'] === true;
  const platforms = [...new Set([...ready, ...Object.keys(inFlight)])].sort();
  const totals = ['checks', 'valid', 'invalid', 'transient'].filter((k) => typeof c[k] === 'number').map((k) => `${c[k]} ${k}`).join(', ');
  return card('Checkers', on ? 'good' : 'neutral',
    on ? `Re-checking proof posts on ${ready.length ? ready.join(', ') : 'no platform'}.` : 'Scheduled re-checks are off on this server.',
    h('div', null,
      platforms.length ? h('table', { 'data-checkers': 'platforms' }, h('caption', null, 'Per platform'),
        h('thead', null, h('tr', null, ['platform', 'checker', 'in flight'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, platforms.map((p) => h('tr', { 'data-platform': p },
          h('td', null, p), h('td', null, ready.includes(p) ? 'ready' : 'not configured'), h('td', null, text(inFlight[p] ?? 0))))))
        : h('p', { class: 'hint' }, 'No platform checker is configured.'),
      totals ? h('p', null, `Since start: ${totals}.`) : null));
}

async function mirrorCard(m: unknown, signal: AbortSignal): Promise<HTMLElement | null> {
  if (!isObj(m) || m['upstream'] === undefined) return null;
  const faults = Number(m['faults'] ?? 0);
  const lag = typeof m['lag_seconds'] === 'number' ? (m['lag_seconds'] as number) : null;
  const alarm = isObj(m['witness']) && isObj((m['witness'] as J)['alarm']);
  // A daemon standing by (another daemon on the same database follows the upstream) is not
  // behind: it serves what the follower commits.
  const standby = m['following'] === false && !alarm;
  const state = alarm ? 'bad' : faults > 0 || (m['caught_up'] === false && !standby) || m['last_error'] ? 'warn' : 'good';
  const behind = typeof m['behind'] === 'number' ? ` by ${m['behind']} link${m['behind'] === 1 ? '' : 's'}` : '';
  const summary: Child[] = [
    `Mirroring ${text(m['upstream'])}: `,
    alarm ? 'following stopped, because the witness raised an alarm about the upstream’s log (below)'
      : standby ? 'standing by (another daemon on this database follows the upstream; this one serves what it stores)'
      : m['caught_up'] === true ? 'caught up' : `behind${behind}${lag !== null ? `, last caught up ${lag} s ago` : ', not caught up since it started'}`,
    `; ${faults} quarantined link${faults === 1 ? '' : 's'}.`,
  ];
  const dl = (pairs: Array<[string, Child]>) => h('dl', { class: 'kv' }, pairs.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
  const details: Child[] = [dl([
    // the cursor first: it moves with every page the mirror takes (the live test watches it)
    ['cursor', text(m['cursor'])],
    ['caught up', m['caught_up'] === true ? 'yes' : 'no'],
    ['behind', m['behind'] === null || m['behind'] === undefined ? 'unknown (the upstream does not tell)' : text(m['behind'])],
    ['lag', lag === null ? 'unknown' : lag === 0 ? 'none' : `${lag} s`],
    ['last sync', timeEl(Number(m['last_sync_at']), 'not yet')],
    ['consecutive failures', text(m['consecutive_failures'])],
    ['last error', m['last_error'] ? text(m['last_error']) : 'none'],
    ['next retry', timeEl(Number(m['next_retry_at']), 'none scheduled')],
    ['quarantined links', String(faults)],
  ])];
  if (isObj(m['kv'])) details.push(h('p', null, 'Key-value feed: '), kv(m['kv'] as J));
  if (faults > 0) {
    const res = await getJson<{ faults: Array<{ avatar: string; uuid: string; code: string; message: string; quarantined_at: number }> }>('/v1/mirror/faults?count=20', signal);
    if (res.kind === 'ok') {
      details.push(h('table', null, h('caption', null, `Quarantined links (the upstream sent them; they failed verification here)${faults > res.body.faults.length ? `: the first ${res.body.faults.length} of ${faults}` : ''}`),
        h('thead', null, h('tr', null, ['avatar', 'uuid', 'reason', 'when'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', null, res.body.faults.map((f) => h('tr', { 'data-code': f.code },
          h('td', null, short(String(f.avatar), 8, 4)), h('td', null, short(String(f.uuid), 8, 4)),
          h('td', null, `${f.code}: ${f.message}`), h('td', null, timeEl(f.quarantined_at)))))));
    } else details.push(h('p', { class: 'banner warn' }, `The quarantined links could not be loaded (${res.kind === 'error' ? `${res.code}: ${res.message}` : 'no route'}).`));
  }
  return card('Mirror', state, summary, h('div', null, details), true);
}

async function logCard(t: J, signal: AbortSignal): Promise<HTMLElement> {
  const c = isObj(t['checkpoint']) ? (t['checkpoint'] as J) : null;
  const err = c?.['error'];
  return card('Log', err ? 'warn' : 'good',
    [`Verifiable log ${text(t['origin'])}: ${text(t['size'])} entries`, c ? `, last checkpoint at size ${text(c['size'])} signed ` : ', no checkpoint signed yet', c ? timeEl(Number(c['signed_at'])) : '', err ? ` (checkpoint error: ${text(err)})` : '', '.'],
    h('div', null, h('dl', { class: 'kv' }, h('dt', null, 'verifier key'), h('dd', { class: 'mono wrap' }, text(t['verifier_key']))),
      await originWitnesses(t, signal)), true);
}

export async function renderHealth(view: HTMLElement, signal: AbortSignal): Promise<void> {
  const status = h('p', { class: 'hint', 'aria-live': 'off' }, 'Loading…');
  const body = h('div', { class: 'cards' });
  clear(view, h('h1', { tabindex: -1 }, 'Server health'), status, body);
  const tick = async () => {
    const res = await getJson<J>('/healthz', signal);
    if (signal.aborted) return;
    if (res.kind !== 'ok') {
      status.textContent = `Health could not be loaded (${res.kind === 'error' ? `${res.code}: ${res.message}` : 'no /healthz'}); retrying.`;
    } else {
      const j = res.body;
      const cards: Array<HTMLElement | null> = [
        card('Server', 'good', [`proofkeep ${text(j['version'])}`, j['read_only'] === true ? ', read-only mirror' : '', j['started_at'] ? ', up since ' : '', j['started_at'] ? timeEl(Number(j['started_at'])) : ''],
          kv(j, ['platforms', 'crypto', 'store'])),
        await archiveCard(j['archive']),
        checkersCard(j['checkers']),
        await mirrorCard(j['mirror'], signal),
        await witnessCard(isObj(j['mirror']) ? (j['mirror'] as J)['witness'] : undefined, signal),
        isObj(j['tlog']) ? await logCard(j['tlog'] as J, signal) : null,
        ...Object.keys(j).filter((k) => !KNOWN.has(k) && isObj(j[k])).map((k) => card(k, 'neutral', '', kv(j[k] as J))),
      ];
      if (signal.aborted) return;
      // A reader's open <details> (a signed note) stays open across refreshes.
      const open = new Set([...body.querySelectorAll('details[data-keep][open]')].map((d) => d.getAttribute('data-keep')));
      clear(body, cards.filter((c): c is HTMLElement => c !== null));
      for (const d of body.querySelectorAll('details[data-keep]')) if (open.has(d.getAttribute('data-keep'))) (d as HTMLDetailsElement).open = true;
      status.replaceChildren('Refreshed live every few seconds; last update ', timeEl(Math.floor(Date.now() / 1000)), '.');
    }
    if (!signal.aborted) setTimeout(() => void tick(), document.hidden ? REFRESH_MS * 4 : REFRESH_MS);
  };
  await tick();
}
