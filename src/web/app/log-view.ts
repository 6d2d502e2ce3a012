/**
 * The Avatar's links in the server's verifiable log, checked here: for each verified link the page
 * rebuilds the log entry bytes from the link itself, and verifies the receipt's inclusion proof
 * against the signed checkpoint with the log's verifier key (core/tlog, the daemon's own code).
 * The key is the one the server publishes unless the reader pinned another (kept in this
 * browser): a server that swaps its key is then caught.
 */
import { encodeEntry, linkEntry, openCheckpoint, parseVerifierKey, verifyTlogProof, type NoteVerifier } from '../../core/tlog/index.js';
import { bytesToBase64 } from '../../core/index.js';
import { getJson, getText, qs, type BindingJson } from './api.js';
import { bindingClaims } from './claims-view.js';
import { h, short, type Child } from './dom.js';
import { timeEl } from './time.js';
import type { DocumentVerdict } from './verify.js';
import { writesLog } from './writes-log-view.js';

interface LogHealth { origin: string; verifier_key: string; size: number; checkpoint: { size: number; signed_at: number } | null }
interface Receipt { index: number; entry: string; tree_size: number | null; tlog_proof: string | null; checkpoint: string | null }

const PIN = (origin: string) => `proofkeep.verifier.${origin}`;

function pinned(origin: string): string | null {
  try {
    return localStorage.getItem(PIN(origin));
  } catch {
    return null;
  }
}

/** The KV-write and subkey entries, proven against the current checkpoint once it verifies. */
async function writesPart(id: string, origin: string, verifier: NoteVerifier, signal: AbortSignal): Promise<Child> {
  const note = await getText('/checkpoint', signal);
  if (note.kind !== 'ok') return writesLog(id, null, signal);
  try {
    return writesLog(id, openCheckpoint(note.body, origin, [verifier]).checkpoint, signal);
  } catch (err) {
    return h('p', { class: 'banner bad', role: 'alert', 'data-log-writes': 'failed' }, `The log’s checkpoint failed its check in your browser, so no KV or subkey entry can be proven: ${(err as Error).message}.`);
  }
}

/** The binding states checked against the log's current signed checkpoint (claims-view.ts). */
async function claimsPart(id: string, bindings: readonly BindingJson[], origin: string, verifier: NoteVerifier, signal: AbortSignal): Promise<Child> {
  if (bindings.length === 0) return null;
  const note = await getText('/checkpoint', signal);
  if (note.kind !== 'ok') return h('p', { class: 'hint' }, 'No signed checkpoint yet: the binding states cannot be checked against the log.');
  let cp;
  try {
    cp = openCheckpoint(note.body, origin, [verifier]).checkpoint;
  } catch (err) {
    return h('p', { class: 'banner bad', role: 'alert', 'data-claims': 'failed' }, `The log’s checkpoint failed its check in your browser: ${(err as Error).message}.`);
  }
  return bindingClaims(id, bindings, cp, signal);
}

