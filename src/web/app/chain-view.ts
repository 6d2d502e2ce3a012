/** The proof chain as a list, each link with the verdict the page itself reached. */
import type { AuditProblem } from '../../audit/report.js';
import { h, short } from './dom.js';
import { timeEl } from './time.js';
import type { DocumentVerdict } from './verify.js';

const CODE_MEANING: Record<string, string> = {
  SIGNATURE_MISMATCH: 'the signature was not made by this Avatar',
  PAYLOAD_MISMATCH: 'the signed text does not match the link’s fields (the link was altered)',
  PREV_MISMATCH: 'it points at a previous link that is not in this chain',
  FORK: 'a second link claims the same previous link',
  DUPLICATE_UUID: 'its uuid was used before (a replay)',
  BROKEN_ANCESTOR: 'it follows a link that failed, so it cannot be trusted',
  UNVERIFIABLE: 'it has no signature at all',
  BAD_SIGNATURE_ENCODING: 'its signature is not a well-formed signature',
  WALLET_SIGNATURE_MISMATCH: 'the wallet signature is missing or from another wallet',
  BAD_PUBLIC_KEY: 'the Avatar key is not a valid key',
  BAD_REQUEST: 'the document is not a chain document',
};

export function problemText(p: AuditProblem): string {
  const meaning = CODE_MEANING[p.code];
  return meaning ? `${p.code}: ${meaning}. (${p.message})` : `${p.code}: ${p.message}`;
}

export function verdictBanner(v: DocumentVerdict): HTMLElement {
  if (v.ok) {
    return h('div', { class: 'banner good', role: 'status', 'data-verdict': 'ok', 'data-verified': v.verified },
      h('strong', null, 'Verified in your browser. '),
      v.total === 0 ? 'This Avatar has no links yet.' : `All ${v.verified} link${v.verified === 1 ? '' : 's'}: every signature and every prev pointer was checked here, with this project’s own core — not taken from the server.`);
  }
  return h('div', { class: 'banner bad', role: 'alert', 'data-verdict': 'failed', 'data-verified': v.verified },
    h('strong', null, 'Verification failed in your browser. '),
    `${v.verified} of ${v.total} link${v.total === 1 ? '' : 's'} verified; ${v.problems.length} problem${v.problems.length === 1 ? '' : 's'} found. The server sent a chain that does not hold together: do not trust the links marked below.`,
    v.document.length ? h('ul', null, v.document.map((p) => h('li', { 'data-code': p.code, 'data-index': -1 }, problemText(p)))) : null);
}

export function chainList(v: DocumentVerdict): HTMLElement {
  const items = v.chain.map((c) => {
    const l = c.link;
    const verdict = c.ok
      ? h('span', { class: 'badge good' }, '✓ verified')
      : c.problem
        ? h('span', { class: 'badge bad' }, `✗ ${c.problem.code}`)
        : h('span', { class: 'badge warn' }, 'not verified');
    return h('li', { class: `link ${c.ok ? 'ok' : 'failed'}`, 'data-index': c.index, 'data-code': c.problem?.code ?? (c.ok ? 'OK' : 'UNVERIFIED') },
      h('div', { class: 'link-head' },
        h('span', { class: 'seq' }, `#${c.index}`), ' ',
        h('strong', null, l.action === 'create' ? 'bound' : 'unbound'), ' ',
        h('span', { class: 'platform' }, l.platform), ' ',
        h('span', { class: 'identity' }, l.identity), ' ', verdict),
      h('dl', { class: 'kv' },
        h('dt', null, 'time'), h('dd', null, timeEl(l.created_at)),
        h('dt', null, 'uuid'), h('dd', { class: 'mono' }, l.uuid || '(legacy link: no uuid)'),
        h('dt', null, 'signature'), h('dd', null, short(l.signature, 16, 8)),
        h('dt', null, 'prev'), h('dd', null, l.prev === null ? 'none (first link)' : short(l.prev, 16, 8))),
      c.problem ? h('p', { class: 'problem' }, problemText(c.problem)) : null);
  });
  const unplaced = v.unplaced.map((p) =>
    h('li', { class: 'link failed', 'data-code': p.code, 'data-unplaced': 'true', 'data-index': p.index },
      h('div', { class: 'link-head' }, h('span', { class: 'seq' }, `input #${p.index}`), ' ', h('span', { class: 'badge bad' }, `✗ ${p.code}`)),
      h('p', { class: 'problem' }, `This link could not be placed in the chain: ${problemText(p)}`)));
  if (items.length === 0 && unplaced.length === 0) return h('p', null, 'No links.');
  return h('ol', { class: 'chain', 'aria-label': 'proof chain, oldest first' }, items, unplaced);
}
