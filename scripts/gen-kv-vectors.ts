/**
 * Generates the KV chain vector files test/vectors/kv-chains-good.json and kv-chains-bad.json.
 *
 *   node --import tsx scripts/gen-kv-vectors.ts          # (re)write both files
 *   node --import tsx scripts/gen-kv-vectors.ts --check  # exit 1 if the files differ from a fresh run
 *
 * Deterministic like scripts/gen-vectors.ts: keys and uuids are sha256 of fixed labels,
 * signatures RFC 6979, timestamps fixed. Each vector's expected verifyKvChain outcome is written
 * by hand; generation fails when verifyKvChain disagrees, so no file is written with a wrong claim.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  buildKvSignPayload, bytesToBase64, bytesToHex, kvAvatarField, kvContents, nobleBackend, parsePublicKey,
  personalSign, publicKeyOf, utf8, verifyKvChain, type AvatarKey, type ErrorCode, type KvJson, type KvWrite,
} from '../src/core/index.js';
import { VECTOR_DIR } from './gen-vectors.js';

export const KV_VECTOR_FORMAT = 'proofkeep-kv-chain-vectors/1';

export interface KvExpected {
  valid: boolean;
  /** input positions of the writes in chain order */
  order: number[];
  verified: number;
  /** sorted: placed first by index, then unplaced by index */
  problems: Array<{ index: number; code: ErrorCode; unplaced?: true }>;
  /** content per namespace after the verified prefix, in first-write order */
  contents: Array<{ platform: string; identity: string; content: KvJson }>;
}

export interface KvChainVector {
  name: string;
  description: string;
  avatar: string;
  public_key: string;
  secret_key: string;
  allow_legacy: boolean;
  writes: KvWrite[];
  expected: KvExpected;
}

function secretKey(label: string): Uint8Array {
  return sha256(utf8(`proofkeep/test-vectors/kv-key/${label}`));
}