export async function logSection(id: string, verdict: DocumentVerdict | null, signal: AbortSignal, bindings: readonly BindingJson[] = []): Promise<HTMLElement> {
  const body: Child[] = [h('h2', { id: 'h-log' }, 'Transparency log')];
  const health = await getJson<{ tlog?: LogHealth }>('/healthz', signal);
  const log = health.kind === 'ok' ? health.body.tlog : undefined;
  if (!log || typeof log.verifier_key !== 'string') {
    body.push(h('p', { class: 'hint', 'data-absent': 'true' }, 'A verifiable log is not available on this server.'));
    return h('section', { 'aria-labelledby': 'h-log' }, body);
  }
  const pin = pinned(log.origin);
  const keyText = pin ?? log.verifier_key;
  let verifier;
  try {
    verifier = parseVerifierKey(keyText);
  } catch (err) {
    body.push(h('p', { class: 'banner bad', role: 'alert' }, `The verifier key cannot be read: ${(err as Error).message}`));
    return h('section', { 'aria-labelledby': 'h-log' }, body);
  }
  body.push(h('dl', { class: 'kv' },
    h('dt', null, 'log'), h('dd', { class: 'mono wrap' }, log.origin),
    h('dt', null, 'verifier key'), h('dd', { class: 'mono wrap' }, keyText, pin ? ' (pinned in this browser)' : ' (as published by this server)')));
  if (pin && pin !== log.verifier_key) {
    body.push(h('p', { class: 'banner bad', role: 'alert', 'data-log': 'key-changed' }, 'This server now publishes a different verifier key than the one you pinned. Its checkpoints are checked against your pinned key.'));
  }
  if (!pin) {
    body.push(h('p', null, h('button', { type: 'button', onclick: (e: Event) => {
      try {
        localStorage.setItem(PIN(log.origin), log.verifier_key);
        (e.target as HTMLButtonElement).replaceWith('Pinned: later visits check this log against this key.');
      } catch {
        /* storage refused: nothing pinned */
      }
    } }, 'Pin this verifier key in this browser')));
  }
  const claims = claimsPart(id, bindings, log.origin, verifier, signal);
  const writes = writesPart(id, log.origin, verifier, signal);
  const links = (verdict?.chain ?? []).filter((c) => c.ok);
  if (links.length === 0) {
    body.push(h('p', null, 'No verified link to look up in the log.'), await claims, await writes);
    return h('section', { 'aria-labelledby': 'h-log' }, body);
  }
  const rows = await Promise.all(links.map(async (c) => {
    const l = c.link;
    if (l.uuid === '') return { c, state: 'warn', text: 'legacy link without a uuid: no receipt to look up', index: null as number | null, size: null as number | null };
    const r = await getJson<Receipt>(`/v1/log/receipt?${qs({ avatar: id, uuid: l.uuid })}`, signal);
    if (r.kind !== 'ok') return { c, state: 'bad', text: r.kind === 'absent' ? 'no receipt route' : `not in the log (${r.code}: ${r.message})`, index: null, size: null };
    const entry = encodeEntry(linkEntry(id, l));
    if (bytesToBase64(entry) !== r.body.entry) return { c, state: 'bad', text: 'the log holds different bytes for this link', index: r.body.index, size: null };
    if (!r.body.tlog_proof) return { c, state: 'warn', text: 'logged, not yet covered by a signed checkpoint', index: r.body.index, size: null };
    try {
      const v = verifyTlogProof(r.body.tlog_proof, entry, log.origin, [verifier]);
      return { c, state: 'good', text: `included in the signed checkpoint of size ${v.checkpoint.size}`, index: v.index, size: v.checkpoint.size };
    } catch (err) {
      return { c, state: 'bad', text: `inclusion proof failed: ${(err as Error).message}`, index: r.body.index, size: null };
    }
  }));
  if (signal.aborted) return h('section');
  const good = rows.filter((r) => r.state === 'good').length;
  const bad = rows.filter((r) => r.state === 'bad').length;
  body.push(h('p', { class: `banner ${bad ? 'bad' : good === rows.length ? 'good' : 'warn'}`, role: bad ? 'alert' : 'status', 'data-log': bad ? 'failed' : good === rows.length ? 'ok' : 'pending' },
    bad ? `${bad} of ${rows.length} links failed their log check in your browser.` : `${good} of ${rows.length} links verified as included in the log’s signed checkpoint, in your browser.`));
  if (log.checkpoint) body.push(h('p', { class: 'hint' }, `Latest checkpoint: ${log.checkpoint.size} entries, signed `, timeEl(log.checkpoint.signed_at), '.'));
  body.push(h('table', null, h('caption', null, 'Log receipts of this Avatar’s links'),
    h('thead', null, h('tr', null, ['link', 'log index', 'result'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', null, rows.map((r) => h('tr', { 'data-log-state': r.state },
      h('td', null, `#${r.c.index} `, short(r.c.link.uuid || r.c.link.signature, 8, 4)),
      h('td', null, r.index === null ? '—' : String(r.index)),
      h('td', null, h('span', { class: `badge ${r.state}` }, r.state === 'good' ? '✓' : r.state === 'bad' ? '✗' : '…'), ' ', r.text))))));
  body.push(await claims, await writes);
  return h('section', { 'aria-labelledby': 'h-log' }, body);
}
