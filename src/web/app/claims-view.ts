/**
 * The binding states the server shows, held against what it signed into its log: for each
 * current binding the page asks which validity entries the log has (/v1/log/binding), takes the
 * last one the signed checkpoint covers, fetches it with its inclusion proof (/v1/log/inclusion),
 * checks the proof up to the checkpoint's root and the entry's fields here, and compares the
 * logged outcome with the state shown above. A server that shows "valid" for a binding its own
 * log says was downgraded is caught. Entries and answers are attacker-controlled.
 */
import { isWalletPlatform } from '../../core/index.js';
import { decodeEntry, fromBase64, leafHash, verifyInclusion, type Checkpoint } from '../../core/tlog/index.js';
import { getJson, qs, type BindingJson } from './api.js';
import { h, type Child } from './dom.js';
import { timeEl } from './time.js';

interface BindingLog { link_index: number; validity: Array<{ index: number; change?: string; outcome?: string; checked_at?: number }> }
interface Inclusion { index: number; tree_size: number; entry: string; proof: string[] }
type Row = { b: BindingJson; state: 'good' | 'bad' | 'warn' | 'neutral'; text: Child };

async function claimOf(id: string, b: BindingJson, cp: Checkpoint, signal: AbortSignal): Promise<Row> {
  const r = await getJson<BindingLog>(`/v1/log/binding?${qs({ avatar: id, platform: b.platform, identity: b.identity })}`, signal);
  if (r.kind !== 'ok') return { b, state: 'bad', text: r.kind === 'absent' ? 'this server has no binding log route' : `the log has no such binding (${r.code}: ${r.message})` };
  const covered = (Array.isArray(r.body.validity) ? r.body.validity : []).filter((v) => Number.isSafeInteger(v.index) && v.index < cp.size);
  const last = covered[covered.length - 1];
  if (!last) {
    return b.status === 'unchecked' || b.status === ''
      ? { b, state: 'neutral', text: 'no check logged yet, as shown' }
      : { b, state: 'warn', text: `shown as ${b.status}, but no check of it is in the signed checkpoint yet` };
  }
  const inc = await getJson<Inclusion>(`/v1/log/inclusion?${qs({ index: String(last.index), size: String(cp.size) })}`, signal);
  if (inc.kind !== 'ok') return { b, state: 'bad', text: `its log entry could not be fetched (${inc.kind === 'error' ? inc.code : 'no route'})` };
  const bytes = typeof inc.body.entry === 'string' ? fromBase64(inc.body.entry) : null;
  const proof = Array.isArray(inc.body.proof) ? inc.body.proof.map((p) => (typeof p === 'string' ? fromBase64(p) : null)) : null;
  if (!bytes || !proof || proof.some((p) => p === null || p.length !== 32) || !verifyInclusion(last.index, cp.size, leafHash(bytes), proof as Uint8Array[], cp.root)) {
    return { b, state: 'bad', text: `the inclusion proof of log entry ${last.index} failed` };
  }
  let e;
  try {
    e = decodeEntry(bytes);
  } catch (err) {
    return { b, state: 'bad', text: `log entry ${last.index} is malformed (${(err as Error).message})` };
  }
  if (e.kind !== 'validity' || e.avatar !== id || e.platform !== b.platform || e.identity !== b.identity || e.link_index !== r.body.link_index) {
    return { b, state: 'bad', text: `log entry ${last.index} is not a check of this binding` };
  }
  const loggedValid = e.outcome === 'valid';
  const shownValid = b.status === 'valid' || b.status === 'stale';
  const when: Child = [' (checked ', timeEl(e.checked_at), `; log entry ${last.index}, proven in the checkpoint of size ${cp.size})`];
  if (loggedValid !== shownValid || (!loggedValid && b.invalid_code && b.invalid_code !== e.outcome)) {
    return { b, state: 'bad', text: [`the server shows ${b.status || 'no state'}${b.invalid_code ? ` (${b.invalid_code})` : ''}, but its signed log says ${loggedValid ? 'valid' : `invalid (${e.outcome})`}`, when] };
  }
  return { b, state: 'good', text: [`the signed log agrees: ${loggedValid ? 'valid' : `invalid (${e.outcome})`}`, when] };
}

/** The claims table, or null when there is nothing to compare. */
export async function bindingClaims(id: string, bindings: readonly BindingJson[], cp: Checkpoint, signal: AbortSignal): Promise<HTMLElement | null> {
  const checked = bindings.filter((b) => !isWalletPlatform(b.platform));
  if (checked.length === 0) return null;
  const rows = await Promise.all(checked.map((b) => claimOf(id, b, cp, signal)));
  const bad = rows.filter((r) => r.state === 'bad').length;
  return h('div', { 'data-claims': bad ? 'failed' : 'ok' },
    h('h3', null, 'Binding states in the log'),
    bad ? h('p', { class: 'banner bad', role: 'alert' }, `${bad} binding state${bad === 1 ? '' : 's'} shown on this page disagree${bad === 1 ? 's' : ''} with what the server signed into its log, or could not be proven.`) : null,
    h('table', null, h('caption', null, 'Each binding’s latest logged check, proven in your browser'),
      h('thead', null, h('tr', null, ['binding', 'result'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', null, rows.map((r) => h('tr', { 'data-claim-state': r.state, 'data-platform': r.b.platform },
        h('td', null, h('span', { class: 'platform' }, r.b.platform), ' ', h('span', { class: 'identity' }, r.b.identity)),
        h('td', null, h('span', { class: `badge ${r.state}` }, { good: '✓', bad: '✗', warn: '…', neutral: '–' }[r.state]), ' ', r.text))))));
}
