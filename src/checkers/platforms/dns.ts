/**
 * DNS: a TXT record on the bound domain, read through a DNS-over-HTTPS JSON API
 * (`?name=&type=TXT`, `accept: application/dns-json`). Record (SPEC §7):
 * `ps:true;v:1;sig:{sig};ca:{created_at};uuid:{uuid};prev:{prev or null}` — all six keys
 * required. Whoever can write the zone is the author; the record must name this link.
 */
import { isRecord, samePrev } from '../../core/index.js';
import type { CheckersConfig } from '../config.js';
import { jsonBody } from '../http.js';
import { evidence, verifyFoundSignature } from '../proof.js';
import { PermanentFailure, TransientFailure, type Checker } from '../types.js';

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9_]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const TXT = 16;
const REQUIRED = ['ps', 'v', 'sig', 'ca', 'uuid', 'prev'] as const;

export interface ProofTxt {
  ps: string;
  v: string;
  sig: string;
  ca: string;
  uuid: string;
  prev: string | null;
}

/** A DoH `data` field: one or more quoted character-strings (`"a" "b"`) joined, escapes undone. */
export function unquoteTxt(data: string): string {
  const s = data.trim();
  if (!s.startsWith('"')) return s;
  let out = '';
  let i = 0;
  while (i < s.length) {
    if (s[i] !== '"') {
      i++;
      continue;
    }
    i++;
    while (i < s.length && s[i] !== '"') {
      if (s[i] === '\\' && i + 1 < s.length) {
        const dec = /^\d{3}/.exec(s.slice(i + 1, i + 4));
        if (dec) {
          out += String.fromCharCode(Number(dec[0]));
          i += 4;
        } else {
          out += s[i + 1];
          i += 2;
        }
      } else out += s[i++];
    }
    i++;
  }
  return out;
}

/** Parse a proof TXT record; null unless all six keys are present (as the deployed parser). */
export function parseProofTxt(record: string): ProofTxt | null {
  const kv = new Map<string, string>();
  for (const part of record.split(';')) {
    const at = part.indexOf(':');
    if (at <= 0) continue;
    kv.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
  }
  for (const k of REQUIRED) if (!kv.has(k)) return null;
  const prev = kv.get('prev')!;
  return { ps: kv.get('ps')!, v: kv.get('v')!, sig: kv.get('sig')!, ca: kv.get('ca')!, uuid: kv.get('uuid')!, prev: prev === 'null' ? null : prev };
}

export function dnsChecker(cfg: CheckersConfig['platforms']['dns']): Checker {
  return {
    platform: 'dns',
    ready: cfg.enabled,
    validate(t) {
      if (!HOSTNAME.test(t.link.identity)) throw new PermanentFailure('BAD_IDENTITY', 'a dns identity is a domain name');
    },
    async check(t, ctx) {
      const url = `${cfg.dohUrl}?name=${encodeURIComponent(t.link.identity)}&type=TXT`;
      const res = await ctx.http.request(url, { signal: ctx.signal, headers: { accept: 'application/dns-json' }, priority: ctx.priority });
      const body = jsonBody(res, 'dns');
      if (res.status !== 200 || !isRecord(body)) throw new TransientFailure('BAD_RESPONSE', `DNS-over-HTTPS answered HTTP ${res.status}`);
      const status = body['Status'];
      if (status === 3) throw new PermanentFailure('POST_NOT_FOUND', `${t.link.identity} does not exist (NXDOMAIN)`, evidence(url, null, ctx.now()));
      if (status !== 0) throw new TransientFailure('DNS_ERROR', `DNS answered rcode ${String(status)} for ${t.link.identity}`);
      const answers = Array.isArray(body['Answer']) ? body['Answer'].filter(isRecord) : [];
      const txts = answers.filter((a) => a['type'] === TXT && typeof a['data'] === 'string').map((a) => unquoteTxt(a['data'] as string));
      const ev = evidence(url, txts.length ? txts.join('\n') : null, ctx.now());
      const proofs = txts.map(parseProofTxt).filter((p): p is ProofTxt => p !== null && p.ps === 'true');
      if (proofs.length === 0) throw new PermanentFailure('SIGNATURE_MISSING', `${t.link.identity} has no "ps:true;…" TXT record with all six keys`, ev);
      const { link } = t;
      const mine = proofs.find((p) => p.uuid === link.uuid);
      if (!mine) throw new PermanentFailure('PAYLOAD_MISMATCH', `the proof TXT records of ${t.link.identity} are for other links (uuid ${proofs[0]!.uuid.slice(0, 40)})`, ev);
      if (mine.ca !== String(link.created_at)) throw new PermanentFailure('PAYLOAD_MISMATCH', `the TXT record's ca ${mine.ca.slice(0, 20)} differs from the link's created_at ${link.created_at}`, ev);
      if (!samePrev(mine.prev, link.prev)) throw new PermanentFailure('PAYLOAD_MISMATCH', "the TXT record's prev differs from the link's prev", ev);
      return { evidence: ev, signature: verifyFoundSignature(t, mine.sig, ctx.backend, ev) };
    },
  };
}
