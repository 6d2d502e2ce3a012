/**
 * Witnessing on the health view, checked in the browser with the project's own tlog core.
 * - A mirror that witnesses its upstream's log (/healthz mirror.witness): its latest cosigned
 *   checkpoint (/v1/mirror/checkpoint, both signatures verified here), how far it rebuilt the
 *   log, and any alarm in plain words with its evidence (/v1/mirror/alarms: signed notes of
 *   the log that cannot all be true, each note's signature verified here).
 * - An origin with witnesses (/healthz tlog.witnesses): which of them cosigned its latest
 *   checkpoint (/checkpoint), each cosignature verified here with that witness's key.
 * The keys come from the same server, so this shows the server's notes are self-consistent and
 * signed; a reader who wants more compares keys out of band. Notes and messages carry
 * upstream-controlled text: shown as text only.
 */
import { openCheckpoint, parseCosignerKey, parseNote, parseVerifierKey, toBase64, verifyCosignatures, type Checkpoint } from '../../core/tlog/index.js';
import { explainAlarm } from '../../explorer/states.js';
import { getJson, getText } from './api.js';
import { card, h, linkOrText, short, type Child } from './dom.js';
import { timeEl } from './time.js';

type J = Record<string, unknown>;
const isObj = (v: unknown): v is J => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string => (typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v));

interface AlarmJson { id: number; kind: string; message: string; note_a: string | null; note_b: string; raised_at: number; cleared_at: number | null }

/** A signed checkpoint of `origin` checked against `vkey`: its size and root, or why not. */
function openNoteWith(note: string, origin: string, vkey: string): { ok: true; cp: Checkpoint } | { ok: false; why: string } {
  try {
    return { ok: true, cp: openCheckpoint(note, origin, [parseVerifierKey(vkey)]).checkpoint };
  } catch (err) {
    return { ok: false, why: (err as Error).message };
  }
}

function noteBlock(label: string, note: string | null, origin: string, vkey: string, key: string): HTMLElement {
  if (note === null) return h('p', { class: 'hint' }, `${label}: none (the witness had cosigned nothing before).`);
  const r = openNoteWith(note, origin, vkey);
  return h('div', { class: 'note', 'data-note-check': r.ok ? 'ok' : 'failed' },
    h('p', null, h('strong', null, `${label}: `),
      r.ok ? [h('span', { class: 'badge good' }, '✓ signed by the log'), ` size ${r.cp.size}, root `, h('span', { class: 'mono wrap' }, toBase64(r.cp.root)), ' (signature checked in your browser).']
        : [h('span', { class: 'badge bad' }, '✗ not verified'), ` ${r.why}`]),
    h('details', { 'data-keep': key }, h('summary', null, 'The signed note, as received'),
      h('pre', { class: 'post', tabindex: 0, 'aria-label': `${label}, signed note text` }, note)));
}

function evidenceList(alarms: AlarmJson[], origin: string, vkey: string): HTMLElement {
  return h('section', { id: 'witness-evidence', class: 'evidence-list', 'aria-labelledby': 'h-witness-evidence' },
    h('h3', { id: 'h-witness-evidence' }, 'Evidence kept by the witness'),
    h('p', { class: 'hint' }, 'Each alarm keeps the log’s signed checkpoints that cannot all be true. Anyone can re-check them with the log’s verifier key.'),
    alarms.slice(0, 10).map((a) => {
      const x = explainAlarm(str(a.kind));
      return h('article', { class: `alarm ${a.cleared_at === null ? 'bad' : 'neutral'}`, 'data-alarm-id': str(a.id), 'data-kind': str(a.kind) },
        h('h4', null, `Alarm ${str(a.id)}: ${x.label} `, h('span', { class: `badge ${a.cleared_at === null ? 'bad' : 'neutral'}` }, a.cleared_at === null ? 'standing' : 'cleared')),
        h('p', null, x.meaning),
        h('p', { class: 'reason' }, 'The witness noted: ', h('q', null, str(a.message))),
        h('dl', { class: 'kv' }, h('dt', null, 'raised'), h('dd', null, timeEl(num(a.raised_at))),
          h('dt', null, 'cleared'), h('dd', null, timeEl(num(a.cleared_at), 'not yet: the operator has not acted'))),
        noteBlock('Checkpoint cosigned before', typeof a.note_a === 'string' ? a.note_a : null, origin, vkey, `a${str(a.id)}`),
        noteBlock('Checkpoint that raised the alarm', str(a.note_b), origin, vkey, `b${str(a.id)}`));
    }));
}

