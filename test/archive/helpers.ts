/** Test helpers for the archive tests: real signed links, polling, GraphQL on arlocal. */
import { createHash } from 'node:crypto';
import { buildSignPayload, bytesToBase64, bytesToHex, personalSign, publicKeyOf, type Link } from '../../src/core/index.js';

export class Signer {
  readonly secret: Uint8Array;
  readonly id: string;
  readonly uncompressed: string;
  private readonly links: Link[] = [];

  constructor(label: string) {
    this.secret = new Uint8Array(createHash('sha256').update(`proofkeep-archive-test:${label}`).digest());
    this.id = `0x${bytesToHex(publicKeyOf(this.secret, true))}`;
    this.uncompressed = `0x${bytesToHex(publicKeyOf(this.secret, false))}`;
  }

  sign(payload: string): string {
    return bytesToBase64(personalSign(payload, this.secret));
  }

  /** The next link of this Avatar's chain (a twitter create), remembered as the new head. */
  next(): Link {
    const i = this.links.length;
    const uuid = uuidFrom(`${this.id}:${i}`);
    const prev = this.links[i - 1]?.signature ?? null;
    const created_at = 1_700_000_000 + i;
    const payload = buildSignPayload({ action: 'create', created_at: String(created_at), identity: `user${i}`, platform: 'twitter', prev, uuid });
    const link: Link = {
      prev, action: 'create', platform: 'twitter', identity: `user${i}`, proof_location: String(1000 + i), created_at, uuid,
      signature: this.sign(payload), signature_payload: payload, extra: {},
    };
    this.links.push(link);
    return link;
  }

  chain(): Link[] {
    return [...this.links];
  }
}

export function uuidFrom(label: string): string {
  const h = createHash('sha256').update(label).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export async function waitFor<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 60_000, everyMs = 50): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface GqlTx {
  id: string;
  tags: { name: string; value: string }[];
}

/** Every proofkeep transaction on an arlocal (or gateway), optionally of one Avatar. */
export async function proofkeepTxs(url: string, avatar?: string, appName = 'proofkeep'): Promise<GqlTx[]> {
  const tags = [`{name:"App-Name",values:[${JSON.stringify(appName)}]}`];
  if (avatar) tags.push(`{name:"Avatar",values:[${JSON.stringify(avatar)}]}`);
  const out: GqlTx[] = [];
  let after = '';
  for (;;) {
    const query = `{ transactions(tags:[${tags.join(',')}], first: 100${after ? `, after: ${JSON.stringify(after)}` : ''}) { pageInfo { hasNextPage } edges { cursor node { id tags { name value } } } } }`;
    const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
    const body = (await res.json()) as { data: { transactions: { pageInfo: { hasNextPage: boolean }; edges: { cursor: string; node: GqlTx }[] } } };
    const t = body.data.transactions;
    out.push(...t.edges.map((e) => e.node));
    if (!t.pageInfo.hasNextPage || t.edges.length === 0) return dedupe(out);
    after = t.edges[t.edges.length - 1]!.cursor;
  }
}

/**
 * arlocal stores a re-posted tx's tags again (the tx row itself is unique), so its GraphQL
 * lists that tx once per post. A second *transaction* would have a different id: distinct ids
 * are what the duplicate checks count.
 */
function dedupe(txs: GqlTx[]): GqlTx[] {
  const seen = new Set<string>();
  return txs.filter((t) => !seen.has(t.id) && seen.add(t.id) !== undefined);
}

export const tag = (tx: GqlTx, name: string): string | undefined => tx.tags.find((t) => t.name === name)?.value;

export async function txData(url: string, id: string): Promise<Buffer> {
  const res = await fetch(`${url}/tx/${id}/data`);
  const text = await res.text();
  // An error body decoded as base64 would only show up later as a wrong CID: say what it was.
  if (res.status !== 200) throw new Error(`arlocal answered ${res.status} for the data of tx ${id}: ${text.slice(0, 300)}`);
  return Buffer.from(text, 'base64url');
}
