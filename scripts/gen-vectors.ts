/**
 * Generates the reusable chain vector files test/vectors/chains-good.json and chains-bad.json.
 *
 *   node --import tsx scripts/gen-vectors.ts          # (re)write both files
 *   node --import tsx scripts/gen-vectors.ts --check  # exit 1 if the files differ from a fresh run
 *
 * Everything is deterministic: secret keys are sha256 of fixed labels, signatures are RFC 6979
 * (personalSign) and RFC 8032 (ed25519), uuids are hashes of fixed labels, timestamps fixed. So
 * regenerating gives identical bytes, and test/core/chain-vectors.test.ts compares the files
 * with a fresh run of `buildVectorFiles()` so that they cannot silently rot.
 *
 * Each vector states its expected verifyChain outcome by hand (never computed by verifyChain);
 * generation fails when verifyChain disagrees, so a file is never written with a wrong claim.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  buildLegacySignPayload,
  buildSignPayload,
  bytesToBase64,
  bytesToHex,
  canonicalSignature,
  decodeSignature,
  expectedPayload,
  isWalletPlatform,
  judgingOrder,
  nobleBackend,
  normalizeIdentity,
  parsePublicKey,
  personalSign,
  publicKeyOf,
  samePrev,
  utf8,
  UUID_RE,
  verifyChain,
  verifyItem,
  type Action,
  type AvatarKey,
  type ErrorCode,
  type Link,
} from '../src/core/index.js';

export const VECTOR_FORMAT = 'proofkeep-chain-vectors/1';

export interface ExpectedProblem {
  /** chain position when the link was placed, else input position (with `unplaced: true`) */
  index: number;
  code: ErrorCode;
  unplaced?: true;
}

export interface ExpectedOutcome {
  valid: boolean;
  /** input positions of the links in chain order (what orderChain places) */
  order: number[];
  /** length of the verified prefix of `order` */
  verified: number;
  /** sorted: placed first by index, then unplaced by index */
  problems: ExpectedProblem[];
}

export interface ChainVector {
  name: string;
  description: string;
  /** canonical avatar id (0x + compressed) */
  avatar: string;
  /** the chain document's avatar.public_key (0x04 + 128 hex) */
  public_key: string;
  /** test-only secret keys (hex) that made the signatures, so consumers can extend the chains */
  secret_keys: Record<string, string>;
  /** verifyChain options the outcome holds for */
  allow_legacy: boolean;
  /** links in chain-document form (SPEC §5), in file order (possibly shuffled) */
  links: Link[];
  expected: ExpectedOutcome;
  /**
   * The links in judging order (the order a feed, a mirror or an import takes them in: the
   * placed chain, then the rest, parents first), each with the judge's code (null = accepted)
   * and whether a POST /v1/proof body can carry it: the body has no prev (the server assumes
   * the head, or infers the head's own prev from a signature that verifies over it) and no
   * signature_payload, lowercases the uuid and normalizes the identity, takes only enabled
   * platforms and low-s signatures. After an accepted link submit cannot carry, it carries none.
   */
  feed: FeedVerdict[];
}

export interface FeedVerdict {
  /** input position in `links` */
  index: number;
  code: ErrorCode | null;
  submit: boolean;
}

export interface VectorFile {
  format: string;
  description: string;
  /** the created_at window the verdicts hold for (any `now` from 2023-11-15 to 2096 gives the same) */
  window: { now: number; skew_seconds: number };
  vectors: ChainVector[];
}

/** The judging clock of the files (unix seconds, 2027-01-15) and the daemon's default skew. */
export const VECTOR_WINDOW = { now: 1_800_000_000, skew_seconds: 600 } as const;
/** Platforms POST /v1/proof takes by default (config `server.platforms`). */
const SUBMIT_PLATFORMS = ['twitter', 'github', 'keybase', 'dns', 'discord', 'minds', 'activitypub', 'ethereum', 'solana'];

// ---------------------------------------------------------------------------------------------
// deterministic material

export function secretKey(label: string): Uint8Array {
  // sha256 of a label is a valid secp256k1 / ed25519 secret with overwhelming probability;
  // publicKeyOf below throws if one ever is not.
  return sha256(utf8(`proofkeep/test-vectors/key/${label}`));
}