/** The mirror's witness card; null when this daemon witnesses nothing. */
export async function witnessCard(w: unknown, signal: AbortSignal): Promise<HTMLElement | null> {
  if (!isObj(w)) return null;
  const origin = str(w['origin']);
  const vkey = str(w['upstream_verifier_key']);
  const cosigned = isObj(w['cosigned']) ? w['cosigned'] : null;
  const alarm = isObj(w['alarm']) ? w['alarm'] : null;
  const [cpRes, alarmsRes] = await Promise.all([
    cosigned ? getText('/v1/mirror/checkpoint', signal) : Promise.resolve(null),
    getJson<{ alarms?: AlarmJson[] }>('/v1/mirror/alarms', signal),
  ]);
  const parts: Child[] = [];
  if (alarm) {
    const x = explainAlarm(str(alarm['kind']));
    parts.push(h('div', { class: 'banner bad', role: 'alert', 'data-alarm': str(alarm['kind']) },
      h('strong', null, `Inconsistency alarm (${x.label}). `), x.meaning, ' Raised ', timeEl(num(alarm['raised_at'])), '. ',
      'This mirror stopped following the log and cosigns nothing until its operator investigates and clears the alarm. ',
      h('a', { href: '#witness-evidence' }, 'See the evidence'), ' (also as JSON: ', linkOrText(str(w['evidence']) || '/v1/mirror/alarms'), ').'));
  }
  const rebuilt = num(w['rebuilt_size']);
  const upstreamSize = num(w['upstream_size']);
  parts.push(h('dl', { class: 'kv' },
    h('dt', null, 'log witnessed'), h('dd', { class: 'mono wrap' }, origin),
    h('dt', null, 'cosigned size'), h('dd', { 'data-field': 'cosigned-size' }, cosigned ? str(cosigned['size']) : 'nothing cosigned yet'),
    cosigned ? [h('dt', null, 'cosigned root'), h('dd', { class: 'mono wrap' }, str(cosigned['root'])),
      h('dt', null, 'cosigned'), h('dd', null, timeEl(num(cosigned['cosigned_at'])))] : null,
    h('dt', null, 'rebuilt here'), h('dd', null, `${rebuilt ?? '—'} of the ${upstreamSize ?? '?'} entries the log’s latest checkpoint covers`),
    h('dt', null, 'last check'), h('dd', null, timeEl(num(w['last_check_at']), 'not yet')),
    h('dt', null, 'last error'), h('dd', null, str(w['last_error']) || 'none'),
    h('dt', null, 'cosigner key'), h('dd', { class: 'mono wrap' }, str(w['cosigner_key'])),
    h('dt', null, 'log verifier key'), h('dd', { class: 'mono wrap' }, vkey)));
  if (cpRes) parts.push(checkCosigned(cpRes, origin, vkey, str(w['cosigner_key']), cosigned));
  if (alarmsRes.kind === 'ok' && Array.isArray(alarmsRes.body.alarms) && alarmsRes.body.alarms.length > 0) parts.push(evidenceList(alarmsRes.body.alarms, origin, vkey));
  else if (alarmsRes.kind === 'error') parts.push(h('p', { class: 'banner warn' }, `The evidence could not be loaded (${alarmsRes.code}: ${alarmsRes.message}).`));
  const state = alarm ? 'bad' : w['last_error'] || !cosigned ? 'warn' : 'good';
  const summary: Child = alarm
    ? ['The log ', h('span', { class: 'mono' }, origin), ' is inconsistent: this witness holds signed evidence against it.']
    : cosigned
      ? ['Witnessing the log ', h('span', { class: 'mono' }, origin), `: its checkpoint of size ${str(cosigned['size'])} was cosigned `, timeEl(num(cosigned['cosigned_at'])), ', and every checkpoint seen so far is consistent with the ones before.']
      : ['Witnessing the log ', h('span', { class: 'mono' }, origin), ': no checkpoint cosigned yet.'];
  return card('Witness', state, summary, h('div', null, parts), true);
}

