/**
 * The Arweave side: sign a data transaction (kept apart from posting, so the outbox can persist
 * the signed tx — and so its id — before anything leaves the process), post it, read its
 * confirmation status and find transactions by tag. Works against a real gateway
 * (arweave.net) and against arlocal alike.
 *
 * Everything a gateway returns is untrusted input: status bodies are parsed defensively.
 */
import Arweave from 'arweave';
import { ProofError } from '../core/index.js';
import { offLoopSigning } from './rsa-sign.js';
import type { Jwk } from './wallet.js';

export interface Tag {
  name: string;
  value: string;
}

/** A signed transaction without its data (the data is the chain document, rebuilt on demand). */
export interface SignedTx {
  id: string;
  /** arweave-js Transaction JSON with `data` emptied */
  json: Record<string, unknown>;
}

export type TxStatus =
  | { state: 'not_found' }
  | { state: 'pending' }
  | { state: 'mined'; height: number; confirmations: number };

export interface ArweaveClientOptions {
  url: string;
  jwk: Jwk;
  timeoutMs: number;
}

/** SPEC §5 tags for one chain version. `previousTx` is absent for an Avatar's first version. */
export function archiveTags(v: { avatar: string; links: number; headUuid: string; cid: string; previousTx: string | null }): Tag[] {
  const tags: Tag[] = [
    { name: 'Content-Type', value: 'application/json' },
    { name: 'App-Name', value: 'proofkeep' },
    { name: 'Chain-Version', value: '1' },
    { name: 'Avatar', value: v.avatar },
    { name: 'Links', value: String(v.links) },
    { name: 'Head-UUID', value: v.headUuid },
    { name: 'IPFS-CID', value: v.cid },
  ];
  if (v.previousTx) tags.push({ name: 'Previous-Tx', value: v.previousTx });
  return tags;
}

/** Resolve with p, or reject when the signal aborts (arweave-js takes no AbortSignal). */
function race<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

function unavailable(what: string, cause?: unknown): ProofError {
  return new ProofError('UNAVAILABLE', `arweave: ${what}`, cause === undefined ? undefined : { cause });
}

/**
 * The gateway refused a tx outright (e.g. its anchor expired) and does not know it: posting the
 * same signed tx again will not help, the worker signs a new one. Still UNAVAILABLE to callers.
 */
export class ArweaveRejected extends ProofError {
  constructor(
    readonly txId: string,
    readonly status: number,
  ) {
    super('UNAVAILABLE', `arweave: post of ${txId} answered ${status}`, { details: { rejected: status } });
    this.name = 'ArweaveRejected';
  }
}

export class ArweaveClient {
  readonly url: string;
  private readonly ar: Arweave;
  private readonly jwk: Jwk;
  private readonly timeoutMs: number;

  constructor(opts: ArweaveClientOptions) {
    const u = new URL(opts.url);
    this.url = opts.url.replace(/\/+$/, '');
    this.jwk = opts.jwk;
    this.timeoutMs = opts.timeoutMs;
    this.ar = Arweave.init({
      host: u.hostname,
      port: u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80,
      protocol: u.protocol.replace(':', ''),
      timeout: opts.timeoutMs,
      logging: false,
    });
    // Signing in the thread pool, not on the API's event loop (./rsa-sign.ts).
    const tx = this.ar.transactions as unknown as { crypto: Parameters<typeof offLoopSigning>[0] };
    tx.crypto = offLoopSigning(tx.crypto);
  }

  private signal(outer?: AbortSignal): AbortSignal {
    const t = AbortSignal.timeout(this.timeoutMs);
    return outer ? AbortSignal.any([outer, t]) : t;
  }

  address(): Promise<string> {
    return this.ar.wallets.jwkToAddress(this.jwk as never);
  }

