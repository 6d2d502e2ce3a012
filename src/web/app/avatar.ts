/**
 * An Avatar's page. Everything comes from the server as untrusted JSON; the chain is re-verified
 * here (verify.ts), and each binding the server lists is checked against that verified chain.
 */
import { parsePublicKey } from '../../core/index.js';
import { getJson, getText, qs, type ArchiveJson, type BindingJson, type EvidenceJson, type Fetched, type ProofQueryJson } from './api.js';
import { chainList, verdictBanner } from './chain-view.js';
import { clear, h, linkOrText, short, type Child } from './dom.js';
import { explainBinding } from '../../explorer/states.js';
import { isoSeconds, local, timeEl } from './time.js';
import { verifyDocument, type DocumentVerdict } from './verify.js';
import { kvSection, logSection, subkeySection } from './sections.js';

export async function renderAvatar(view: HTMLElement, rawKey: string, signal: AbortSignal): Promise<void> {
  let id: string;
  try {
    id = parsePublicKey(rawKey).id;
  } catch (err) {
    clear(view, h('h1', { tabindex: -1 }, 'Not an Avatar key'), h('p', { class: 'banner bad', role: 'alert' }, `“${rawKey.slice(0, 200)}” is not a secp256k1 public key in any spelling this page knows (${(err as Error).message}).`));
    return;
  }
  clear(view, h('h1', { tabindex: -1 }, 'Avatar'), h('p', { class: 'mono wrap' }, id), h('p', { 'aria-busy': 'true' }, 'Loading and verifying…'));
  const [proofs, chainText] = await Promise.all([
    getJson<ProofQueryJson>(`/v1/proof?${qs({ platform: 'nextid', identity: id })}`, signal),
    fetchChain(id, signal),
  ]);
  if (signal.aborted) return;
  const entry = proofs.kind === 'ok' ? proofs.body.ids.find((a) => a.avatar === id) ?? proofs.body.ids[0] : undefined;
  const verdict = chainText.kind === 'ok' ? verifyDocument(safeParse(chainText.body), `/v1/chain/${id}`) : null;
  if (verdict && verdict.avatar !== null && verdict.avatar !== id) {
    verdict.ok = false;
    verdict.document.push({ source: 'page', avatar: verdict.avatar, index: -1, uuid: '', code: 'BAD_PUBLIC_KEY', message: `the server sent the chain of another Avatar (${verdict.avatar})` });
    verdict.problems.push(verdict.document[verdict.document.length - 1]!);
  }
  const notFound = chainText.kind === 'error' && chainText.status === 404 && !entry;
  const parts: Child[] = [
    h('h1', { tabindex: -1 }, 'Avatar'),
    h('p', { class: 'mono wrap', 'aria-label': 'Avatar key' }, id),
  ];
  if (notFound) {
    parts.push(h('p', { class: 'banner neutral', role: 'status' }, 'This server knows no links of this Avatar.'));
    clear(view, parts);
    return;
  }
  if (entry) parts.push(h('p', null, 'First bound ', timeEl(Number(entry.activated_at)), '.'));
  parts.push(verdict ? verdictBanner(verdict) : h('p', { class: 'banner warn', role: 'alert' }, `The chain could not be loaded, so nothing on this page is verified: ${describe(chainText)}.`));
  parts.push(h('section', { 'aria-labelledby': 'h-bindings' }, h('h2', { id: 'h-bindings' }, 'Bindings'),
    entry ? await bindingsTable(id, entry.proofs, verdict, signal) : h('p', null, `Bindings could not be loaded: ${describe(proofs)}.`)));
  parts.push(h('section', { 'aria-labelledby': 'h-chain' }, h('h2', { id: 'h-chain' }, 'Proof chain'),
    h('p', { class: 'hint' }, 'Oldest first, in the order the prev pointers give (not the order the server listed them).'),
    verdict ? chainList(verdict) : h('p', null, 'Not available.')));
  const [kv, subkeys, archive, log] = await Promise.all([kvSection(id, signal), subkeySection(id, signal), archiveSection(id, signal), logSection(id, verdict, signal, entry?.proofs ?? [])]);
  if (signal.aborted) return;
  parts.push(kv, subkeys, archive, log);
  clear(view, parts);
}

// The raw text: verification must see the bytes, not a re-serialization.
const fetchChain = (id: string, signal: AbortSignal): Promise<Fetched<string>> => getText(`/v1/chain/${encodeURIComponent(id)}`, signal);

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export function describe(f: Fetched<unknown>): string {
  if (f.kind === 'absent') return 'not available on this server';
  if (f.kind === 'error') return `${f.code}: ${f.message}`;
  return 'ok';
}

