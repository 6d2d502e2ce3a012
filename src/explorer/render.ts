/**
 * The server-rendered view, for readers without JavaScript (and the first paint for everyone):
 * search results and an Avatar's bindings with their states. It reads the daemon's own API in
 * process (`inject`), so it shows exactly what the JSON routes say — and says that without
 * JavaScript nothing was verified in the browser. Everything printed goes through esc().
 */
import type { FastifyInstance } from 'fastify';
import { tryAvatarId, UUID_RE } from '../core/index.js';
import { esc, linkOrText, utcTime } from './html.js';
import { explainBinding } from './states.js';

interface Binding {
  platform: string;
  identity: string;
  status: string;
  invalid_code: string;
  invalid_reason: string;
  created_at: string;
  last_checked_at: string;
}
interface ProofIds {
  ids: Array<{ avatar: string; activated_at: string; proofs: Binding[] }>;
  pagination: { total: number };
}
interface Evidence {
  next_check_at: string;
  evidence: { url: string; text: string | null; fetched_at: string } | null;
}

export interface Rendered {
  status: number;
  title: string;
  html: string;
  /** a redirect instead of a page */
  location?: string;
}

async function api<T>(app: FastifyInstance, url: string): Promise<{ status: number; body: T | null }> {
  const res = await app.inject({ method: 'GET', url });
  try {
    return { status: res.statusCode, body: JSON.parse(res.body) as T };
  } catch {
    return { status: res.statusCode, body: null };
  }
}

const NOSCRIPT_NOTE = '<p class="banner warn">This is the server’s word only: with JavaScript on, this page re-verifies every signature of the chain in your browser.</p>';
const avatarHref = (id: string) => `/avatar/${encodeURIComponent(id)}`;
const badge = (b: Binding) => {
  const x = explainBinding(b, utcTime);
  return `<span class="badge ${esc(x.tone)}">${esc(x.label)}</span>`;
};

