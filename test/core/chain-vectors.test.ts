/**
 * The generated chain vector files (test/vectors/chains-{good,bad}.json): verifyChain must give
 * exactly each vector's expected outcome, and the files must be exactly what
 * scripts/gen-vectors.ts produces (RFC 6979 signatures with the stated keys), so they cannot rot.
 */
import { readFileSync } from 'node:fs';
import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import {
  bytesToBase64,
  chainDocumentString,
  expectedPayload,
  linksFromProofchainItems,
  nobleBackend,
  parseLink,
  parsePublicKey,
  personalSign,
  publicKeyOf,
  toProofchainItem,
  utf8,
  verifyChain,
  type Link,
  type RecoveryBackend,
} from '../../src/core/index.js';
import { buildVectorFiles, outcomeOf, vectorWindow, type ChainVector, type ExpectedOutcome, type VectorFile } from '../../scripts/gen-vectors.js';
import { loadNativeBackend } from '../../src/crypto/native.js';
import { fromHex, hex, repoPath } from './helpers.js';

const FILES = ['chains-good.json', 'chains-bad.json'] as const;
const text = Object.fromEntries(FILES.map((f) => [f, readFileSync(repoPath('test', 'vectors', f), 'utf8')])) as Record<(typeof FILES)[number], string>;
const good = JSON.parse(text['chains-good.json']) as VectorFile;
const bad = JSON.parse(text['chains-bad.json']) as VectorFile;

/** Links as an importer would read them: through parseLink, from the JSON text. */
function linksOf(v: ChainVector): Link[] {
  return (JSON.parse(JSON.stringify(v.links)) as unknown[]).map(parseLink);
}

/** verifyChain's outcome in the files' terms, computed here (not with the generator's helper). */
function outcome(v: ChainVector, links: Link[], avatarForm = v.avatar, backend: RecoveryBackend = nobleBackend): ExpectedOutcome {
  const r = verifyChain(parsePublicKey(avatarForm), links, { backend, allowLegacy: v.allow_legacy, window: vectorWindow() });
  const problems = r.problems
    .map((p) => (p.unplaced ? { index: p.index, code: p.code, unplaced: true as const } : { index: p.index, code: p.code }))
    .sort((a, b) => Number('unplaced' in a) - Number('unplaced' in b) || a.index - b.index || a.code.localeCompare(b.code));
  return { valid: r.problems.length === 0, order: r.ordered.map((l) => links.indexOf(l)), verified: r.verified.length, problems };
}

describe('vector files are what the generator produces', () => {
  it('regenerating gives byte-identical files (signatures, uuids, expectations)', () => {
    const fresh = buildVectorFiles();
    for (const f of FILES) expect(fresh[f], `${f} is stale: run node --import tsx scripts/gen-vectors.ts`).toBe(text[f]);
  });

  it('the files cover what they promise', () => {
    expect(good.vectors.length).toBeGreaterThanOrEqual(10);
    expect(bad.vectors.length).toBeGreaterThanOrEqual(20);
    const goodLinks = good.vectors.flatMap((v) => v.links);
    expect(new Set(goodLinks.map((l) => l.action))).toEqual(new Set(['create', 'delete']));
    for (const p of ['twitter', 'github', 'dns', 'discord', 'activitypub', 'keybase', 'ethereum', 'solana']) {
      expect(goodLinks.some((l) => l.platform === p), p).toBe(true);
    }
    expect(goodLinks.some((l) => l.uuid === '' && l.signature_payload === '')).toBe(true);
    expect(goodLinks.some((l) => l.signature_payload.includes('\\u003c') && l.identity.includes('<'))).toBe(true);
    expect(goodLinks.some((l) => l.signature_payload.includes('\\u2028'))).toBe(true);
    expect(good.vectors.some((v) => v.expected.order.some((o, i) => o !== i))).toBe(true);
    const badCodes = new Set(bad.vectors.flatMap((v) => v.expected.problems.map((p) => p.code)));
    for (const c of [
      'PREV_MISMATCH',
      'FORK',
      'PAYLOAD_MISMATCH',
      'SIGNATURE_MISMATCH',
      'BAD_SIGNATURE_ENCODING',
      'DUPLICATE_UUID',
      'WALLET_SIGNATURE_MISMATCH',
      'UNVERIFIABLE',
      'BROKEN_ANCESTOR',
      'BAD_UUID',
      'BAD_CREATED_AT',
      'UNKNOWN_PLATFORM',
    ]) {
      expect(badCodes.has(c as never), c).toBe(true);
    }
    expect(bad.vectors.every((v) => !v.expected.valid && v.expected.problems.length > 0)).toBe(true);
  });

  it('every good signature is RFC 6979 / RFC 8032 output of the stated secret keys', () => {
    for (const v of good.vectors) {
      const avatar = parsePublicKey(v.avatar);
      const sk = fromHex(v.secret_keys['avatar']!);
      expect(parsePublicKey(`0x${hex(publicKeyOf(sk))}`).id).toBe(v.avatar);
      const wallets = Object.entries(v.secret_keys).filter(([k]) => k !== 'avatar');
      const r = verifyChain(avatar, linksOf(v), { backend: nobleBackend, allowLegacy: v.allow_legacy });
      for (const link of r.verified) {
        const payload = expectedPayload(avatar, link);
        const candidates = [bytesToBase64(personalSign(payload, sk))];
        for (const [name, wsk] of wallets) {
          const w = fromHex(wsk);
          candidates.push(name.startsWith('solana') ? bytesToBase64(ed25519.sign(utf8(payload), w)) : bytesToBase64(personalSign(payload, w)));
        }
        expect(candidates, `${v.name} ${link.uuid}`).toContain(link.signature);
        if (link.extra['wallet_signature']) expect(candidates.slice(1)).toContain(link.extra['wallet_signature']);
      }
    }
  });
});

