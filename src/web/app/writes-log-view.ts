/**
 * The Avatar's KV writes and subkeys in the server's verifiable log, checked here. The server says
 * which log entries are the Avatar's (/v1/log/avatar); the page never takes their bytes from it:
 * a KV entry is rebuilt from the write in the KV chain the page verified itself (matched by uuid
 * and signature), a subkey entry from a record whose Avatar signature the page checked. Each
 * rebuilt leaf is then proven with /v1/log/inclusion against the signed checkpoint. Everything
 * the server sends here is attacker-controlled: fields are type-checked, shown as text only.
 */
import { nobleBackend, verifySubkeyRecord, type KvWrite } from '../../core/index.js';
import { encodeEntry, fromBase64, leafHash, verifyInclusion, type Checkpoint, type LogEntry } from '../../core/tlog/index.js';
import { auditKvDocument } from '../../audit/kv-document.js';
import { AuditReport } from '../../audit/report.js';
import { getJson, qs } from './api.js';
import { h, short, type Child } from './dom.js';

type Listed = Record<string, unknown> & { index: number; kind: string };
interface AvatarLog { entries: Listed[]; truncated?: boolean }
interface Inclusion { proof: unknown }
interface SubkeyJson { subkeys: Array<{ algorithm: string; public_key: string; rp_id: string; name: string }> }
type State = 'good' | 'bad' | 'warn';
interface Row { kind: string; what: string; index: number | null; state: State; text: string }

const str = (v: unknown): string => (typeof v === 'string' ? v : String(v ?? ''));

/** The KV writes of the Avatar's KV chain that verify in this browser (the same rules as the KV section). */
async function verifiedWrites(id: string, signal: AbortSignal): Promise<KvWrite[]> {
  const chain = await getJson<Record<string, unknown>>(`/v1/kv/chain/${encodeURIComponent(id)}`, signal);
  if (chain.kind !== 'ok') return [];
  const report = new AuditReport();
  return auditKvDocument(chain.body, nobleBackend, report, report.beginSource('page', 'kv document')) ?? [];
}

/** Rebuild the entry's bytes from signed data this page checked; a reason when it cannot. */
function rebuild(id: string, e: Listed, writes: readonly KvWrite[]): { entry: LogEntry; what: string } | { error: string; what: string } {
  if (e.kind === 'kv') {
    const w = writes.find((x) => x.uuid === e['uuid'] && x.signature === e['signature']);
    const what = `${str(e['platform'])} ${str(e['identity'])}`;
    if (!w) return { error: 'the log lists a KV write that is not among the writes verified on this page', what };
    return { what: `${w.platform} ${w.identity}`, entry: { kind: 'kv', avatar: id, platform: w.platform, identity: w.identity, uuid: w.uuid, created_at: w.created_at, sign_payload: w.sign_payload, signature: w.signature } };
  }
  if (e.kind === 'subkey') {
    const what = `${str(e['name'])} for ${str(e['rp_id'])}`;
    try {
      const s = verifySubkeyRecord(nobleBackend, { ...e, avatar: id });
      return { what: `${s.name} for ${s.rp_id}`, entry: { kind: 'subkey', avatar: id, algorithm: s.algorithm, public_key: s.public_key, rp_id: s.rp_id, name: s.name, created_at: s.created_at, sign_payload: s.sign_payload, signature: s.signature } };
    } catch (err) {
      return { error: `the subkey’s signature does not verify: ${(err as Error).message}`, what };
    }
  }
  return { error: `unexpected entry kind ${short(str(e.kind), 12, 0)}`, what: '' };
}

async function check(id: string, e: Listed, writes: readonly KvWrite[], cp: Checkpoint | null, signal: AbortSignal): Promise<Row> {
  const r = rebuild(id, e, writes);
  const base = { kind: str(e.kind), what: r.what, index: e.index };
  if ('error' in r) return { ...base, state: 'bad', text: r.error };
  let bytes: Uint8Array;
  try {
    bytes = encodeEntry(r.entry);
  } catch (err) {
    return { ...base, state: 'bad', text: `cannot be encoded as a log entry: ${(err as Error).message}` };
  }
  if (!cp || e.index >= cp.size) return { ...base, state: 'warn', text: 'logged, not yet covered by a signed checkpoint' };
  const inc = await getJson<Inclusion>(`/v1/log/inclusion?${qs({ index: String(e.index), size: String(cp.size) })}`, signal);
  if (inc.kind !== 'ok') return { ...base, state: 'bad', text: `its inclusion proof could not be fetched (${inc.kind === 'error' ? inc.code : 'no route'})` };
  const proof = Array.isArray(inc.body.proof) ? inc.body.proof.map((p) => (typeof p === 'string' ? fromBase64(p) : null)) : null;
  // The leaf is the hash of the bytes rebuilt here: the server's `entry` is never used.
  if (!proof || proof.some((p) => p === null || p.length !== 32) || !verifyInclusion(e.index, cp.size, leafHash(bytes), proof as Uint8Array[], cp.root)) {
    return { ...base, state: 'bad', text: `inclusion proof failed against the signed checkpoint of size ${cp.size}` };
  }
  return { ...base, state: 'good', text: `included in the signed checkpoint of size ${cp.size}` };
}

