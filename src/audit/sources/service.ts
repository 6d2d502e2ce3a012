/**
 * An Avatar on a ProofService (the deployed Next.ID service or a proofkeep daemon): every
 * `GET /v1/proofchain?avatar=&page=` page, then the chain order rebuilt from `prev` pointers
 * by the core (items carry no `prev`: it is read from each signed payload; a legacy link takes
 * the previous item's signature), then the core's verifyChain. The service is not trusted:
 * page counts and `next` are bounded and must advance.
 */
import { isRecord, linksFromProofchainItems, parsePublicKey, ProofError, verifySubkeyRecord, type Link } from '../../core/index.js';
import type { SourceSummary } from '../report.js';
import { auditParsedDocument } from '../document.js';
import type { AuditContext } from '../context.js';
import { fetchJson, joinUrl } from '../http.js';

export async function auditServiceAvatar(serviceUrl: string, avatarInput: string, ctx: AuditContext): Promise<void> {
  const label = `${serviceUrl} avatar ${avatarInput}`;
  const summary = ctx.report.beginSource(label, 'service');
  try {
    const avatar = parsePublicKey(avatarInput);
    const items: unknown[] = [];
    let page = 1;
    let pages = 0;
    const task = ctx.progress.start(`${serviceUrl} ${avatar.id.slice(0, 10)}…`);
    try {
      for (;;) {
        if (pages >= ctx.config.maxServicePages) throw new ProofError('UNAVAILABLE', `more than ${ctx.config.maxServicePages} pages`);
        const url = joinUrl(serviceUrl, `v1/proofchain?avatar=${encodeURIComponent(avatar.id)}&page=${page}`);
        const res = await fetchJson(url, ctx.config, ctx.signal ? { signal: ctx.signal } : {});
        pages++;
        if (res.status === 404) {
          if (page === 1) break; // an Avatar with no chain: nothing to verify
          throw new ProofError('UNAVAILABLE', `page ${page} answered 404`);
        }
        const body = res.json;
        if (!isRecord(body) || !Array.isArray(body['proof_chain'])) throw new ProofError('UNAVAILABLE', `page ${page} is not a /v1/proofchain response`);
        const chunk = body['proof_chain'] as unknown[];
        items.push(...chunk);
        task.tick(chunk.length);
        const p = isRecord(body['pagination']) ? body['pagination'] : {};
        const next = Number(p['next'] ?? 0);
        if (!Number.isSafeInteger(next) || next <= 0 || chunk.length === 0) break;
        if (next <= page) throw new ProofError('UNAVAILABLE', `pagination.next ${next} does not advance past page ${page}`);
        page = next;
      }
    } finally {
      task.done();
    }
    summary.notes = { pages };
    // Convert item by item so one bad item is one problem, not the end of the audit.
    const links: Link[] = [];
    const positions: number[] = [];
    let before: string | null = null;
    items.forEach((item, i) => {
      try {
        const link = linksFromProofchainItems([item], before)[0]!;
        links.push(link);
        positions.push(i);
        before = link.signature;
      } catch (err) {
        if (!(err instanceof ProofError)) throw err;
        const uuid = isRecord(item) && typeof item['uuid'] === 'string' ? item['uuid'].slice(0, 64) : '';
        ctx.report.problem(summary, { avatar: avatar.id, index: i, unplaced: true, uuid, code: err.code, message: err.message });
        before = isRecord(item) && typeof item['signature'] === 'string' ? item['signature'] : before;
      }
    });
    summary.links += items.length - links.length; // unparsed items count too
    auditParsedDocument({ avatar, links, positions }, ctx, ctx.report, summary);
    await auditServiceSubkeys(serviceUrl, avatar.id, ctx, summary);
  } catch (err) {
    if (!(err instanceof ProofError)) throw err;
    if (err.code === 'BAD_PUBLIC_KEY') ctx.report.error(label, err.code, `--avatar: ${err.message}`);
    else ctx.report.error(label, err.code, err.message);
  } finally {
    ctx.report.endSource(summary);
  }
}

/**
 * The rest of the Avatar's state: its subkeys (`GET /v1/subkey?avatar=`), each re-verified by the
 * core from its own signed payload and signature. A service without the route (404) has none to
 * audit; a record without a signature (the deployed Next.ID service keeps none) is UNVERIFIABLE.
 */
async function auditServiceSubkeys(serviceUrl: string, avatar: string, ctx: AuditContext, summary: SourceSummary): Promise<void> {
  const res = await fetchJson(joinUrl(serviceUrl, `v1/subkey?avatar=${encodeURIComponent(avatar)}`), ctx.config, ctx.signal ? { signal: ctx.signal } : {});
  if (res.status === 404) return;
  const body = res.json;
  if (res.status !== 200 || !isRecord(body) || !Array.isArray(body['subkeys'])) throw new ProofError('UNAVAILABLE', 'GET /v1/subkey did not answer a subkey list');
  let verified = 0;
  (body['subkeys'] as unknown[]).forEach((raw, i) => {
    const r = isRecord(raw) ? raw : {};
    const what = `subkey ${i} (${String(r['algorithm']).slice(0, 12)} ${String(r['public_key']).slice(0, 140)} for ${String(r['rp_id']).slice(0, 64)})`;
    try {
      const rec = verifySubkeyRecord(ctx.backend, r);
      if (rec.avatar !== avatar) throw new ProofError('PAYLOAD_MISMATCH', `served for avatar ${avatar} but signed for ${rec.avatar}`);
      verified++;
    } catch (err) {
      if (!(err instanceof ProofError)) throw err;
      ctx.report.problem(summary, { avatar, index: -1, uuid: '', code: err.code, message: `${what}: ${err.message}` });
    }
  });
  summary.notes = { ...summary.notes, subkeys: (body['subkeys'] as unknown[]).length, subkeys_verified: verified };
}