function checkCosigned(res: Awaited<ReturnType<typeof getText>>, origin: string, vkey: string, cosignerKey: string, cosigned: J | null): HTMLElement {
  if (res.kind !== 'ok') return h('p', { class: 'banner warn', 'data-witness-checkpoint': 'missing' }, `The cosigned checkpoint could not be loaded (${res.kind === 'error' ? `${res.code}: ${res.message}` : 'no route'}).`);
  const r = openNoteWith(res.body, origin, vkey);
  let times: number[] = [];
  let why = r.ok ? '' : r.why;
  if (r.ok) {
    try {
      times = verifyCosignatures(res.body, parseCosignerKey(cosignerKey)).timestamps;
      if (times.length === 0) why = 'it carries no cosignature of this witness';
      else if (cosigned && (r.cp.size !== cosigned['size'] || toBase64(r.cp.root) !== cosigned['root'])) why = 'it is not the checkpoint /healthz reports as cosigned';
    } catch (err) {
      why = (err as Error).message;
    }
  }
  return why
    ? h('p', { class: 'banner bad', role: 'alert', 'data-witness-checkpoint': 'failed' }, `The cosigned checkpoint failed its check in your browser: ${why}.`)
    : h('p', { class: 'banner good', 'data-witness-checkpoint': 'ok' }, `Checked in your browser: /v1/mirror/checkpoint (size ${r.ok ? r.cp.size : '?'}) is signed by the log’s key and cosigned by this witness `, timeEl(times[0]), '.');
}

/** On an origin: the witnesses that cosigned its latest checkpoint, each line verified here. */
export async function originWitnesses(t: J, signal: AbortSignal): Promise<HTMLElement> {
  const configured = Array.isArray(t['witnesses']) ? (t['witnesses'] as unknown[]).filter(isObj) : [];
  if (configured.length === 0) return h('p', { class: 'hint', 'data-witnesses': 'none' }, 'No witness is configured: nobody independent checks that this log shows everyone the same history.');
  const res = await getText('/checkpoint', signal);
  const opened = res.kind === 'ok' ? openNoteWith(res.body, str(t['origin']), str(t['verifier_key'])) : null;
  const names = new Set<string>();
  const rows = configured.map((wt) => {
    let result: Child;
    let state = 'warn';
    try {
      const key = parseCosignerKey(str(wt['cosigner_key']));
      names.add(key.name);
      const ts = res.kind === 'ok' && opened?.ok ? verifyCosignatures(res.body, key).timestamps : [];
      if (ts.length > 0) {
        state = 'good';
        result = ['✓ cosigned ', timeEl(ts[0]), ' (verified in your browser)'];
      } else result = `has not cosigned it${wt['size'] !== null && wt['size'] !== undefined ? ` (its last cosigned size: ${str(wt['size'])})` : ''}`;
    } catch (err) {
      state = 'bad';
      result = `✗ ${(err as Error).message}`;
    }
    return h('tr', { 'data-witness-state': state },
      h('td', null, linkOrText(str(wt['url']))), h('td', null, short(str(wt['cosigner_key']), 24, 6)),
      h('td', null, h('span', { class: `badge ${state}` }, state === 'good' ? 'cosigned' : state === 'bad' ? 'failed' : 'pending'), ' ', result),
      h('td', null, str(wt['error']) || '—'));
  });
  let others: string[] = [];
  if (res.kind === 'ok') {
    try {
      others = parseNote(res.body).signatures.map((s) => s.name).filter((n) => n !== str(t['origin']) && !names.has(n));
    } catch {
      /* reported by opened */
    }
  }
  return h('div', null,
    res.kind !== 'ok' ? h('p', { class: 'banner warn' }, 'The latest checkpoint (/checkpoint) could not be loaded.')
      : opened && !opened.ok ? h('p', { class: 'banner bad', role: 'alert' }, `The latest checkpoint failed its check in your browser: ${opened.why}.`)
        : h('p', null, `Witnesses of the latest checkpoint (size ${opened?.ok ? opened.cp.size : '?'}), each cosignature checked in your browser with that witness’s key:`),
    h('table', { 'data-witnesses': 'configured' }, h('caption', null, 'Witnesses configured on this log'),
      h('thead', null, h('tr', null, ['witness', 'key', 'latest checkpoint', 'last error'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', null, rows)),
    others.length ? h('p', { class: 'hint' }, `Also signed by keys this server does not list (not checked): ${others.join(', ')}.`) : null);
}
