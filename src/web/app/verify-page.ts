/** Verify a chain document the reader brings (a file or pasted JSON), entirely in the page. */
import { chainList, verdictBanner } from './chain-view.js';
import { clear, h } from './dom.js';
import { verifyDocument } from './verify.js';

export function renderVerify(view: HTMLElement): void {
  const out = h('div', { id: 'verify-result', 'aria-live': 'polite' });
  const area = h('textarea', { id: 'doc', name: 'doc', rows: 10, spellcheck: 'false', 'aria-describedby': 'doc-hint' });
  const file = h('input', { id: 'docfile', type: 'file', accept: 'application/json,.json' });
  let runs = 0;
  const run = (text: string) => {
    out.setAttribute('data-run', String(++runs));
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      clear(out, h('p', { class: 'banner bad', role: 'alert' }, `Not JSON: ${(err as Error).message}`));
      return;
    }
    const v = verifyDocument(doc, 'pasted document');
    clear(out, verdictBanner(v), chainList(v));
  };
  file.addEventListener('change', () => {
    const f = file.files?.[0];
    if (f) void f.text().then((t) => { area.value = t; run(t); });
  });
  const form = h('form', { class: 'stack', onsubmit: (e: Event) => { e.preventDefault(); run(area.value); } },
    h('label', { for: 'doc' }, 'Chain document (JSON)'), area,
    h('p', { id: 'doc-hint', class: 'hint' }, 'Paste a chain document (from /v1/chain/<avatar>, IPFS or Arweave). Nothing is sent anywhere: it is checked in this page.'),
    h('label', { for: 'docfile' }, 'or open a file'), file,
    h('button', { type: 'submit', id: 'verify-run' }, 'Verify'));
  clear(view, h('h1', { tabindex: -1 }, 'Verify a chain document'), form, out);
}
