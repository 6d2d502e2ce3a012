/**
 * The explorer's entry: a small path router over the pages the daemon also renders without
 * JavaScript (/, /lookup, /avatar/KEY, /status, /verify). Internal links carry data-nav and are
 * handled here; everything else is a normal link.
 */
import './style.css';
import { renderAvatar } from './avatar.js';
import { clear, h } from './dom.js';
import { renderHealth } from './health.js';
import { renderSearch } from './search.js';
import { renderVerify } from './verify-page.js';

const view = document.getElementById('view') as HTMLElement;
const form = document.getElementById('search') as HTMLFormElement;
const qInput = document.getElementById('q') as HTMLInputElement;
const platformSelect = document.getElementById('platform') as HTMLSelectElement;
let current: AbortController | null = null;
/** path and query of the page on screen: a history step that changes only the #fragment keeps it */
let shown = '';

async function route(): Promise<void> {
  current?.abort();
  const ac = (current = new AbortController());
  const url = new URL(location.href);
  const path = url.pathname;
  shown = path + url.search;
  let focusTarget = true;
  try {
    if (path.startsWith('/avatar/')) {
      await renderAvatar(view, decodeURIComponent(path.slice('/avatar/'.length)), ac.signal);
      if (url.hash.startsWith('#link-')) {
        document.querySelector(`[data-index="${CSS.escape(url.hash.slice(6))}"]`)?.scrollIntoView();
        focusTarget = false;
      }
    } else if (path === '/lookup') {
      const q = url.searchParams.get('q') ?? '';
      const platform = url.searchParams.get('platform') ?? '';
      qInput.value = q;
      platformSelect.value = platform;
      const redirect = await renderSearch(view, q, platform, ac.signal);
      if (redirect) {
        history.replaceState(null, '', redirect);
        return route();
      }
    } else if (path === '/status') {
      void renderHealth(view, ac.signal);
    } else if (path === '/verify') {
      renderVerify(view);
    } else {
      clear(view, h('h1', { tabindex: -1, class: 'visually-hidden' }, 'Search'), intro());
      focusTarget = false;
    }
  } catch (err) {
    if (ac.signal.aborted) return;
    clear(view, h('h1', { tabindex: -1 }, 'Something went wrong'), h('p', { class: 'banner bad', role: 'alert' }, String((err as Error)?.message ?? err)));
  }
  if (focusTarget && !ac.signal.aborted) (view.querySelector('h1') as HTMLElement | null)?.focus();
}

function intro(): HTMLElement {
  return h('div', { class: 'intro' },
    h('p', null, 'Look up who is behind a handle, or what an Avatar has bound. Every chain this page shows is verified in your browser: signatures and prev pointers are re-checked here, so you trust neither this server nor its mirror.'),
    h('p', { class: 'hint' }, 'Try an identity (e.g. a Twitter handle), an Avatar public key (hex, 0x, compressed or not) or a link’s uuid.'));
}

function navigate(to: string): void {
  history.pushState(null, '', to);
  void route();
}

document.addEventListener('click', (e) => {
  const a = (e.target as Element | null)?.closest?.('a[data-nav]') as HTMLAnchorElement | null;
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const href = a.getAttribute('href');
  if (!href || !href.startsWith('/')) return;
  e.preventDefault();
  navigate(href);
});

form.addEventListener('submit', (e) => {
  e.preventDefault();
  const params = new URLSearchParams({ q: qInput.value.trim() });
  if (platformSelect.value) params.set('platform', platformSelect.value);
  navigate(`/lookup?${params}`);
});

window.addEventListener('popstate', () => {
  // An in-page link (#witness-evidence) only scrolls: re-rendering would lose the target.
  if (location.pathname + location.search !== shown) void route();
});
document.documentElement.classList.add('js');
void route();