/** The KV-write and subkey entries of the Avatar, proven against `cp` (null: no checkpoint verified). */
export async function writesLog(id: string, cp: Checkpoint | null, signal: AbortSignal): Promise<Child> {
  const listed = await getJson<AvatarLog>(`/v1/log/avatar?${qs({ avatar: id })}`, signal);
  if (listed.kind === 'absent') return h('p', { class: 'hint', 'data-log-writes': 'absent' }, 'This server does not list an Avatar’s KV and subkey log entries.');
  if (listed.kind === 'error') return h('p', { class: 'banner warn', 'data-log-writes': 'error' }, `KV and subkey log entries could not be loaded (${listed.code}: ${listed.message}).`);
  const entries = (Array.isArray(listed.body.entries) ? listed.body.entries : []).filter((e) => typeof e === 'object' && e !== null && Number.isSafeInteger(e.index) && e.index >= 0);
  const [writes, subkeys] = await Promise.all([verifiedWrites(id, signal), getJson<SubkeyJson>(`/v1/subkey?${qs({ avatar: id })}`, signal)]);
  const rows = await Promise.all(entries.map((e) => check(id, e, writes, cp, signal)));
  // What the page shows but the log does not list (a server hiding entries, or a list cut short).
  const missing = listed.body.truncated === true ? 'warn' : 'bad';
  for (const w of writes) {
    if (!entries.some((e) => e.kind === 'kv' && e['uuid'] === w.uuid && e['signature'] === w.signature)) rows.push({ kind: 'kv', what: `${w.platform} ${w.identity}`, index: null, state: missing, text: 'a verified KV write the log does not list' });
  }
  const shown = subkeys.kind === 'ok' && Array.isArray(subkeys.body.subkeys) ? subkeys.body.subkeys : [];
  for (const s of shown) {
    const logged = entries.some((e, i) => e.kind === 'subkey' && e['public_key'] === s.public_key && e['rp_id'] === s.rp_id && rows[i]!.state !== 'bad');
    if (!logged) rows.push({ kind: 'subkey', what: `${str(s.name)} for ${str(s.rp_id)}`, index: null, state: 'warn', text: 'a subkey this server reports without a verified log entry' });
  }
  if (signal.aborted) return null;
  if (rows.length === 0) return h('p', { 'data-log-writes': 'none' }, 'No KV writes or subkeys in the log.');
  const bad = rows.filter((r) => r.state === 'bad').length;
  const good = rows.filter((r) => r.state === 'good').length;
  const verdict = bad ? 'failed' : good === rows.length ? 'ok' : 'pending';
  return [
    h('h3', null, 'KV writes and subkeys in the log'),
    h('p', { class: `banner ${bad ? 'bad' : good === rows.length ? 'good' : 'warn'}`, role: bad ? 'alert' : 'status', 'data-log-writes': verdict },
      bad ? `${bad} of ${rows.length} KV and subkey log entries failed their check in your browser.` : `${good} of ${rows.length} KV and subkey entries verified as included in the log’s signed checkpoint, in your browser.`),
    h('table', null, h('caption', null, 'Log entries of this Avatar’s KV writes and subkeys, rebuilt from the data verified on this page'),
      h('thead', null, h('tr', null, ['kind', 'what', 'log index', 'result'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', null, rows.map((r) => h('tr', { 'data-entry-state': r.state, 'data-entry-kind': r.kind },
        h('td', null, r.kind === 'kv' ? 'KV write' : r.kind === 'subkey' ? 'subkey' : r.kind),
        h('td', { class: 'wrap' }, r.what),
        h('td', null, r.index === null ? '—' : String(r.index)),
        h('td', null, h('span', { class: `badge ${r.state}` }, r.state === 'good' ? '✓' : r.state === 'bad' ? '✗' : '…'), ' ', r.text))))),
  ];
}
