/**
 * Deterministic generator of signed proof chains for tests and benchmarks. Signs with the
 * libsecp256k1 addon (RFC 6979, byte-identical to noble's personalSign, ~50× faster), so a
 * 100,000-link dump takes seconds, not minutes. Keys and uuids derive from a seed.
 */
import { createRequire } from 'node:module';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  addressOf,
  buildSignPayload,
  bytesToBase64,
  bytesToHex,
  isWalletPlatform,
  parsePublicKey,
  personalSignDigest,
  publicKeyOf,
  type Link,
} from '../../src/core/index.js';

const addon = createRequire(import.meta.url)('secp256k1/bindings.js') as {
  ecdsaSign(msg32: Uint8Array, seckey: Uint8Array): { signature: Uint8Array; recid: number };
};

/** Deterministic byte source: sha256(seed/counter). */
export function seeded(seed: string) {
  let counter = 0;
  return (n: number): Uint8Array => {
    const out = new Uint8Array(n);
    for (let o = 0; o < n; o += 32) out.set(sha256(new TextEncoder().encode(`${seed}/${counter++}`)).subarray(0, Math.min(32, n - o)), o);
    return out;
  };
}

/** personal_sign in stored form (base64 of r‖s‖v, v in {0,1}). */
export function fastSign(message: string, secretKey: Uint8Array): string {
  const { signature, recid } = addon.ecdsaSign(personalSignDigest(message), secretKey);
  const out = new Uint8Array(65);
  out.set(signature, 0);
  out[64] = recid;
  return bytesToBase64(out);
}

export interface GenAvatar {
  secretKey: Uint8Array;
  /** canonical id (0x + compressed) */
  id: string;
  uncompressedHex: string;
}

export function genAvatar(bytes: (n: number) => Uint8Array): GenAvatar {
  const sk = bytes(32);
  sk[0] = (sk[0]! & 0x7f) | 1; // below n, non-zero
  const key = parsePublicKey(`0x${bytesToHex(publicKeyOf(sk, true))}`);
  return { secretKey: sk, id: key.id, uncompressedHex: key.uncompressedHex };
}

export function uuidFrom(b: Uint8Array): string {
  const h = bytesToHex(b.subarray(0, 16));
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * A valid chain of `length` links for one avatar: mostly twitter/github creates, every
 * `walletEvery`-th link an ethereum create with the wallet's signature (0 = never).
 */
export function genChain(avatar: GenAvatar, length: number, bytes: (n: number) => Uint8Array, opts: { walletEvery?: number; createdAt?: number } = {}): Link[] {
  const links: Link[] = [];
  let prev: string | null = null;
  const t0 = opts.createdAt ?? 1_700_000_000;
  for (let i = 0; i < length; i++) {
    const wallet = opts.walletEvery ? i % opts.walletEvery === opts.walletEvery - 1 : false;
    let walletKey: Uint8Array | null = null;
    let identity: string;
    let platform: string;
    if (wallet) {
      walletKey = bytes(32);
      walletKey[0] = (walletKey[0]! & 0x7f) | 1;
      platform = 'ethereum';
      identity = addressOf(publicKeyOf(walletKey, false));
    } else {
      platform = i % 2 === 0 ? 'twitter' : 'github';
      // Handle-like names without a shared prefix: a prefix common to every identity would make
      // each substring search walk the trigram index's longest posting lists.
      identity = bytesToHex(bytes(5));
    }
    const uuid = uuidFrom(bytes(16));
    const created_at = t0 + i;
    const payload = buildSignPayload({
      action: 'create',
      created_at: String(created_at),
      identity,
      platform,
      prev,
      uuid,
      ...(isWalletPlatform(platform) ? { persona: avatar.id } : {}),
    });
    const signature = fastSign(payload, avatar.secretKey);
    const extra: Record<string, string> = walletKey ? { wallet_signature: fastSign(payload, walletKey) } : {};
    links.push({ prev, action: 'create', platform, identity, proof_location: wallet ? null : String(1_000_000 + i), created_at, uuid, signature, signature_payload: payload, extra });
    prev = signature;
  }
  return links;
}

/** Many avatars' chains: `total` links split into chains of `perAvatar`. */
export function genDump(total: number, perAvatar: number, seed = 'proofkeep-bench-dump-v1', walletEvery = 10): Array<{ avatar: GenAvatar; links: Link[] }> {
  const bytes = seeded(seed);
  const out: Array<{ avatar: GenAvatar; links: Link[] }> = [];
  for (let made = 0; made < total; made += perAvatar) {
    const avatar = genAvatar(bytes);
    out.push({ avatar, links: genChain(avatar, Math.min(perAvatar, total - made), bytes, { walletEvery }) });
  }
  return out;
}

/**
 * Write a JSON Lines dump of `/v1/proofchain/changes` entries (the deployed service's item shape
 * plus `id` and `avatar`; no `prev`, created_at a string), grouped by Avatar — the format the
 * auditor's dump source reads. Returns the number of links and Ethereum (two-signature) links.
 */
export async function writeFeedDump(path: string, total: number, perAvatar: number, seed = 'proofkeep-bench-dump-v1', walletEvery = 10): Promise<{ links: number; avatars: number; walletLinks: number; bytes: number }> {
  const { createWriteStream } = await import('node:fs');
  const { toProofchainItem } = await import('../../src/core/index.js');
  const out = createWriteStream(path);
  const bytes = seeded(seed);
  let id = 0;
  let avatars = 0;
  let walletLinks = 0;
  let size = 0;
  let buf: string[] = [];
  const flush = async () => {
    const text = buf.join('');
    buf = [];
    size += Buffer.byteLength(text);
    if (!out.write(text)) await new Promise<void>((r) => out.once('drain', () => r()));
  };
  while (id < total) {
    const avatar = genAvatar(bytes);
    avatars++;
    for (const link of genChain(avatar, Math.min(perAvatar, total - id), bytes, { walletEvery })) {
      id++;
      if (link.platform === 'ethereum') walletLinks++;
      buf.push(`${JSON.stringify({ id, avatar: avatar.id, ...toProofchainItem(link) })}\n`);
    }
    if (buf.length >= 2000) await flush();
  }
  await flush();
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return { links: id, avatars, walletLinks, bytes: size };
}
