/**
 * Generate a JSON Lines dump of `/v1/proofchain/changes` links (the deployed service's item
 * shape: no `prev` field, created_at a string, plus `id` and `avatar`), grouped by Avatar, with
 * real personal_sign signatures. Used by the auditor's bulk test and for measuring.
 *
 *   node --import tsx scripts/gen-dump.ts --links 100000 --avatars 1000 --out /tmp/dump.jsonl \
 *        [--forge 5] [--seed demo]
 *
 * Signing uses libsecp256k1 (the `secp256k1` package) when it loads — RFC 6979, byte-identical
 * to noble/go-ethereum — else the core's noble personalSign (~50× slower). `--forge K` replaces
 * the signature of K links (evenly spread, never a chain's last) by a signature of another
 * payload, so an audit must report K SIGNATURE_MISMATCH and the links after them BROKEN_ANCESTOR.
 * Prints JSON: {links, avatars, forged, brokenAfter, seconds, signer, bytes}.
 */
import { createWriteStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { buildSignPayload, bytesToBase64, personalSign, personalSignDigest, publicKeyOf, bytesToHex } from '../src/core/index.js';

export interface DumpOptions {
  out: string;
  links: number;
  avatars: number;
  forge?: number;
  seed?: string;
}

export interface DumpResult {
  links: number;
  avatars: number;
  forged: number;
  /** links after a forged one in its chain (reported BROKEN_ANCESTOR) */
  brokenAfter: number;
  seconds: number;
  signer: string;
  bytes: number;
}

type Signer = { name: string; sign(payload: string, sk: Uint8Array): string };

function makeSigner(): Signer {
  try {
    const lib = createRequire(import.meta.url)('secp256k1/bindings.js') as {
      ecdsaSign(msg32: Uint8Array, sk: Uint8Array): { signature: Uint8Array; recid: number };
    };
    return {
      name: 'native',
      sign(payload, sk) {
        const { signature, recid } = lib.ecdsaSign(personalSignDigest(payload), sk);
        const out = new Uint8Array(65);
        out.set(signature, 0);
        out[64] = recid;
        return bytesToBase64(out);
      },
    };
  } catch {
    return { name: 'noble', sign: (payload, sk) => bytesToBase64(personalSign(payload, sk)) };
  }
}

function secretKey(seed: string, i: number): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`${seed}:${i}`).digest());
}

function uuidOf(seed: string, a: number, i: number): string {
  const h = createHash('sha256').update(`uuid:${seed}:${a}:${i}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export async function generateDump(opts: DumpOptions): Promise<DumpResult> {
  const started = performance.now();
  const seed = opts.seed ?? 'proofkeep-dump';
  const signer = makeSigner();
  const perAvatar = Math.ceil(opts.links / opts.avatars);
  const forge = opts.forge ?? 0;
  // Forged links at evenly spread global positions, never the last link of a chain.
  const forgeAt = new Set<number>();
  for (let k = 0; k < forge; k++) {
    let pos = Math.floor(((k + 0.5) * opts.links) / forge);
    if (pos % perAvatar === perAvatar - 1 || pos === opts.links - 1) pos--;
    forgeAt.add(pos);
  }
  const out = createWriteStream(opts.out);
  let buf: string[] = [];
  let written = 0;
  let id = 0;
  let brokenAfter = 0;
  const flush = async () => {
    const text = buf.join('');
    buf = [];
    written += Buffer.byteLength(text);
    if (!out.write(text)) await new Promise<void>((r) => out.once('drain', () => r()));
  };
  for (let a = 0; a < opts.avatars && id < opts.links; a++) {
    const sk = secretKey(seed, a);
    const avatar = `0x${bytesToHex(publicKeyOf(sk, true))}`;
    let prev: string | null = null;
    let broken = false;
    for (let i = 0; i < perAvatar && id < opts.links; i++) {
      const identity = `u${a}_${Math.floor(i / 2)}`.slice(0, 15);
      const fields = {
        action: i % 2 === 0 ? 'create' : 'delete',
        created_at: String(1_700_000_000 + i),
        identity,
        platform: 'twitter',
        prev,
        uuid: uuidOf(seed, a, i),
      };
      const payload = buildSignPayload(fields);
      let signature = signer.sign(payload, sk);
      if (broken) brokenAfter++;
      if (forgeAt.has(id)) {
        signature = signer.sign(`${payload} `, sk); // a real signature, of other bytes
        broken = true;
      }
      id++;
      buf.push(
        JSON.stringify({
          id,
          avatar,
          action: fields.action,
          platform: 'twitter',
          identity,
          alt_id: '',
          proof_location: String(1_800_000_000_000_000_000n + BigInt(id)),
          created_at: fields.created_at,
          signature,
          signature_payload: payload,
          uuid: fields.uuid,
          extra: {},
          arweave_id: '',
        }) + '\n',
      );
      prev = signature;
      if (buf.length >= 2000) await flush();
    }
  }
  await flush();
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return {
    links: id,
    avatars: Math.min(opts.avatars, Math.ceil(opts.links / perAvatar)),
    forged: forgeAt.size,
    brokenAfter,
    seconds: Math.round((performance.now() - started) / 10) / 100,
    signer: signer.name,
    bytes: written,
  };
}

function arg(name: string, dflt?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const out = arg('out');
  if (!out) {
    process.stderr.write('usage: gen-dump.ts --out FILE [--links N] [--avatars M] [--forge K] [--seed S]\n');
    process.exit(2);
  }
  const r = await generateDump({
    out,
    links: Number(arg('links', '100000')),
    avatars: Number(arg('avatars', '1000')),
    forge: Number(arg('forge', '0')),
    seed: arg('seed', 'proofkeep-dump')!,
  });
  process.stdout.write(`${JSON.stringify(r)}\n`);
}