describe('chains-good.json', () => {
  for (const v of good.vectors) {
    it(`${v.name}: valid`, () => {
      expect(v.expected.valid).toBe(true);
      expect(parsePublicKey(v.public_key).id).toBe(v.avatar);
      const links = linksOf(v);
      const got = outcome(v, links);
      expect(got).toEqual(v.expected);
      expect(got.verified).toBe(links.length);

      // the verified chain, pinned as a document and read back, verifies again to the same bytes
      const r = verifyChain(parsePublicKey(v.avatar), links, { backend: nobleBackend, allowLegacy: v.allow_legacy });
      const doc = chainDocumentString(v.public_key, r.verified);
      const reread = (JSON.parse(doc) as { links: unknown[] }).links.map(parseLink);
      const again = verifyChain(parsePublicKey(v.public_key), reread, { backend: nobleBackend, allowLegacy: v.allow_legacy });
      expect(again.problems).toEqual([]);
      expect(chainDocumentString(v.public_key, again.verified)).toBe(doc);

      // and as a /v1/proofchain response (no prev field: read from the payloads)
      const items = r.verified.map((l) => toProofchainItem(l));
      const fromItems = linksFromProofchainItems(JSON.parse(JSON.stringify(items)) as unknown[]);
      expect(verifyChain(parsePublicKey(v.avatar), fromItems, { backend: nobleBackend, allowLegacy: v.allow_legacy }).problems).toEqual([]);
    });
  }
});

describe('chains-bad.json', () => {
  for (const v of bad.vectors) {
    it(`${v.name}: ${v.expected.problems.map((p) => `${p.code}@${p.index}${p.unplaced ? '*' : ''}`).join(' ')}`, () => {
      expect(v.expected.valid).toBe(false);
      const links = linksOf(v);
      expect(outcome(v, links)).toEqual(v.expected);
      // the generator's own summary agrees with this file's independent one
      expect(outcomeOf(parsePublicKey(v.avatar), links, v.allow_legacy)).toEqual(v.expected);
    });
  }

  it('any avatar key form gives the same verdict', () => {
    const v = bad.vectors.find((x) => x.name === 'tampered-identity')!;
    expect(outcome(v, linksOf(v), v.public_key)).toEqual(v.expected);
    expect(outcome(v, linksOf(v), v.avatar.slice(2).toUpperCase())).toEqual(v.expected);
  });
});

describe('every recovery backend reaches the same verdicts', () => {
  it('libsecp256k1 (src/crypto/native) gives each vector its expected outcome', () => {
    const native = loadNativeBackend();
    for (const v of [...good.vectors, ...bad.vectors]) {
      expect(outcome(v, linksOf(v), v.avatar, native), v.name).toEqual(v.expected);
    }
  });
});