function uuidFor(label: string): string {
  const h = sha256(utf8(`proofkeep/test-vectors/uuid/${label}`)).slice(0, 16);
  h[6] = (h[6]! & 0x0f) | 0x40;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = bytesToHex(h);
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
export function base58Encode(bytes: Uint8Array): string {
  let n = BigInt(`0x${bytesToHex(bytes) || '0'}`);
  let out = '';
  while (n > 0n) {
    out = B58[Number(n % 58n)]! + out;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    out = `1${out}`;
  }
  return out;
}

export function ethAddressOf(sk: Uint8Array): string {
  return parsePublicKey(`0x${bytesToHex(publicKeyOf(sk))}`).address;
}

export function solanaAddressOf(sk: Uint8Array): string {
  return base58Encode(ed25519.getPublicKey(sk));
}

/** The same signature with v spelled 27/28. */
function v27(sig: string): string {
  const b = Buffer.from(sig, 'base64');
  b[64] = b[64]! + 27;
  return b.toString('base64');
}

function hexForm(sig: string, upper = false): string {
  const h = Buffer.from(sig, 'base64').toString('hex');
  return `0x${upper ? h.toUpperCase() : h}`;
}

// ---------------------------------------------------------------------------------------------
// chain building

interface LinkSpec {
  action: Action;
  platform: string;
  identity: string;
  proof_location?: string | null;
  /** legacy 4-field payload, empty uuid and signature_payload */
  legacy?: boolean;
  /** override the prev (default: the builder's head); `undefined` means default */
  prev?: string | null;
  /** sign with this key instead of the avatar's */
  signer?: Uint8Array;
  /** ethereum or solana wallet secret: adds extra.wallet_signature */
  wallet?: Uint8Array;
  /** delete signed by the wallet alone (its signature is the link's signature) */
  walletOnly?: boolean;
  uuid?: string;
  created_at?: number;
}

export class ChainBuilder {
  readonly avatar: AvatarKey;
  readonly links: Link[] = [];
  head: string | null = null;
  private n = 0;

  constructor(
    readonly name: string,
    readonly sk: Uint8Array,
  ) {
    this.avatar = parsePublicKey(`0x${bytesToHex(publicKeyOf(sk))}`);
  }

  /** A signed link on top of the current head (not appended). */
  make(spec: LinkSpec): Link {
    const i = this.n++;
    const prev = spec.prev === undefined ? this.head : spec.prev;
    const created_at = spec.created_at ?? 1_700_000_000 + 1000 * i;
    const uuid = spec.legacy ? '' : (spec.uuid ?? uuidFor(`${this.name}/${i}`));
    const payload = spec.legacy
      ? buildLegacySignPayload({ action: spec.action, identity: spec.identity, platform: spec.platform, prev })
      : buildSignPayload({
          action: spec.action,
          created_at: String(created_at),
          identity: spec.identity,
          platform: spec.platform,
          prev,
          uuid,
          ...(isWalletPlatform(spec.platform) ? { persona: this.avatar.id } : {}),
        });
    const walletSig = (sk: Uint8Array): string =>
      spec.platform === 'solana' ? bytesToBase64(ed25519.sign(utf8(payload), sk)) : bytesToBase64(personalSign(payload, sk));
    let signature: string;
    const extra: Record<string, string> = {};
    if (spec.walletOnly) {
      if (!spec.wallet) throw new Error('walletOnly needs a wallet');
      signature = walletSig(spec.wallet);
    } else {
      signature = bytesToBase64(personalSign(payload, spec.signer ?? this.sk));
      if (spec.wallet) extra['wallet_signature'] = walletSig(spec.wallet);
    }
    return {
      prev,
      action: spec.action,
      platform: spec.platform,
      identity: spec.identity,
      proof_location: spec.proof_location ?? null,
      created_at,
      uuid,
      signature,
      signature_payload: spec.legacy ? '' : payload,
      extra,
    };
  }

  add(spec: LinkSpec): Link {
    return this.push(this.make(spec));
  }

  /** Append a (possibly edited) link; the head becomes its stored signature. */
  push(link: Link): Link {
    this.links.push(link);
    this.head = canonicalSignature(link.signature) ?? link.signature;
    return link;
  }
}

interface Case {
  name: string;
  description: string;
  build(): { chain: ChainBuilder; links?: Link[]; keys?: Record<string, Uint8Array> };
  allowLegacy?: boolean;
  /** `feed`: the judging order when the unplaced links are not simply in input order */
  expected: { order?: number[]; verified?: number; problems?: ExpectedProblem[]; feed?: number[] };
}

const AVATAR = secretKey('avatar/alice');
const OTHER = secretKey('avatar/mallory');
const ETH_WALLET = secretKey('wallet/ethereum/alice');
const ETH_WALLET_2 = secretKey('wallet/ethereum/bob');
const SOL_WALLET = secretKey('wallet/solana/alice');
const SOL_WALLET_2 = secretKey('wallet/solana/bob');

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** File order for a permutation: file position k holds chain link perm[k]. */
function shuffle(links: Link[], perm: number[]): Link[] {
  return perm.map((i) => links[i]!);
}

/** The expected `order` (file positions in chain order) for the same permutation. */
function orderOf(perm: number[]): number[] {
  return range(perm.length).map((c) => perm.indexOf(c));
}

const SHUFFLE_7 = [4, 0, 6, 2, 5, 1, 3];

// ---------------------------------------------------------------------------------------------
// good chains

const good: Case[] = [
  {
    name: 'empty',
    description: 'An avatar with no links: trivially valid.',
    build: () => ({ chain: new ChainBuilder('good/empty', AVATAR) }),
    expected: {},
  },
  {
    name: 'create-delete-rebind',
    description: 'twitter and github created, both deleted, twitter bound again: every action, prev always the stored form.',
    build() {
      const c = new ChainBuilder('good/create-delete-rebind', AVATAR);
      c.add({ action: 'create', platform: 'twitter', identity: 'alice', proof_location: '1720000000000000001' });
      c.add({ action: 'create', platform: 'github', identity: 'alice-dev', proof_location: '0f3b2a9c8d7e6f5a4b3c2d1e0f9a8b7c' });
      c.add({ action: 'delete', platform: 'twitter', identity: 'alice' });
      c.add({ action: 'delete', platform: 'github', identity: 'alice-dev' });
      c.add({ action: 'create', platform: 'twitter', identity: 'alice', proof_location: '1720000000000000002' });
      return { chain: c };
    },
    expected: {},
  },
  {
    name: 'many-platforms',
    description: 'twitter, github, keybase, dns, discord (case kept), activitypub, minds, dotbit, ens and a foreign platform (steam) on one avatar.',
    build() {
      const c = new ChainBuilder('good/many-platforms', AVATAR);
      c.add({ action: 'create', platform: 'twitter', identity: 'alice_99', proof_location: '1720000000000000003' });
      c.add({ action: 'create', platform: 'github', identity: 'alice-dev', proof_location: 'aa0f3b2a9c8d7e6f5a4b3c2d1e0f9a8b' });
      c.add({ action: 'create', platform: 'keybase', identity: 'alice_kb' });
      c.add({ action: 'create', platform: 'dns', identity: 'alice.example.org' });
      c.add({ action: 'create', platform: 'discord', identity: 'Alice#1234', proof_location: 'https://discord.com/channels/1/2/3' });
      c.add({ action: 'create', platform: 'activitypub', identity: 'Alice@Mastodon.Social', proof_location: 'https://mastodon.social/@Alice/111' });
      c.add({ action: 'create', platform: 'minds', identity: 'alice', proof_location: '1555000000000000000' });
      c.add({ action: 'create', platform: 'dotbit', identity: 'alice.bit' });
      c.add({ action: 'create', platform: 'ens', identity: 'alice.eth' });
      c.add({ action: 'create', platform: 'steam', identity: '76561197960287930' });
      return { chain: c };
    },
    expected: {},
  },
  {
    name: 'ethereum-wallet',
    description:
      'ethereum create (avatar + wallet signatures, persona payload), delete by the avatar alone, create again, delete by avatar + wallet, create again, delete by the wallet alone (its signature is the link signature), then a twitter link whose prev is that wallet signature.',
    build() {
      const c = new ChainBuilder('good/ethereum-wallet', AVATAR);
      const addr = ethAddressOf(ETH_WALLET);
      c.add({ action: 'create', platform: 'ethereum', identity: addr, wallet: ETH_WALLET });
      c.add({ action: 'delete', platform: 'ethereum', identity: addr });
      c.add({ action: 'create', platform: 'ethereum', identity: addr, wallet: ETH_WALLET });
      c.add({ action: 'delete', platform: 'ethereum', identity: addr, wallet: ETH_WALLET });
      c.add({ action: 'create', platform: 'ethereum', identity: addr, wallet: ETH_WALLET });
      c.add({ action: 'delete', platform: 'ethereum', identity: addr, wallet: ETH_WALLET, walletOnly: true });
      c.add({ action: 'create', platform: 'twitter', identity: 'alice', proof_location: '1720000000000000004' });
      return { chain: c, keys: { ethereum_wallet: ETH_WALLET } };
    },
    expected: {},
  },
  {
    name: 'solana-wallet',
    description:
      'solana create (avatar personal_sign + ed25519 wallet signature over the payload bytes, base58 address), delete by the avatar, create again, delete by the wallet alone (ed25519 signature as the link signature), then a github link after it.',
    build() {
      const c = new ChainBuilder('good/solana-wallet', AVATAR);
      const addr = solanaAddressOf(SOL_WALLET);
      c.add({ action: 'create', platform: 'solana', identity: addr, wallet: SOL_WALLET });
      c.add({ action: 'delete', platform: 'solana', identity: addr });
      c.add({ action: 'create', platform: 'solana', identity: addr, wallet: SOL_WALLET });
      c.add({ action: 'delete', platform: 'solana', identity: addr, wallet: SOL_WALLET, walletOnly: true });
      c.add({ action: 'create', platform: 'github', identity: 'alice-dev', proof_location: 'bb0f3b2a9c8d7e6f5a4b3c2d1e0f9a8b' });
      return { chain: c, keys: { solana_wallet: SOL_WALLET } };
    },
    expected: {},
  },
  {
    name: 'unicode-and-go-escapes',
    description:
      'Identities with non-ASCII (raw UTF-8 in the payload), < > & (signed as \\u003c \\u003e \\u0026) and U+2028/U+2029 (signed as \\u2028 \\u2029): the payload is Go encoding/json, not JSON.stringify.',
    build() {
      const c = new ChainBuilder('good/unicode-and-go-escapes', AVATAR);
      c.add({ action: 'create', platform: 'discord', identity: 'Zoë_日本🐴', proof_location: 'https://discord.com/channels/1/2/4' });
      c.add({ action: 'create', platform: 'discord', identity: 'a<b>&c', proof_location: 'https://discord.com/channels/1/2/5' });
      c.add({ action: 'create', platform: 'steam', identity: 'line\u2028sep\u2029para' });
      c.add({ action: 'create', platform: 'steam', identity: '</script>&amp;"quoted"\\' });
      c.add({ action: 'delete', platform: 'discord', identity: 'Zoë_日本🐴' });
      return { chain: c };
    },
    expected: {},
  },
  {
    name: 'v27-spellings',
    description:
      'prev written with v=27/28 (base64), as 0x-hex (lower and upper case), and a link whose own signature is stored with v=27/28 or as hex: all equal to the v∈{0,1} stored form.',
    build() {
      const c = new ChainBuilder('good/v27-spellings', AVATAR);
      c.add({ action: 'create', platform: 'twitter', identity: 'alice', proof_location: '1720000000000000005' });
      c.add({ action: 'create', platform: 'github', identity: 'alice-dev', prev: v27(c.head!) });
      c.add({ action: 'create', platform: 'keybase', identity: 'alice_kb', prev: hexForm(c.head!) });
      c.add({ action: 'create', platform: 'dns', identity: 'alice.example.org', prev: hexForm(v27(c.head!), true) });
      const l = c.make({ action: 'delete', platform: 'github', identity: 'alice-dev' });
      c.push({ ...l, signature: v27(l.signature) });
      const m = c.make({ action: 'delete', platform: 'keybase', identity: 'alice_kb' });
      c.push({ ...m, signature: hexForm(m.signature) });
      c.add({ action: 'delete', platform: 'dns', identity: 'alice.example.org' });
      return { chain: c };
    },
    expected: {},
  },
  {
    name: 'base64-begins-0x',
    description:
      'A genesis signature whose base64 happens to begin with "0x" (1 in 2048 do; identity found by search): it is base64, not hex. The next link names it as prev in its v=27/28 spelling.',
    build() {
      const c = new ChainBuilder('good/base64-begins-0x', AVATAR);
      const l = c.add({ action: 'create', platform: 'twitter', identity: 'alice1762' });
      if (!/^0[xX]/.test(l.signature)) throw new Error('base64-begins-0x: the genesis signature no longer begins with 0x');
      c.add({ action: 'create', platform: 'github', identity: 'alice-dev', prev: v27(l.signature) });
      c.add({ action: 'delete', platform: 'twitter', identity: 'alice1762' });
      return { chain: c };
    },
    expected: {},
  },
  {
    name: 'legacy-links',
    description:
      'Links made before 2022-03-15: 4-field payload {action,identity,platform,prev}, empty uuid and signature_payload, rebuilt by the verifier; then standard links on top.',
    allowLegacy: true,
    build() {
      const c = new ChainBuilder('good/legacy-links', AVATAR);
      c.add({ action: 'create', platform: 'twitter', identity: 'alice', legacy: true, proof_location: '1469221200140574720', created_at: 1_648_023_422 });
      c.add({ action: 'create', platform: 'keybase', identity: 'alice_kb', legacy: true, created_at: 1_648_023_500 });
      c.add({ action: 'delete', platform: 'twitter', identity: 'alice', legacy: true, created_at: 1_648_023_600 });
      c.add({ action: 'create', platform: 'twitter', identity: 'alice', proof_location: '1720000000000000006' });
      c.add({ action: 'create', platform: 'github', identity: 'alice-dev' });
      return { chain: c };
    },
    expected: {},
  },
  {
    name: 'shuffled-order',
    description: 'Seven links in a shuffled array order: verifyChain orders them by prev pointers, not array order.',
    build() {
      const c = new ChainBuilder('good/shuffled-order', AVATAR);
      const addr = ethAddressOf(ETH_WALLET);
      c.add({ action: 'create', platform: 'twitter', identity: 'alice', proof_location: '1720000000000000007' });
      c.add({ action: 'create', platform: 'ethereum', identity: addr, wallet: ETH_WALLET });
      c.add({ action: 'create', platform: 'github', identity: 'alice-dev' });
      c.add({ action: 'delete', platform: 'twitter', identity: 'alice' });
      c.add({ action: 'create', platform: 'dns', identity: 'alice.example.org' });
      c.add({ action: 'delete', platform: 'ethereum', identity: addr, wallet: ETH_WALLET, walletOnly: true });
      c.add({ action: 'create', platform: 'twitter', identity: 'alice', proof_location: '1720000000000000008' });
      return { chain: c, links: shuffle(c.links, SHUFFLE_7), keys: { ethereum_wallet: ETH_WALLET } };
    },
    expected: { order: orderOf(SHUFFLE_7) },
  },
  {
    name: 'reversed-order',
    description: 'A chain given newest first.',
    build() {
      const c = new ChainBuilder('good/reversed-order', AVATAR);
      c.add({ action: 'create', platform: 'twitter', identity: 'alice' });
      c.add({ action: 'create', platform: 'github', identity: 'alice-dev' });
      c.add({ action: 'delete', platform: 'twitter', identity: 'alice' });
      return { chain: c, links: [...c.links].reverse() };
    },
    expected: { order: [2, 1, 0] },
  },
];

// ---------------------------------------------------------------------------------------------
// bad chains

/** three plain links; `edit(builder, i)` may replace how link i is made */
function threeLinks(name: string, at: number, make: (c: ChainBuilder, spec: LinkSpec) => Link, total = 3): ChainBuilder {
  const c = badChain(name);
  const specs: LinkSpec[] = [
    { action: 'create', platform: 'twitter', identity: 'alice', proof_location: '1720000000000000009' },
    { action: 'create', platform: 'github', identity: 'alice-dev' },
    { action: 'create', platform: 'dns', identity: 'alice.example.org' },
    { action: 'delete', platform: 'twitter', identity: 'alice' },
  ];
  for (let i = 0; i < total; i++) {
    if (i === at) c.push(make(c, specs[i]!));
    else c.add(specs[i]!);
  }
  return c;
}

/**
 * Each bad chain has its own Avatar (key = hash of the vector's name), so that all of them can
 * go through one daemon, one mirror and one audit run side by side (test/core/judge-paths.test.ts).
 */
function badChain(name: string): ChainBuilder {
  return new ChainBuilder(name, secretKey(`avatar/${name}`));
}

const placed = (index: number, code: ErrorCode): ExpectedProblem => ({ index, code });
const unplaced = (index: number, code: ErrorCode): ExpectedProblem => ({ index, code, unplaced: true });

/** A valid signature of this avatar that is in no chain of this file. */
function strayHead(): string {
  return new ChainBuilder('bad/stray', AVATAR).make({ action: 'create', platform: 'twitter', identity: 'stray' }).signature;
}

const bad: Case[] = [
  {
    name: 'wrong-prev-tail',
    description: 'The last link names (and signs) a prev that is no link of this chain.',
    build: () => ({ chain: threeLinks('bad/wrong-prev-tail', 2, (c, s) => c.make({ ...s, prev: strayHead() })) }),
    expected: { order: [0, 1], verified: 2, problems: [unplaced(2, 'PREV_MISMATCH')] },
  },
  {
    name: 'wrong-prev-middle',
    description: 'Link 1 names a foreign prev; link 2 hangs off link 1 and so cannot be placed either (BROKEN_ANCESTOR).',
    build: () => ({ chain: threeLinks('bad/wrong-prev-middle', 1, (c, s) => c.make({ ...s, prev: strayHead() }), 4) }),
    expected: { order: [0], verified: 1, problems: [unplaced(1, 'PREV_MISMATCH'), unplaced(2, 'BROKEN_ANCESTOR'), unplaced(3, 'BROKEN_ANCESTOR')] },
  },
  {
    name: 'no-genesis',
    description: 'No link has prev = null: the first link names a foreign prev, the others hang off it.',
    build: () => ({ chain: threeLinks('bad/no-genesis', 0, (c, s) => c.make({ ...s, prev: strayHead() })) }),
    expected: { order: [], verified: 0, problems: [unplaced(0, 'PREV_MISMATCH'), unplaced(1, 'BROKEN_ANCESTOR'), unplaced(2, 'BROKEN_ANCESTOR')] },
  },
  {
    name: 'fork',
    description: 'Two validly signed links claim the same prev (link 0); the second in array order is the fork and its child hangs off it.',
    build() {
      const c = badChain('bad/fork');
      c.add({ action: 'create', platform: 'twitter', identity: 'alice' });
      const base = c.head;
      c.add({ action: 'create', platform: 'github', identity: 'alice-dev' });
      c.add({ action: 'create', platform: 'dns', identity: 'alice.example.org' });
      c.head = base;
      c.add({ action: 'create', platform: 'keybase', identity: 'alice_kb' });
      c.add({ action: 'create', platform: 'discord', identity: 'Alice#1234' });
      return { chain: c };
    },
    expected: { order: [0, 1, 2], verified: 3, problems: [unplaced(3, 'FORK'), unplaced(4, 'BROKEN_ANCESTOR')] },
  },
  {
    name: 'fork-at-genesis',
    description: 'Two links with prev = null.',
    build() {
      const c = badChain('bad/fork-at-genesis');
      c.add({ action: 'create', platform: 'twitter', identity: 'alice' });
      c.add({ action: 'create', platform: 'github', identity: 'alice-dev', prev: null });
      return { chain: c };
    },
    expected: { order: [0], verified: 1, problems: [unplaced(1, 'FORK')] },
  },
  {
    name: 'tampered-identity',
    description: 'identity changed after signing, signature_payload left as signed: the rebuilt payload differs (PAYLOAD_MISMATCH).',
    build: () => ({ chain: threeLinks('bad/tampered-identity', 1, (c, s) => ({ ...c.make(s), identity: 'mallory' })) }),
    expected: { order: [0, 1, 2], verified: 1, problems: [placed(1, 'PAYLOAD_MISMATCH'), placed(2, 'BROKEN_ANCESTOR')] },
  },
  {
    name: 'tampered-identity-and-payload',
    description: 'identity changed after signing and signature_payload rewritten to match: the signature no longer verifies.',
    build: () => ({
      chain: threeLinks('bad/tampered-identity-and-payload', 1, (c, s) => {
        const l = c.make(s);
        return { ...l, identity: 'mallory', signature_payload: l.signature_payload.replace('"identity":"alice-dev"', '"identity":"mallory"') };
      }),
    }),
    expected: { order: [0, 1, 2], verified: 1, problems: [placed(1, 'SIGNATURE_MISMATCH'), placed(2, 'BROKEN_ANCESTOR')] },
  },
  {
    name: 'tampered-created-at',
    description: 'created_at changed after signing, on a link served without signature_payload: SIGNATURE_MISMATCH.',
    build: () => ({
      chain: threeLinks('bad/tampered-created-at', 2, (c, s) => {
        const l = c.make(s);
        return { ...l, created_at: l.created_at + 1, signature_payload: '' };
      }),
    }),
    expected: { order: [0, 1, 2], verified: 2, problems: [placed(2, 'SIGNATURE_MISMATCH')] },
  },
  {
    name: 'tampered-signature-payload',
    description: 'signature_payload edited (another identity) while the fields are as signed: PAYLOAD_MISMATCH.',
    build: () => ({
      chain: threeLinks('bad/tampered-signature-payload', 0, (c, s) => {
        const l = c.make(s);
        return { ...l, signature_payload: l.signature_payload.replace('"identity":"alice"', '"identity":"alicf"') };
      }),
    }),
    expected: { order: [0, 1, 2], verified: 0, problems: [placed(0, 'PAYLOAD_MISMATCH'), placed(1, 'BROKEN_ANCESTOR'), placed(2, 'BROKEN_ANCESTOR')] },
  },
  {
    name: 'payload-json-stringify-escapes',
    description: 'An identity with <>& signed over a JSON.stringify payload (no Go escapes): not the payload the verifier rebuilds.',
    build() {
      const c = badChain('bad/payload-json-stringify-escapes');
      const l = c.make({ action: 'create', platform: 'discord', identity: 'a<b>&c' });
      const plain = JSON.stringify({ action: l.action, created_at: String(l.created_at), identity: l.identity, platform: l.platform, prev: null, uuid: l.uuid });
      c.push({ ...l, signature: bytesToBase64(personalSign(plain, c.sk)), signature_payload: plain });
      return { chain: c };
    },
    expected: { order: [0], verified: 0, problems: [placed(0, 'PAYLOAD_MISMATCH')] },
  },
  {
    name: 'reordered-links',
    description: 'Links 1 and 2 swapped by editing their prev fields (signatures and payloads untouched): link 2 now follows link 0 and its payload no longer matches.',
    build() {
      const c = threeLinks('bad/reordered-links', -1, (cc, s) => cc.make(s));
      const [l0, l1, l2] = c.links as [Link, Link, Link];
      return { chain: c, links: [l0, { ...l1, prev: l2.signature }, { ...l2, prev: l0.signature }] };
    },
    expected: { order: [0, 2, 1], verified: 1, problems: [placed(1, 'PAYLOAD_MISMATCH'), placed(2, 'BROKEN_ANCESTOR')] },
  },
  {
    name: 'reordered-links-no-payload',
    description: 'As reordered-links, on links served without signature_payload: the signatures no longer verify.',
    build() {
      const c = threeLinks('bad/reordered-links-no-payload', -1, (cc, s) => cc.make(s));
      const [l0, l1, l2] = c.links.map((l) => ({ ...l, signature_payload: '' })) as [Link, Link, Link];
      return { chain: c, links: [l0, { ...l1, prev: l2.signature }, { ...l2, prev: l0.signature }] };
    },
    expected: { order: [0, 2, 1], verified: 1, problems: [placed(1, 'SIGNATURE_MISMATCH'), placed(2, 'BROKEN_ANCESTOR')] },
  },
  ...(
    [
      ['short', (s: string) => Buffer.from(s, 'base64').subarray(0, 64).toString('base64')],
      ['junk', () => 'this is not a signature at all!!'],
      ['v5', (s: string) => {
        const b = Buffer.from(s, 'base64');
        b[64] = 5;
        return b.toString('base64');
      }],
      ['unpadded', (s: string) => s.replace(/=+$/, '')],
    ] as Array<[string, (s: string) => string]>
  ).map(
    ([kind, spoil]): Case => ({
      name: `bad-signature-encoding-${kind}`,
      description: `Link 1's signature is not a decodable 65-byte signature (${kind}); link 2 names it as prev verbatim.`,
      build: () => ({ chain: threeLinks(`bad/bad-signature-encoding-${kind}`, 1, (c, s) => {
        const l = c.make(s);
        return { ...l, signature: spoil(l.signature) };
      }) }),
      expected: { order: [0, 1, 2], verified: 1, problems: [placed(1, 'BAD_SIGNATURE_ENCODING'), placed(2, 'BROKEN_ANCESTOR')] },
    }),
  ),
  {
    name: 'duplicate-uuid',
    description: 'Link 2 is validly signed but reuses link 1\'s uuid (a replay).',
    build() {
      const c = badChain('bad/duplicate-uuid');
      c.add({ action: 'create', platform: 'twitter', identity: 'alice' });
      const l1 = c.add({ action: 'create', platform: 'github', identity: 'alice-dev' });
      c.add({ action: 'delete', platform: 'github', identity: 'alice-dev', uuid: l1.uuid });
      c.add({ action: 'create', platform: 'dns', identity: 'alice.example.org' });
      return { chain: c };
    },
    expected: { order: [0, 1, 2, 3], verified: 2, problems: [placed(2, 'DUPLICATE_UUID'), placed(3, 'BROKEN_ANCESTOR')] },
  },
  {
    name: 'wrong-wallet-ethereum',
    description: 'ethereum create whose wallet_signature was made by another wallet than the bound address.',
    build() {
      const c = badChain('bad/wrong-wallet-ethereum');
      c.add({ action: 'create', platform: 'twitter', identity: 'alice' });
      c.add({ action: 'create', platform: 'ethereum', identity: ethAddressOf(ETH_WALLET), wallet: ETH_WALLET_2 });
      return { chain: c, keys: { ethereum_wallet: ETH_WALLET, ethereum_wallet_2: ETH_WALLET_2 } };
    },
    expected: { order: [0, 1], verified: 1, problems: [placed(1, 'WALLET_SIGNATURE_MISMATCH')] },
  },
  {
    name: 'missing-wallet-signature',
    description: 'ethereum create with no wallet_signature at all.',
    build() {
      const c = badChain('bad/missing-wallet-signature');
      c.add({ action: 'create', platform: 'ethereum', identity: ethAddressOf(ETH_WALLET) });
      return { chain: c, keys: { ethereum_wallet: ETH_WALLET } };
    },
    expected: { order: [0], verified: 0, problems: [placed(0, 'WALLET_SIGNATURE_MISMATCH')] },
  },
  {
    name: 'wrong-wallet-solana',
    description: 'solana create whose ed25519 wallet_signature was made by another key than the bound address.',
    build() {
      const c = badChain('bad/wrong-wallet-solana');
      c.add({ action: 'create', platform: 'solana', identity: solanaAddressOf(SOL_WALLET), wallet: SOL_WALLET_2 });
      return { chain: c, keys: { solana_wallet: SOL_WALLET, solana_wallet_2: SOL_WALLET_2 } };
    },
    expected: { order: [0], verified: 0, problems: [placed(0, 'WALLET_SIGNATURE_MISMATCH')] },
  },
  {
    name: 'wallet-only-delete-wrong-wallet',
    description: 'ethereum delete signed by another wallet alone: neither the avatar nor the bound wallet signed it.',
    build() {
      const c = badChain('bad/wallet-only-delete-wrong-wallet');
      const addr = ethAddressOf(ETH_WALLET);
      c.add({ action: 'create', platform: 'ethereum', identity: addr, wallet: ETH_WALLET });
      c.add({ action: 'delete', platform: 'ethereum', identity: addr, wallet: ETH_WALLET_2, walletOnly: true });
      return { chain: c, keys: { ethereum_wallet: ETH_WALLET, ethereum_wallet_2: ETH_WALLET_2 } };
    },
    expected: { order: [0, 1], verified: 1, problems: [placed(1, 'SIGNATURE_MISMATCH')] },
  },
  {
    name: 'wallet-only-create',
    description: 'ethereum create signed by the wallet alone: a create needs the avatar\'s signature too.',
    build() {
      const c = badChain('bad/wallet-only-create');
      c.add({ action: 'create', platform: 'ethereum', identity: ethAddressOf(ETH_WALLET), wallet: ETH_WALLET, walletOnly: true });
      return { chain: c, keys: { ethereum_wallet: ETH_WALLET } };
    },
    expected: { order: [0], verified: 0, problems: [placed(0, 'SIGNATURE_MISMATCH')] },
  },
  {
    name: 'signed-by-another-key',
    description: 'Link 1 is well formed but signed by another avatar\'s key.',
    build: () => ({ chain: threeLinks('bad/signed-by-another-key', 1, (c, s) => c.make({ ...s, signer: OTHER })), keys: { other: OTHER } }),
    expected: { order: [0, 1, 2], verified: 1, problems: [placed(1, 'SIGNATURE_MISMATCH'), placed(2, 'BROKEN_ANCESTOR')] },
  },
  {
    name: 'legacy-tampered-identity',
    description: 'A legacy 4-field link whose identity was changed: the rebuilt legacy payload is not what was signed.',
    allowLegacy: true,
    build() {
      const c = badChain('bad/legacy-tampered-identity');
      const l = c.make({ action: 'create', platform: 'twitter', identity: 'alice', legacy: true });
      c.push({ ...l, identity: 'mallory' });
      c.add({ action: 'create', platform: 'github', identity: 'alice-dev' });
      return { chain: c };
    },
    expected: { order: [0, 1], verified: 0, problems: [placed(0, 'SIGNATURE_MISMATCH'), placed(1, 'BROKEN_ANCESTOR')] },
  },
  {
    name: 'legacy-not-allowed',
    description: 'A valid legacy link checked without allowing legacy links (as POST /v1/proof would): BAD_UUID.',
    allowLegacy: false,
    build() {
      const c = badChain('bad/legacy-not-allowed');
      c.add({ action: 'create', platform: 'twitter', identity: 'alice', legacy: true });
      return { chain: c };
    },
    expected: { order: [0], verified: 0, problems: [placed(0, 'BAD_UUID')] },
  },
  {
    name: 'uppercase-uuid',
    description: 'A uuid in upper case (signed as such): not a canonical uuid.',
    build() {
      const c = badChain('bad/uppercase-uuid');
      c.add({ action: 'create', platform: 'twitter', identity: 'alice', uuid: uuidFor('bad/uppercase-uuid').toUpperCase() });
      return { chain: c };
    },
    expected: { order: [0], verified: 0, problems: [placed(0, 'BAD_UUID')] },
  },
  {
    name: 'empty-signature',
    description:
      'Link 1 has an empty signature (the deployed service\'s GitHub/Steam validators stored none): UNVERIFIABLE; link 2 names the empty signature as prev and link 3 follows it: BROKEN_ANCESTOR.',
    build: () => ({
      chain: threeLinks('bad/empty-signature', 1, (c, s) => ({ ...c.make(s), signature: '' }), 4),
    }),
    expected: { order: [0, 1], verified: 1, problems: [placed(1, 'UNVERIFIABLE'), unplaced(2, 'BROKEN_ANCESTOR'), unplaced(3, 'BROKEN_ANCESTOR')] },
  },
  {
    name: 'empty-signature-genesis',
    description: 'The genesis link has an empty signature; the next link names it and cannot be placed.',
    build: () => ({
      chain: threeLinks('bad/empty-signature-genesis', 0, (c, s) => ({ ...c.make(s), signature: '' }), 2),
    }),
    expected: { order: [0], verified: 0, problems: [placed(0, 'UNVERIFIABLE'), unplaced(1, 'BROKEN_ANCESTOR')] },
  },
  {
    name: 'shuffled-with-fork',
    description: 'A shuffled chain with a fork: the link first in array order among the two wins, the other is the FORK.',
    build() {
      const c = badChain('bad/shuffled-with-fork');
      c.add({ action: 'create', platform: 'twitter', identity: 'alice' });
      c.add({ action: 'create', platform: 'github', identity: 'alice-dev' });
      const base = c.head;
      c.add({ action: 'create', platform: 'dns', identity: 'alice.example.org' });
      c.head = base;
      c.add({ action: 'create', platform: 'keybase', identity: 'alice_kb' });
      // file order: keybase (fork branch, wins by array order), dns, github, twitter
      return { chain: c, links: [c.links[3]!, c.links[2]!, c.links[1]!, c.links[0]!] };
    },
    expected: { order: [3, 2, 0], verified: 3, problems: [unplaced(1, 'FORK')] },
  },
  // Cases where the paths' verdicts used to differ (one judge, one order now).
  {
    name: 'forged-fork',
    description:
      'A link that both forks (prev = the genesis, which already has a successor) and is signed by another key: FORK, the chain step comes before the signature (the mirror used to say SIGNATURE_MISMATCH). Submit cannot carry it: it can only see which prev a signature was made over when the signature verifies.',
    build() {
      const c = badChain('bad/forged-fork');
      const l0 = c.add({ action: 'create', platform: 'twitter', identity: 'alice' });
      c.add({ action: 'create', platform: 'github', identity: 'alice-dev' });
      c.push(c.make({ action: 'create', platform: 'keybase', identity: 'alice_kb', prev: l0.signature, signer: OTHER }));
      return { chain: c, keys: { other: OTHER } };
    },
    expected: { order: [0, 1], verified: 2, problems: [unplaced(2, 'FORK')] },
  },
  {
    name: 'forged-then-valid-sibling',
    description:
      'Link 1 is forged (another key); link 2 is a valid link on the same prev, and link 3 follows link 2. A forged link takes no place in the chain, so link 2 extends it and link 3 too (the document auditor used to call link 2 a FORK and link 3 BROKEN_ANCESTOR while import and the mirror accepted both).',
    build() {
      const c = badChain('bad/forged-then-valid-sibling');
      const l0 = c.add({ action: 'create', platform: 'twitter', identity: 'alice' });
      c.push(c.make({ action: 'create', platform: 'github', identity: 'mallory', signer: OTHER }));
      c.head = canonicalSignature(l0.signature);
      c.add({ action: 'create', platform: 'github', identity: 'alice-dev' });
      c.add({ action: 'create', platform: 'dns', identity: 'alice.example.org' });
      return { chain: c, keys: { other: OTHER } };
    },
    expected: { order: [0, 1], verified: 3, problems: [placed(1, 'SIGNATURE_MISMATCH')] },
  },
  {
    name: 'child-before-parent',
    description:
      'Link 1 names a foreign prev; link 2 hangs off link 1 but comes first in the file. Judged parents first, link 2 is BROKEN_ANCESTOR (bulk import used to take the file order and call it PREV_MISMATCH).',
    build() {
      const c = threeLinks('bad/child-before-parent', 1, (cc, sp) => cc.make({ ...sp, prev: strayHead() }));
      const [l0, l1, l2] = c.links as [Link, Link, Link];
      return { chain: c, links: [l0, l2, l1] };
    },
    expected: { order: [0], verified: 1, problems: [unplaced(2, 'PREV_MISMATCH'), unplaced(1, 'BROKEN_ANCESTOR')], feed: [2, 1] },
  },
  {
    name: 'future-created-at',
    description:
      'Link 1 is dated in 2096 (beyond the clock skew of any judging time the file holds for): BAD_CREATED_AT, and link 2 hangs off it (the mirror and the auditor used to accept both).',
    build: () => ({ chain: threeLinks('bad/future-created-at', 1, (c, sp) => c.make({ ...sp, created_at: 4_000_000_000 })) }),
    expected: { order: [0, 1, 2], verified: 1, problems: [placed(1, 'BAD_CREATED_AT'), placed(2, 'BROKEN_ANCESTOR')] },
  },
  {
    name: 'bad-platform-name',
    description:
      'Link 1 is validly signed for the platform "Twitter" (no platform name has capitals): UNKNOWN_PLATFORM, and link 2 hangs off it (the auditor used to accept both; import and the mirror rejected link 1 and called link 2 PREV_MISMATCH).',
    build: () => ({ chain: threeLinks('bad/bad-platform-name', 1, (c, sp) => c.make({ ...sp, platform: 'Twitter' })) }),
    expected: { order: [0, 1, 2], verified: 1, problems: [placed(1, 'UNKNOWN_PLATFORM'), placed(2, 'BROKEN_ANCESTOR')] },
  },
];

// ---------------------------------------------------------------------------------------------

export function vectorWindow() {
  return { now: VECTOR_WINDOW.now, skewSeconds: VECTOR_WINDOW.skew_seconds, maxAgeSeconds: 0 };
}

/** Can a POST /v1/proof body carry this link, with prev = the head (see FeedVerdict)? */
function carriedBySubmit(avatar: AvatarKey, l: Link): boolean {
  if (l.uuid === '' || !UUID_RE.test(l.uuid) || l.signature === '') return false;
  if (l.signature_payload !== '' && l.signature_payload !== expectedPayload(avatar, l)) return false;
  if (!SUBMIT_PLATFORMS.includes(l.platform)) return false;
  try {
    if (normalizeIdentity(l.platform, l.identity, true) !== l.identity) return false;
  } catch {
    return false;
  }
  const highS = (sig: string): boolean => {
    try {
      return decodeSignature(sig).highS;
    } catch {
      return false; // undecodable: the judge's BAD_SIGNATURE_ENCODING, on submit too
    }
  };
  if (l.platform !== 'solana' && highS(l.signature)) return false;
  const w = l.extra['wallet_signature'];
  return !(w !== undefined && l.platform === 'ethereum' && highS(w));
}

function feedOf(avatar: AvatarKey, links: Link[], order: number[], problems: ExpectedProblem[], feedOrder: number[] | undefined, allowLegacy: boolean): FeedVerdict[] {
  const codeAt = new Map<number, ErrorCode>();
  for (const p of problems) codeAt.set(p.unplaced ? p.index : order[p.index]!, p.code);
  const unplaced = links.map((_, i) => i).filter((i) => !order.includes(i));
  const feed = [...order, ...(feedOrder ?? unplaced)];
  let head: string | null = null;
  let headPrev: string | null = null;
  let diverged = false;
  return feed.map((index) => {
    const l = links[index]!;
    const code = codeAt.get(index) ?? null;
    let submit = !diverged && carriedBySubmit(avatar, l);
    if (submit && !samePrev(l.prev, head)) {
      // Only the head's own prev can be inferred, and only from a signature that verifies over it.
      submit = head !== null && samePrev(l.prev, headPrev) && verifyItem({ avatar, link: l, allowLegacy }, nobleBackend).ok;
    }
    if (code === null) {
      if (submit) {
        headPrev = head;
        head = canonicalSignature(l.signature) ?? l.signature;
      } else diverged = true;
    }
    return { index, code, submit };
  });
}

function sortProblems(p: ExpectedProblem[]): ExpectedProblem[] {
  return [...p].sort((a, b) => Number(a.unplaced === true) - Number(b.unplaced === true) || a.index - b.index || a.code.localeCompare(b.code));
}

/** What verifyChain reports, in the vector files' terms. */
export function outcomeOf(avatar: AvatarKey, links: Link[], allowLegacy: boolean): ExpectedOutcome {
  const r = verifyChain(avatar, links, { backend: nobleBackend, allowLegacy, window: vectorWindow() });
  const problems = sortProblems(r.problems.map((p) => (p.unplaced ? { index: p.index, code: p.code, unplaced: true as const } : { index: p.index, code: p.code })));
  return { valid: problems.length === 0, order: r.ordered.map((l) => links.indexOf(l)), verified: r.verified.length, problems };
}

function buildFile(cases: Case[], description: string): VectorFile {
  const vectors = cases.map((k): ChainVector => {
    const { chain, links = chain.links, keys = {} } = k.build();
    const n = links.length;
    const problems = sortProblems(k.expected.problems ?? []);
    const expected: ExpectedOutcome = {
      valid: problems.length === 0,
      order: k.expected.order ?? range(n),
      verified: k.expected.verified ?? n,
      problems,
    };
    const secret_keys: Record<string, string> = { avatar: bytesToHex(chain.sk) };
    for (const [name, sk] of Object.entries(keys)) secret_keys[name] = bytesToHex(sk);
    const allow = k.allowLegacy ?? true;
    // Guard: the hand-written expectation must be what verifyChain reports.
    const got = outcomeOf(chain.avatar, links, allow);
    if (JSON.stringify(got) !== JSON.stringify(expected)) {
      throw new Error(`vector ${k.name}: verifyChain reports ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
    }
    const feed = feedOf(chain.avatar, links, expected.order, problems, k.expected.feed, allow);
    // Guard: the hand-written feed order must be the core's judging order.
    const judged = judgingOrder(links);
    if (JSON.stringify(judged) !== JSON.stringify(feed.map((f) => f.index))) {
      throw new Error(`vector ${k.name}: judging order is ${JSON.stringify(judged)}, expected ${JSON.stringify(feed.map((f) => f.index))}`);
    }
    return {
      name: k.name,
      description: k.description,
      avatar: chain.avatar.id,
      public_key: chain.avatar.uncompressedHex,
      secret_keys,
      allow_legacy: allow,
      links,
      expected,
      feed,
    };
  });
  const names = new Set(vectors.map((v) => v.name));
  if (names.size !== vectors.length) throw new Error('duplicate vector names');
  return { format: VECTOR_FORMAT, description, window: { ...VECTOR_WINDOW }, vectors };
}

export const VECTOR_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'vectors');

/** Both files' exact contents, keyed by file name. */
export function buildVectorFiles(): Record<'chains-good.json' | 'chains-bad.json', string> {
  const text = (f: VectorFile): string => `${JSON.stringify(f, null, 2)}\n`;
  return {
    'chains-good.json': text(
      buildFile(
        good,
        'Valid proof chains (links in SPEC §5 document form). Generated by scripts/gen-vectors.ts; do not edit by hand. ' +
          'Check: verifyChain(parsePublicKey(avatar), links, {allowLegacy: allow_legacy}) gives `expected` (order = input positions in chain order).',
      ),
    ),
    'chains-bad.json': text(
      buildFile(
        bad,
        'Invalid proof chains and the problems verifyChain must report ({index, code}; index is the chain position, or the input position when `unplaced`), ' +
          'and `feed`: each link in judging order with the one judge\'s code, which submit, import, the mirror and the auditor must all give ' +
          '(test/core/judge-paths.test.ts). Generated by scripts/gen-vectors.ts; do not edit by hand.',
      ),
    ),
  };
}

function main(): void {
  const check = process.argv.includes('--check');
  const files = buildVectorFiles();
  let stale = 0;
  for (const [name, content] of Object.entries(files)) {
    const path = join(VECTOR_DIR, name);
    const vectors = (JSON.parse(content) as VectorFile).vectors;
    const summary = { file: relative(process.cwd(), path), vectors: vectors.length, links: vectors.reduce((n, v) => n + v.links.length, 0), bytes: Buffer.byteLength(content) };
    if (check) {
      let current = '';
      try {
        current = readFileSync(path, 'utf8');
      } catch {
        /* missing counts as stale */
      }
      const same = current === content;
      if (!same) stale++;
      console.log(JSON.stringify({ ...summary, up_to_date: same }));
    } else {
      writeFileSync(path, content);
      console.log(JSON.stringify({ ...summary, written: true }));
    }
  }
  if (stale > 0) process.exitCode = 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