  /** Create and sign (fetches an anchor and a price from the gateway). Nothing is posted. */
  async sign(data: Uint8Array, tags: readonly Tag[], outer?: AbortSignal): Promise<SignedTx> {
    const signal = this.signal(outer);
    try {
      const tx = await race(this.ar.createTransaction({ data }, this.jwk as never), signal);
      for (const t of tags) tx.addTag(t.name, t.value);
      await race(this.ar.transactions.sign(tx, this.jwk as never), signal);
      const json = tx.toJSON() as unknown as Record<string, unknown>;
      json.data = '';
      return { id: tx.id, json };
    } catch (err) {
      if (err instanceof ProofError) throw err;
      throw unavailable('could not prepare a transaction (gateway unreachable?)', err);
    }
  }

  /**
   * Post a signed tx with its data. Posting the same signed tx again is harmless (same id):
   * gateways answer 208 or an error for a known tx, so on any non-2xx the status is checked
   * and a tx the gateway already knows counts as posted.
   */
  async post(signed: SignedTx, data: Uint8Array, outer?: AbortSignal): Promise<void> {
    const signal = this.signal(outer);
    let res: { status: number; statusText?: string };
    try {
      const raw = { ...signed.json, data: Buffer.from(data).toString('base64url') };
      res = await race(this.ar.transactions.post(raw as never), signal);
    } catch (err) {
      throw unavailable('post failed', err);
    }
    if (res.status >= 200 && res.status < 300) return;
    const st = await this.status(signed.id, outer);
    if (st.state !== 'not_found') return;
    // The gateway refused the tx (e.g. its anchor expired): re-posting it again will not help.
    throw new ArweaveRejected(signed.id, res.status);
  }

  async status(id: string, outer?: AbortSignal): Promise<TxStatus> {
    let res: Response;
    try {
      res = await fetch(`${this.url}/tx/${encodeURIComponent(id)}/status`, { signal: this.signal(outer) });
    } catch (err) {
      throw unavailable('status request failed', err);
    }
    const text = await res.text().catch(() => '');
    if (res.status === 404) return { state: 'not_found' };
    if (res.status === 202) return { state: 'pending' };
    if (res.status !== 200) throw unavailable(`status answered ${res.status}`);
    if (text.trim() === 'Pending') return { state: 'pending' };
    try {
      const body = JSON.parse(text) as { block_height?: unknown; number_of_confirmations?: unknown };
      const height = Number(body.block_height);
      const confirmations = Number(body.number_of_confirmations);
      if (Number.isFinite(height) && Number.isFinite(confirmations)) return { state: 'mined', height, confirmations };
    } catch {
      /* fall through */
    }
    throw unavailable('unexpected status body');
  }

  /** Ids of transactions carrying all the given tags (GraphQL), newest first as the gateway orders them. */
  async findByTags(tags: readonly Tag[], owner: string | null, outer?: AbortSignal): Promise<string[]> {
    const esc = (s: string) => JSON.stringify(s);
    const tagQ = tags.map((t) => `{name:${esc(t.name)},values:[${esc(t.value)}]}`).join(',');
    const ownerQ = owner ? `owners:[${esc(owner)}],` : '';
    const query = `{ transactions(${ownerQ}tags:[${tagQ}], first: 100) { edges { node { id } } } }`;
    let res: Response;
    try {
      res = await fetch(`${this.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query }),
        signal: this.signal(outer),
      });
    } catch (err) {
      throw unavailable('graphql request failed', err);
    }
    if (!res.ok) throw unavailable(`graphql answered ${res.status}`);
    const body = (await res.json().catch(() => null)) as { data?: { transactions?: { edges?: { node?: { id?: unknown } }[] } } } | null;
    const edges = body?.data?.transactions?.edges;
    if (!Array.isArray(edges)) throw unavailable('unexpected graphql body');
    // Distinct ids: arlocal lists a tx once per time it was posted (the uploader may retry a slow post).
    return [...new Set(edges.map((e) => e?.node?.id).filter((id): id is string => typeof id === 'string'))];
  }
}
