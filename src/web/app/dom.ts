/**
 * The only way this page builds DOM: elements and text nodes, never innerHTML. Everything the
 * page shows from the API (identities, post texts, KV values, reasons) is attacker-controlled,
 * so it only ever becomes text, and a link only when safeHref accepts it.
 */
import { safeHref } from '../../explorer/href.js';

export type Child = Node | string | number | null | undefined | false | Child[];
export type Attrs = Record<string, string | number | boolean | null | undefined | ((ev: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs | null = null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (k === 'href') {
      const safe = safeHref(String(v));
      if (safe !== null) el.setAttribute('href', safe);
    } else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** A link when the URL is safe, else the URL as plain text (so the reader still sees it). */
export function linkOrText(raw: string, label: string = raw): Node {
  const safe = safeHref(raw);
  if (safe === null) return h('span', { class: 'mono', title: 'not a web link' }, raw);
  return h('a', { href: safe, rel: 'noopener noreferrer nofollow', target: safe.startsWith('/') ? null : '_blank' }, label);
}

export function clear(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A short form of a long key or signature, with the full text in a title and for copy. */
export function short(s: string, head = 10, tail = 6): HTMLElement {
  const text = s.length > head + tail + 1 ? `${s.slice(0, head)}…${s.slice(-tail)}` : s;
  return h('span', { class: 'mono', title: s }, text);
}

/** A health card: a titled section whose tone (and badge) says whether it needs attention. */
export function card(title: string, state: 'good' | 'bad' | 'warn' | 'neutral', summary: Child, details?: Node | null, wide = false): HTMLElement {
  return h('section', { class: `card ${state}${wide ? ' wide' : ''}`, 'aria-label': title, 'data-component': title.toLowerCase() },
    h('h2', null, title, ' ', h('span', { class: `badge ${state}` }, { good: 'OK', bad: 'ALARM', warn: 'attention', neutral: 'off' }[state])),
    h('p', null, summary), details ?? null);
}
