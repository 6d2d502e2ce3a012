/** Mirror test helpers: fill an origin, wait for a mirror, compare chains. */
import { CID } from 'multiformats/cid';
import * as jsonCodec from 'multiformats/codecs/json';
import { sha256 } from 'multiformats/hashes/sha2';
import type { Link } from '../../src/core/index.js';
import { json, post } from '../helpers/daemon.js';
import { avatarOf, makeChain, secretKey } from '../audit/helpers.js';

export interface Population {
  avatars: string[];
  links: number;
}

/** `n` Avatars with `per` links each, imported through POST /v1/links, interleaved across Avatars. */
export async function populate(url: string, label: string, n: number, per: number): Promise<Population> {
  const chains: Array<{ avatar: string; links: Link[] }> = [];
  for (let a = 0; a < n; a++) {
    const sk = secretKey(`${label}:${a}`);
    chains.push({ avatar: avatarOf(sk).id, links: makeChain(sk, per, `${label}${a}`) });
  }
  // Round-robin batches so the feed interleaves Avatars, as a busy origin's would.
  const step = Math.max(1, Math.ceil(per / 4));
  for (let from = 0; from < per; from += step) {
    const body = { links: chains.flatMap((c) => c.links.slice(from, from + step).map((l) => ({ avatar: c.avatar, ...l }))) };
    const r = await post(`${url}/v1/links`, body);
    if (r.status !== 200 || r.body.accepted !== body.links.length) throw new Error(`populate: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  }
  return { avatars: chains.map((c) => c.avatar), links: n * per };
}

export async function health(url: string): Promise<any> {
  return (await json(`${url}/healthz`)).body;
}

/** Poll until `cond` holds (or throw after `ms`). */
export async function until<T>(what: string, fn: () => Promise<T>, cond: (v: T) => boolean, ms = 60_000, every = 50): Promise<T> {
  const end = Date.now() + ms;
  let last: T | undefined;
  while (Date.now() < end) {
    last = await fn();
    if (cond(last)) return last;
    await new Promise((r) => setTimeout(r, every));
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)?.slice(0, 500)}`);
}

export async function chainDoc(url: string, avatar: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${url}/v1/chain/${avatar}`);
  return { status: res.status, text: await res.text() };
}

/** The chain document's CID (protocol: the chain document: json codec, sha2-256, CIDv1). */
export async function cidOf(text: string): Promise<string> {
  return CID.createV1(jsonCodec.code, await sha256.digest(new TextEncoder().encode(text))).toString();
}
