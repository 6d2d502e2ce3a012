/**
 * The Avatar's KV data, verified here: the KV chain document (GET /v1/kv/chain/KEY) goes through
 * the auditor's own KV document rules with the noble backend, the namespaces' content is rebuilt
 * from the verified writes alone (RFC 7396 merge patches, core's kvContents), and whatever the
 * server reports in GET /v1/kv is compared with it. KV content is attacker-controlled JSON: it is
 * shown as preformatted text.
 */
import { kvContents, nobleBackend } from '../../core/index.js';
import { auditKvDocument } from '../../audit/kv-document.js';
import { AuditReport } from '../../audit/report.js';
import { getJson, qs } from './api.js';
import { problemText } from './chain-view.js';
import { h, short, type Child } from './dom.js';

interface KvJson {
  proofs: Array<{ platform: string; identity: string; content: unknown; arweave_id?: string }>;
}

/** JSON with object keys sorted: two equal values always give the same text. */
function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v as object).sort().map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

const pretty = (v: unknown) => JSON.stringify(v, null, 2) ?? 'null';

export async function kvSection(id: string, signal: AbortSignal): Promise<HTMLElement> {
  const body: Child[] = [h('h2', { id: 'h-kv' }, 'Key-value data')];
  const done = () => h('section', { 'aria-labelledby': 'h-kv' }, body);
  const [state, chain] = await Promise.all([
    getJson<KvJson>(`/v1/kv?${qs({ avatar: id })}`, signal),
    getJson<Record<string, unknown>>(`/v1/kv/chain/${encodeURIComponent(id)}`, signal),
  ]);
  if (state.kind === 'absent') {
    body.push(h('p', { class: 'hint', 'data-absent': 'true' }, 'The KV service is not available on this server.'));
    return done();
  }
  if (state.kind === 'error') {
    body.push(h('p', { class: 'banner warn' }, `KV data could not be loaded (${state.code}: ${state.message}).`));
    return done();
  }
  const served = Array.isArray(state.body.proofs) ? state.body.proofs : [];
  if (chain.kind !== 'ok') {
    if (served.length === 0) body.push(h('p', null, 'No KV data stored.'));
    else body.push(h('p', { class: 'banner bad', role: 'alert', 'data-kv': 'failed' }, 'The server reports KV data but sends no KV chain to verify it: do not trust it.'));
    return done();
  }
  const report = new AuditReport();
  const summary = report.beginSource('page', 'kv document');
  const writes = auditKvDocument(chain.body, nobleBackend, report, summary) ?? [];
  const total = Array.isArray(chain.body['writes']) ? (chain.body['writes'] as unknown[]).length : 0;
  const contents = kvContents(writes);
  const ok = report.problems.length === 0;
  const mismatched = served.filter((p) => {
    const mine = [...contents.values()].find((c) => c.platform === p.platform && c.identity === p.identity);
    return !mine || stable(mine.content) !== stable(p.content);
  });
  body.push(h('p', { class: `banner ${ok && mismatched.length === 0 ? 'good' : 'bad'}`, role: ok && mismatched.length === 0 ? 'status' : 'alert', 'data-kv': ok && mismatched.length === 0 ? 'ok' : 'failed' },
    ok ? `All ${writes.length} KV write${writes.length === 1 ? '' : 's'} verified in your browser; the content below is rebuilt from them.` : `${writes.length} of ${total} KV writes verified in your browser; ${report.problems.length} problem(s). The content below is rebuilt from the verified writes only.`,
    mismatched.length ? ` The server reports different content for ${mismatched.length} namespace(s): marked below.` : ''));
  if (report.problems.length) body.push(h('ul', null, report.problems.map((p) => h('li', { 'data-code': p.code }, `write #${p.index}: ${problemText(p)}`))));
  for (const c of contents.values()) {
    const s = served.find((p) => p.platform === c.platform && p.identity === c.identity);
    const differs = !s || stable(s.content) !== stable(c.content);
    body.push(h('article', { class: `kvns${differs ? ' bad' : ''}`, 'data-namespace': `${c.platform}/${c.identity}` },
      h('h3', null, 'Namespace ', h('span', { class: 'platform' }, c.platform), ' ', h('span', { class: 'identity' }, c.identity)),
      h('pre', { class: 'post', tabindex: 0, 'aria-label': 'KV content' }, pretty(c.content)),
      differs ? [h('p', { class: 'problem' }, s ? 'The server reports other content for this namespace:' : 'The server does not report this namespace.'), s ? h('pre', { class: 'post' }, pretty(s.content)) : null] : null,
      s?.arweave_id ? h('p', { class: 'hint' }, 'Arweave tx ', short(String(s.arweave_id), 10, 4)) : null));
  }
  for (const s of served.filter((p) => ![...contents.values()].some((c) => c.platform === p.platform && c.identity === p.identity))) {
    body.push(h('article', { class: 'kvns bad', 'data-namespace': `${s.platform}/${s.identity}` },
      h('h3', null, 'Namespace ', h('span', { class: 'platform' }, String(s.platform)), ' ', h('span', { class: 'identity' }, String(s.identity))),
      h('p', { class: 'problem' }, 'The server reports this namespace, but no verified write made it:'),
      h('pre', { class: 'post' }, pretty(s.content))));
  }
  if (contents.size === 0 && served.length === 0) body.push(h('p', null, 'No KV data stored.'));
  return done();
}