function uuidFor(label: string): string {
  const h = sha256(utf8(`proofkeep/test-vectors/kv-uuid/${label}`)).slice(0, 16);
  h[6] = (h[6]! & 0x0f) | 0x40;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = bytesToHex(h);
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

interface WriteSpec {
  platform?: string;
  identity?: string;
  patch: KvJson;
  previous?: string | null;
  uuid?: string;
  signer?: Uint8Array;
  legacy?: boolean;
}

export class KvChainBuilder {
  readonly avatar: AvatarKey;
  readonly writes: KvWrite[] = [];
  head: string | null = null;
  private n = 0;

  constructor(readonly name: string, readonly sk: Uint8Array) {
    this.avatar = parsePublicKey(`0x${bytesToHex(publicKeyOf(sk))}`);
  }

  make(spec: WriteSpec): KvWrite {
    const i = this.n++;
    const w = {
      previous: spec.previous === undefined ? this.head : spec.previous,
      platform: spec.platform ?? 'nextid',
      identity: spec.identity ?? this.avatar.id,
      uuid: spec.uuid ?? uuidFor(`${this.name}/${i}`),
      created_at: 1_700_000_000 + 100 * i,
      patch: spec.patch,
    };
    const sign_payload = buildKvSignPayload({ ...w, avatar: kvAvatarField(this.avatar), legacy: spec.legacy ?? false });
    return { ...w, signature: bytesToBase64(personalSign(sign_payload, spec.signer ?? this.sk)), sign_payload };
  }

  add(spec: WriteSpec): KvWrite {
    const w = this.make(spec);
    this.writes.push(w);
    this.head = w.signature;
    return w;
  }
}

/** verifyKvChain's outcome in the files' terms. */
export function kvOutcomeOf(v: Pick<KvChainVector, 'avatar' | 'allow_legacy' | 'writes'>): KvExpected {
  const r = verifyKvChain(parsePublicKey(v.avatar), v.writes, { backend: nobleBackend, allowLegacy: v.allow_legacy });
  const problems = r.problems
    .map((p) => (p.unplaced ? { index: p.index, code: p.code, unplaced: true as const } : { index: p.index, code: p.code }))
    .sort((a, b) => Number('unplaced' in a) - Number('unplaced' in b) || a.index - b.index || a.code.localeCompare(b.code));
  return {
    valid: r.problems.length === 0,
    order: r.ordered.map((w) => v.writes.indexOf(w)),
    verified: r.verified.length,
    problems,
    contents: [...kvContents(r.verified).values()],
  };
}

type Case = { name: string; description: string; allow_legacy?: boolean; build(b: KvChainBuilder): KvWrite[]; expected: Omit<KvExpected, 'contents'> & { contents?: KvJson[] } };

const twitter = { platform: 'twitter', identity: 'kv_vectors' };
const ok = (n: number) => ({ valid: true, order: [...Array(n).keys()], verified: n, problems: [] });

const good: Case[] = [
  { name: 'kv-single-write', description: 'one write to the nextid namespace', build: (b) => [b.add({ patch: { a: 1 } })], expected: { ...ok(1), contents: [{ a: 1 }] } },
  {
    name: 'kv-two-namespaces-merge',
    description: 'writes to nextid and a bound twitter namespace; null deletes, objects merge, arrays replace; one chain across both',
    build: (b) => [
      b.add({ patch: { profile: { name: 'a', tags: ['x'] }, old: true } }),
      b.add({ ...twitter, patch: { 'com.mask.plugin': { nick: 'ü / <b> & \u2028' } } }),
      b.add({ patch: { profile: { tags: ['y', 'z'], bio: 'hi' }, old: null } }),
    ],
    expected: { ...ok(3), contents: [{ profile: { bio: 'hi', name: 'a', tags: ['y', 'z'] } }, { 'com.mask.plugin': { nick: 'ü / <b> & \u2028' } }] },
  },
  {
    name: 'kv-shuffled',
    description: 'four writes in file order 2,0,3,1: order comes from previous pointers',
    build: (b) => {
      const ws = [0, 1, 2, 3].map((i) => b.add({ patch: { n: i } }));
      return [ws[2]!, ws[0]!, ws[3]!, ws[1]!];
    },
    expected: { valid: true, order: [1, 3, 0, 2], verified: 4, problems: [] },
  },
  {
    name: 'kv-non-object-patch',
    description: 'a non-object patch replaces the whole content',
    build: (b) => [b.add({ patch: { a: 1 } }), b.add({ patch: ['replaced', 2] }), b.add({ patch: { b: { c: null } } })],
    expected: { ...ok(3), contents: [{ b: {} }] },
  },
  {
    name: 'kv-legacy-persona',
    description: 'a 2022-style write whose payload names the avatar "persona" (verifiers of historical data accept it)',
    allow_legacy: true,
    build: (b) => [b.add({ patch: { old: 'style' }, legacy: true }), b.add({ patch: { new: 'style' } })],
    expected: ok(2),
  },
];

const bad: Case[] = [
  {
    name: 'kv-bad-signature',
    description: 'second write signed by another key: SIGNATURE_MISMATCH, the third is BROKEN_ANCESTOR',
    build: (b) => [b.add({ patch: { a: 1 } }), b.add({ patch: { a: 2 }, signer: secretKey('intruder') }), b.add({ patch: { a: 3 } })],
    expected: { valid: false, order: [0, 1, 2], verified: 1, problems: [{ index: 1, code: 'SIGNATURE_MISMATCH' }, { index: 2, code: 'BROKEN_ANCESTOR' }] },
  },
  {
    name: 'kv-fork',
    description: 'two writes claim the genesis write as previous (upstream\'s star shape): the second is a FORK',
    build: (b) => {
      const g = b.add({ patch: { a: 1 } });
      const x = b.add({ patch: { a: 2 } });
      const y = b.make({ patch: { a: 3 }, previous: g.signature });
      return [g, x, y];
    },
    expected: { valid: false, order: [0, 1], verified: 2, problems: [{ index: 2, code: 'FORK', unplaced: true }] },
  },
  {
    name: 'kv-duplicate-uuid',
    description: 'a later write reuses the first write\'s uuid (a replay): DUPLICATE_UUID',
    build: (b) => {
      const g = b.add({ patch: { a: 1 } });
      return [g, b.add({ patch: { a: 2 }, uuid: g.uuid })];
    },
    expected: { valid: false, order: [0, 1], verified: 1, problems: [{ index: 1, code: 'DUPLICATE_UUID' }] },
  },
  {
    name: 'kv-prev-mismatch',
    description: 'a write whose previous names no write of the chain',
    build: (b) => [b.add({ patch: { a: 1 } }), b.make({ patch: { a: 2 }, previous: bytesToBase64(new Uint8Array(65)) })],
    expected: { valid: false, order: [0], verified: 1, problems: [{ index: 1, code: 'PREV_MISMATCH', unplaced: true }] },
  },
  {
    name: 'kv-payload-mismatch',
    description: 'the stored sign_payload differs from the fields (patch edited after signing)',
    build: (b) => {
      const w = b.add({ patch: { a: 1 } });
      return [{ ...w, patch: { a: 2 } }];
    },
    expected: { valid: false, order: [0], verified: 0, problems: [{ index: 0, code: 'PAYLOAD_MISMATCH' }] },
  },
  {
    name: 'kv-legacy-not-allowed',
    description: 'a persona-keyed payload where legacy payloads are not accepted (a live write)',
    build: (b) => [b.add({ patch: { a: 1 }, legacy: true })],
    expected: { valid: false, order: [0], verified: 0, problems: [{ index: 0, code: 'PAYLOAD_MISMATCH' }] },
  },
];

function buildVector(c: Case): KvChainVector {
  const sk = secretKey(c.name);
  const b = new KvChainBuilder(c.name, sk);
  const writes = c.build(b);
  const v = { name: c.name, description: c.description, avatar: b.avatar.id, public_key: b.avatar.uncompressedHex, secret_key: bytesToHex(sk), allow_legacy: c.allow_legacy ?? false, writes };
  const actual = kvOutcomeOf(v);
  const { contents, ...claim } = c.expected;
  const { contents: actualContents, ...got } = actual;
  if (JSON.stringify(claim) !== JSON.stringify(got)) throw new Error(`${c.name}: verifyKvChain gives ${JSON.stringify(got)}, the vector claims ${JSON.stringify(claim)}`);
  if (contents && JSON.stringify(contents) !== JSON.stringify(actualContents.map((x) => x.content))) throw new Error(`${c.name}: contents differ from the claim`);
  return { ...v, expected: actual };
}

export function buildKvVectorFiles(): Record<'kv-chains-good.json' | 'kv-chains-bad.json', string> {
  const text = (description: string, cases: Case[]) => `${JSON.stringify({ format: KV_VECTOR_FORMAT, description, vectors: cases.map(buildVector) }, null, 2)}\n`;
  return {
    'kv-chains-good.json': text('Valid KV chains (SPEC §8). Generated by scripts/gen-kv-vectors.ts; do not edit. Check: verifyKvChain(parsePublicKey(avatar), writes, {allowLegacy: allow_legacy}) gives `expected`; contents = RFC 7396 merges of the verified writes.', good),
    'kv-chains-bad.json': text('Invalid KV chains and the problems verifyKvChain must report. Generated by scripts/gen-kv-vectors.ts; do not edit.', bad),
  };
}

function main(): void {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [name, content] of Object.entries(buildKvVectorFiles())) {
    const path = join(VECTOR_DIR, name);
    const summary = { file: relative(process.cwd(), path), bytes: Buffer.byteLength(content) };
    if (check) {
      let current = '';
      try {
        current = readFileSync(path, 'utf8');
      } catch {
        /* missing counts as stale */
      }
      if (current !== content) stale++;
      console.log(JSON.stringify({ ...summary, up_to_date: current === content }));
    } else {
      writeFileSync(path, content);
      console.log(JSON.stringify({ ...summary, written: true }));
    }
  }
  if (stale > 0) process.exitCode = 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