export async function renderLookup(app: FastifyInstance, qRaw: string, platform: string): Promise<Rendered> {
  const q = qRaw.trim().slice(0, 256);
  if ((platform === '' || platform === 'nextid') && tryAvatarId(q)) return { status: 302, title: '', html: '', location: avatarHref(tryAvatarId(q)!) };
  if (q === '') return { status: 200, title: 'Search', html: '<h1>Search</h1><p>Type an identity, an Avatar key or a uuid.</p>' };
  if (platform === '' && UUID_RE.test(q.toLowerCase())) {
    const r = await api<{ links: Array<{ avatar: string; seq: number; action: string; platform: string; identity: string }> }>(app, `/v1/links/by_uuid?${new URLSearchParams({ uuid: q.toLowerCase() })}`);
    const links = r.body?.links ?? [];
    if (links.length === 1) return { status: 302, title: '', html: '', location: avatarHref(links[0]!.avatar) };
    return {
      status: 200, title: 'Search results',
      html: `<h1>Search results</h1><p>${links.length === 0 ? `No link has the uuid ${esc(q)}.` : `${links.length} links carry the uuid ${esc(q)}:`}</p><ul class="results">${links
        .map((l) => `<li><a href="${esc(avatarHref(l.avatar))}"><span class="mono">${esc(l.avatar)}</span></a> link #${esc(l.seq)}: ${esc(l.action)} <span class="platform">${esc(l.platform)}</span> <span class="identity">${esc(l.identity)}</span></li>`)
        .join('')}</ul>`,
    };
  }
  const params = new URLSearchParams({ identity: q });
  if (platform) params.set('platform', platform);
  const r = await api<ProofIds>(app, `/v1/proof?${params}`);
  if (r.status !== 200 || !r.body) return { status: r.status, title: 'Search failed', html: `<h1>Search failed</h1><p class="banner bad">${esc((r.body as { message?: string } | null)?.message ?? `HTTP ${r.status}`)}</p>` };
  const ids = r.body.ids;
  const on = platform ? ` on ${esc(platform)}` : '';
  return {
    status: 200, title: 'Search results',
    html: `<h1>Search results</h1><p>${ids.length === 0 ? `No Avatar has bound <q>${esc(q)}</q>${on}.` : `${esc(r.body.pagination.total)} Avatar(s) bound to <q>${esc(q)}</q>${on}:`}</p><ul class="results">${ids
      .map((a) => `<li><a href="${esc(avatarHref(a.avatar))}"><span class="mono">${esc(a.avatar)}</span></a><ul>${a.proofs
        .map((b) => `<li><span class="platform">${esc(b.platform)}</span> <span class="identity">${esc(b.identity)}</span> ${badge(b)}</li>`).join('')}</ul></li>`)
      .join('')}</ul>`,
  };
}

export async function renderAvatarPage(app: FastifyInstance, key: string): Promise<Rendered> {
  const id = tryAvatarId(key);
  if (!id) return { status: 400, title: 'Not an Avatar key', html: `<h1>Not an Avatar key</h1><p class="banner bad">“${esc(key.slice(0, 200))}” is not a secp256k1 public key.</p>` };
  const r = await api<ProofIds>(app, `/v1/proof?${new URLSearchParams({ platform: 'nextid', identity: id })}`);
  const entry = r.body?.ids?.find((a) => a.avatar === id);
  if (!entry) return { status: 404, title: 'Avatar', html: `<h1>Avatar</h1><p class="mono wrap">${esc(id)}</p><p class="banner neutral">This server knows no links of this Avatar.</p>` };
  const cards: string[] = [];
  for (const b of entry.proofs) {
    const ev = await api<Evidence>(app, `/v1/proof/evidence?${new URLSearchParams({ platform: b.platform, identity: b.identity, public_key: id })}`);
    const e = ev.status === 200 ? ev.body : null;
    const x = explainBinding(b, utcTime);
    cards.push(
      `<article class="binding ${esc(x.tone)}" data-status="${esc(b.status)}"><h3><span class="platform">${esc(b.platform)}</span> <span class="identity">${esc(b.identity)}</span></h3>` +
        `<p>${badge(b)} <span class="meaning">${esc(x.meaning)}</span></p>` +
        (b.status === 'invalid' && b.invalid_reason ? `<p class="reason">Reason given by the check: <q>${esc(b.invalid_reason)}</q> (${esc(b.invalid_code)})</p>` : '') +
        `<dl class="kv"><dt>bound</dt><dd>${esc(utcTime(Number(b.created_at)))}</dd><dt>last checked</dt><dd>${esc(utcTime(Number(b.last_checked_at)))}</dd>` +
        `<dt>next check</dt><dd>${e ? esc(Number(e.next_check_at) > 0 ? utcTime(Number(e.next_check_at)) : 'not scheduled') : 'unknown'}</dd></dl>` +
        (e?.evidence ? `<details class="evidence"><summary>Evidence: what the check fetched</summary><p>From ${linkOrText(e.evidence.url)}, ${esc(utcTime(Number(e.evidence.fetched_at)))}.</p>${e.evidence.text === null ? '<p>Nothing was found there.</p>' : `<pre class="post">${esc(e.evidence.text)}</pre>`}</details>` : '') +
        `</article>`,
    );
  }
  return {
    status: 200, title: 'Avatar',
    html: `<h1>Avatar</h1><p class="mono wrap">${esc(id)}</p>${NOSCRIPT_NOTE}<section aria-labelledby="h-bindings"><h2 id="h-bindings">Bindings</h2>${cards.length ? `<div class="bindings">${cards.join('')}</div>` : '<p>No current bindings.</p>'}</section>` +
      `<p><a href="/v1/chain/${esc(encodeURIComponent(id))}">The chain document (JSON)</a> · <a href="/verify">verify a document</a> (needs JavaScript)</p>`,
  };
}
