/** `proofkeep audit --log URL …` and `--tlog-proof FILE --document FILE`: see src/audit/log.ts. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { auditLog, auditTlogProof } from '../audit/log.js';
import { AUDIT_DEFAULTS } from '../audit/index.js';
import type { CliIO } from './io.js';

type Values = Record<string, string | boolean | string[] | undefined>;

export async function runLogAudit(v: Values, io: CliIO, usage: (msg: string) => number): Promise<number> {
  const key = typeof v['log-key'] === 'string' ? v['log-key'] : '';
  if (key === '') return usage('--log and --tlog-proof need --log-key VKEY');
  const json = v['json'] === true;
  const out = (obj: Record<string, unknown>, text: string) => io.stdout.write(json ? `${JSON.stringify(obj, null, 2)}\n` : text);
  try {
    if (typeof v['tlog-proof'] === 'string') {
      if (typeof v['document'] !== 'string') return usage('--tlog-proof needs --document FILE');
      const r = auditTlogProof(readFileSync(v['tlog-proof'], 'utf8'), readFileSync(v['document'], 'utf8'), key);
      out({ ok: true, ...r }, `ok: link ${r.uuid} is entry ${r.index} of the signed checkpoint of size ${r.size}\n`);
      return 0;
    }
    const url = v['log'] as string;
    if (!/^https?:\/\//.test(url)) return usage('--log must be an http(s) URL');
    const avatars = Array.isArray(v['avatar']) ? v['avatar'] : [];
    const state = typeof v['state'] === 'string' ? v['state'] : null;
    const sinceFile = typeof v['since'] === 'string' ? v['since'] : state !== null && existsSync(state) ? state : null;
    const r = await auditLog({
      url, verifierKey: key, avatars, since: sinceFile === null ? null : readFileSync(sinceFile, 'utf8'),
      policy: { timeoutMs: AUDIT_DEFAULTS.timeoutMs, retries: AUDIT_DEFAULTS.retries, retryBaseMs: 500, maxBodyBytes: 64 * 1024 * 1024 },
    });
    // Only a clean run moves the state forward: a problem keeps the older checkpoint as evidence.
    if (state !== null && r.problems.length === 0) writeFileSync(state, r.checkpoint);
    const lines = r.problems.map((p) => `problem ${p.code}: ${p.avatar ? `${p.avatar} ` : ''}${p.message}\n`).join('');
    out({ ...r, ok: r.problems.length === 0 },
      `log ${r.origin}: checkpoint of size ${r.size} verified; ${r.links} links checked${r.grewFrom === null ? '' : `; grew from ${r.grewFrom}`}\n${lines}${r.problems.length === 0 ? 'ok\n' : ''}`);
    return r.problems.length === 0 ? 0 : 1;
  } catch (err) {
    io.stderr.write(`proofkeep audit: ${(err as Error).message}\n`);
    return 2;
  }
}