async function bindingsTable(id: string, bindings: BindingJson[], verdict: DocumentVerdict | null, signal: AbortSignal): Promise<HTMLElement> {
  if (bindings.length === 0) return h('p', null, 'No current bindings.');
  const evidence = await Promise.all(bindings.map((b) =>
    getJson<EvidenceJson>(`/v1/proof/evidence?${qs({ platform: b.platform, identity: b.identity, public_key: id })}`, signal)));
  const rows = bindings.map((b, i) => {
    const ev = evidence[i]!;
    const e = ev.kind === 'ok' ? ev.body : null;
    const x = explainBinding(b, local);
    const inChain = verdict === null ? null : verdict.bindings.has(`${b.platform}\u0000${b.identity}`);
    return h('article', { class: `binding ${x.tone}`, 'data-status': b.status, 'data-platform': b.platform },
      h('h3', null, h('span', { class: 'platform' }, b.platform), ' ', h('span', { class: 'identity' }, b.identity)),
      h('p', null, h('span', { class: `badge ${x.tone}` }, x.label), ' ', h('span', { class: 'meaning' }, x.meaning)),
      b.status === 'invalid' && b.invalid_reason ? h('p', { class: 'reason' }, 'Reason given by the check: ', h('q', null, b.invalid_reason), b.invalid_code ? ` (${b.invalid_code})` : '') : null,
      inChain === false ? h('p', { class: 'banner bad', role: 'alert' }, 'The server lists this binding, but the chain verified in your browser does not contain it.') : null,
      h('dl', { class: 'kv' },
        h('dt', null, 'bound'), h('dd', null, timeEl(Number(b.created_at))),
        h('dt', null, 'last checked'), h('dd', null, timeEl(Number(b.last_checked_at), 'never')),
        h('dt', null, 'next check'), h('dd', null, e ? timeEl(Number(e.next_check_at), 'not scheduled') : 'unknown'),
        e && e.last_error_code ? [h('dt', null, 'last check error'), h('dd', null, `${e.last_error_code}: ${e.last_error} (${e.consecutive_failures} in a row)`)] : null,
        e?.proof_location ? [h('dt', null, 'proof location'), h('dd', { class: 'mono wrap' }, e.proof_location)] : null),
      e?.evidence ? h('details', { class: 'evidence' },
        h('summary', null, 'Evidence: what the check fetched'),
        h('p', null, 'From ', linkOrText(e.evidence.url), ', ', timeEl(Number(e.evidence.fetched_at)), ` (${e.evidence.outcome}).`),
        e.evidence.text === null ? h('p', null, 'Nothing was found there.') : h('pre', { class: 'post', tabindex: 0, 'aria-label': 'fetched post text' }, e.evidence.text))
        : h('p', { class: 'hint' }, ev.kind === 'ok' ? 'No evidence kept yet.' : `Evidence: ${describe(ev)}.`));
  });
  return h('div', { class: 'bindings' }, rows);
}

async function archiveSection(id: string, signal: AbortSignal): Promise<HTMLElement> {
  const [res, health] = await Promise.all([
    getJson<ArchiveJson>(`/v1/chain/${encodeURIComponent(id)}/archive`, signal),
    getJson<{ archive?: { enabled?: boolean } }>('/healthz', signal),
  ]);
  const body: Child[] = [h('h2', { id: 'h-archive' }, 'Archive')];
  if (health.kind === 'ok' && health.body.archive?.enabled === false) body.push(h('p', { 'data-absent': 'true' }, 'Archiving (IPFS, Arweave) is turned off on this server.'));
  else if (res.kind !== 'ok') body.push(h('p', null, res.kind === 'absent' ? 'Archiving is not available on this server.' : `Archive state: ${describe(res)}.`));
  else {
    const a = res.body;
    const p = a.pending;
    body.push(h('p', { 'data-pending': p.jobs }, p.jobs > 0
      ? [`${p.jobs} archive job${p.jobs === 1 ? '' : 's'} pending (${p.attempts} attempt${p.attempts === 1 ? '' : 's'} so far${p.last_error ? `, last error: ${p.last_error}` : ''})`,
        p.next_attempt_at ? [', next attempt ', timeEl(isoSeconds(p.next_attempt_at), 'soon')] : '', '.']
      : 'No archive jobs pending.'));
    // Remote pins (Kubo, a Pinning Service) only where this server uses them: several daemons
    // share one pinning service, and its queued → pinning → pinned | failed state is per version.
    const remote = a.versions.some((v) => v.kubo_status !== 'disabled' || (v.pinning_service_status ?? 'disabled') !== 'disabled');
    body.push(a.versions.length === 0 ? h('p', null, 'No version archived yet.') : h('table', null,
      h('caption', null, 'Archived versions of the chain document, newest last'),
      h('thead', null, h('tr', null, ['links', 'IPFS', ...(remote ? ['remote pins'] : []), 'Arweave', 'created'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', null, a.versions.map((v) => h('tr', null,
        h('td', null, String(v.links)),
        h('td', null, v.cid ? [linkOrText(`/ipfs/${v.cid}`, v.cid.slice(0, 16) + '…'), ` ${v.ipfs_status}`] : v.ipfs_status),
        remote ? h('td', { 'data-remote-pins': '' }, remotePins(v)) : null,
        h('td', null, v.arweave_tx ? [short(v.arweave_tx, 10, 4), ` ${v.arweave_status}`, v.confirmations !== null ? `, ${v.confirmations} confirmation${v.confirmations === 1 ? '' : 's'}` : ''] : v.arweave_status),
        h('td', null, timeEl(isoSeconds(v.created_at))))))));
  }
  return h('section', { 'aria-labelledby': 'h-archive' }, body);
}

/** A version's remote pin states, as text (the error is the server's: shown, never interpreted). */
function remotePins(v: ArchiveJson['versions'][number]): string {
  const parts: string[] = [];
  if (v.kubo_status !== 'disabled') parts.push(`Kubo: ${v.kubo_status}`);
  const ps = v.pinning_service_status ?? 'disabled';
  if (ps !== 'disabled') {
    const n = v.pinning_service_attempts ?? 0;
    parts.push(`pinning service: ${ps}${n > 1 ? ` (${n} attempts)` : ''}${ps === 'failed' && v.pinning_service_error ? ` — ${v.pinning_service_error}` : ''}`);
  }
  return parts.join('; ');
}
