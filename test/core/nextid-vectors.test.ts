/**
 * The Next.ID vectors (test/vectors/nextid_vectors.json, a copy of the team's
 * ../shared/vectors/nextid_vectors.json): every `verified` value must come out of the core,
 * every negative one must be rejected with its stable code.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  addressOf,
  buildLegacySignPayload,
  buildSignPayload,
  decodeSignature,
  keccak256,
  linksFromProofchainItems,
  nobleBackend,
  parseLink,
  parsePublicKey,
  personalSign,
  personalSignDigest,
  publicKeyOf,
  recoverSigner,
  utf8,
  verifyChain,
  verifyLink,
  type AvatarKey,
  type Link,
} from '../../src/core/index.js';
import { b64, expectCode, fromHex, hex, loadNextIdVectors, nextIdVectorsPath, sharedVectorsPath, type Json } from './helpers.js';

const V = loadNextIdVectors();
const opts = { backend: nobleBackend, allowLegacy: true };

describe('the repo copy of the Next.ID vectors', () => {
  const shared = sharedVectorsPath();
  // Beside the team's shared/ directory the copy must be byte-identical; a clone elsewhere has
  // only the copy, which the rest of this file then checks in full.
  it.runIf(shared !== null)('is byte-identical to ../shared/vectors/nextid_vectors.json', () => {
    expect(readFileSync(nextIdVectorsPath()).equals(readFileSync(shared!))).toBe(true);
  });
});

function byId(section: string, id: string): Json {
  const v = (V[section] as Json[]).find((x) => x.id === id);
  if (!v) throw new Error(`vector ${id} missing from ${section}`);
  return v;
}

/** Compressed avatar id of whoever signed `message` with `signature` (any wire form). */
function recoveredId(message: string, signature: string): string {
  const { uncompressed } = recoverSigner(nobleBackend, message, signature);
  expect(uncompressed).not.toBeNull();
  return parsePublicKey(`0x${hex(uncompressed!)}`).id;
}

function linkFromFields(f: Json, signature: string, extra: Record<string, string> = {}): Link {
  return {
    prev: f.prev,
    action: f.action,
    platform: f.platform,
    identity: f.identity,
    proof_location: null,
    created_at: f.created_at === undefined ? 0 : Number(f.created_at),
    uuid: f.uuid ?? '',
    signature,
    signature_payload: '',
    extra,
  };
}

describe('personal_sign vectors', () => {
  const vectors = V.personal_sign_vectors as Json[];

  it('covers every vector of the section', () => {
    expect(vectors.map((v) => v.id)).toEqual(['ps-test123123-v01', 'ps-test123123-v2728', 'ps-test123bang']);
  });

  for (const v of vectors) {
    describe(v.id, () => {
      const sk = fromHex(v.secret_key_hex);

      it('hex and base64 forms are the same 65 bytes', () => {
        expect(b64(fromHex(v.signature_hex))).toBe(v.signature_base64);
        expect(decodeSignature(v.signature_hex).canonical).toBe(decodeSignature(v.signature_base64).canonical);
      });

      it('RFC 6979 re-sign with personalSign gives the same r‖s (and v up to 27)', () => {
        const sig = personalSign(v.message, sk);
        const expected = fromHex(v.signature_hex);
        expect(hex(sig.subarray(0, 64))).toBe(hex(expected.subarray(0, 64)));
        expect(sig[64]! + (expected[64]! >= 27 ? 27 : 0)).toBe(expected[64]);
        if (v.deterministic_rfc6979) {
          // byte-identical, including v in {0,1}
          expect(`0x${hex(sig)}`).toBe(v.signature_hex);
          expect(b64(sig)).toBe(v.signature_base64);
        }
      });

      it('recovers to the key of the secret', () => {
        const own = parsePublicKey(`0x${hex(publicKeyOf(sk))}`);
        expect(recoveredId(v.message, v.signature_base64)).toBe(own.id);
        expect(recoveredId(v.message, v.signature_hex)).toBe(own.id);
        if (v.public_key) {
          expect(own.id).toBe(v.public_key.compressed);
          expect(own.uncompressedHex).toBe(v.public_key.uncompressed);
          expect(own.address).toBe(v.public_key.eth_address);
          expect(parsePublicKey(v.public_key.uncompressed).id).toBe(v.public_key.compressed);
        }
      });
    });
  }

  it('v=27/28 and v=0/1 forms share one canonical (stored) form, with v in {0,1}', () => {
    const a = byId('personal_sign_vectors', 'ps-test123123-v01');
    const b = byId('personal_sign_vectors', 'ps-test123123-v2728');
    expect(a.signature_base64).not.toBe(b.signature_base64);
    expect(decodeSignature(b.signature_base64).canonical).toBe(a.signature_base64);
    expect(decodeSignature(b.signature_hex).canonical).toBe(a.signature_base64);
    expect(decodeSignature(b.signature_base64).recovery).toBe(1);
  });
});

describe('sign_payload vectors', () => {
  const vectors = V.sign_payload_vectors as Json[];

  it('covers every vector of the section', () => {
    expect(vectors.length).toBe(4);
    expect(vectors.every((v) => v.verified?.matches === true)).toBe(true);
  });

  for (const v of vectors) {
    describe(v.id, () => {
      const legacy = v.sign_payload_fields.uuid === undefined;
      const avatar: AvatarKey = parsePublicKey(v.expected_avatar);

      it('the payload builder reproduces the signed string from its fields', () => {
        const built = legacy ? buildLegacySignPayload(v.sign_payload_fields) : buildSignPayload(v.sign_payload_fields);
        expect(built).toBe(v.sign_payload);
      });

      it('the signature recovers to the expected avatar', () => {
        expect(avatar.id).toBe(v.expected_avatar_compressed);
        expect(recoveredId(v.sign_payload, v.signature_base64)).toBe(v.verified.recovered_avatar_compressed);
        expect(decodeSignature(v.signature_base64).recovery).toBe(v.signature_v_byte % 27);
        expect(fromHex(hex(Buffer.from(v.signature_base64, 'base64')))[64]).toBe(v.signature_v_byte);
      });

      it('verifyLink accepts the link rebuilt from its fields and stores the v∈{0,1} form', () => {
        const stored = verifyLink(avatar, linkFromFields(v.sign_payload_fields, v.signature_base64), opts);
        const raw = Buffer.from(v.signature_base64, 'base64');
        raw[64] = raw[64]! % 27;
        expect(stored.signature).toBe(raw.toString('base64'));
        expect(stored.signature_payload).toBe(legacy ? '' : v.sign_payload);
      });

      it('another avatar is rejected with SIGNATURE_MISMATCH', () => {
        const other = parsePublicKey(V.personal_sign_vectors[0].public_key.compressed);
        expectCode(() => verifyLink(other, linkFromFields(v.sign_payload_fields, v.signature_base64), opts), 'SIGNATURE_MISMATCH');
      });
    });
  }

  it('restore_pubkey: the v=27 signature is stored as the derived v=0 form of the note', () => {
    const v = byId('sign_payload_vectors', 'sp-twitter-with-prev-restore-pubkey');
    expect(v.restore_pubkey_request.signature).toBe(v.signature_base64);
    expect(recoveredId(v.sign_payload, v.restore_pubkey_request.signature)).toBe(v.restore_pubkey_response.public_key);
    const stored = decodeSignature(v.signature_base64).canonical;
    expect(stored).toBe('cakVrOig6RCA5U8iffo7D6BXkeIpELvzY/H7m6V+Vw0qSlSGOnbhyvE+J54Cmwv/9S/6QwU41MwSY8nRwtqM6QA=');
    expect(v.note).toContain(stored);
  });

  it('legacy 4-field link: refused unless legacy links are allowed; tampering is detected', () => {
    const v = byId('sign_payload_vectors', 'sp-legacy-4field-twitter');
    const avatar = parsePublicKey(v.expected_avatar);
    const link = linkFromFields(v.sign_payload_fields, v.signature_base64);
    expectCode(() => verifyLink(avatar, link, { backend: nobleBackend }), 'BAD_UUID');
    expectCode(() => verifyLink(avatar, { ...link, identity: 'yeiwc' }, opts), 'SIGNATURE_MISMATCH');
    // a legacy link's payload must not be "upgraded": a standard payload claim is a mismatch
    expectCode(() => verifyLink(avatar, { ...link, signature_payload: v.sign_payload.replace('yeiwb', 'yeiwc') }, opts), 'PAYLOAD_MISMATCH');
  });

  it('dns genesis: the TXT record carries the same signature, which verifies for the domain', () => {
    const v = byId('sign_payload_vectors', 'sp-dns-genesis');
    expect(v.dns_txt_record).toContain(`sig:${v.signature_base64};`);
    const avatar = parsePublicKey(v.expected_avatar);
    const stored = verifyLink(avatar, linkFromFields(v.sign_payload_fields, v.signature_base64), opts);
    expect(stored.platform).toBe('dns');
    expectCode(
      () => verifyLink(avatar, { ...linkFromFields(v.sign_payload_fields, v.signature_base64), identity: 'other.nextnext.id' }, opts),
      'SIGNATURE_MISMATCH',
    );
  });

  it('the genesis vector verifies as a one-link chain document and its proof_location is kept', () => {
    const v = byId('sign_payload_vectors', 'sp-twitter-genesis-yeiwb');
    const avatar = parsePublicKey(v.compressed_public_key_in_upload_test);
    const link = parseLink({
      ...v.sign_payload_fields,
      proof_location: v.proof_location,
      signature: v.signature_base64,
      signature_payload: v.sign_payload,
      extra: {},
    });
    const r = verifyChain(avatar, [link], opts);
    expect(r.problems).toEqual([]);
    expect(r.verified[0]!.proof_location).toBe(v.proof_location);
  });
});

describe('KV service vectors (plain personal_sign over a KV payload)', () => {
  for (const v of V.kv_service_vectors as Json[]) {
    it(`${v.id} recovers to ${v.expected_avatar.slice(0, 12)}…`, () => {
      expect(v.verified.matches).toBe(true);
      expect(recoveredId(v.sign_payload, v.signature_base64)).toBe(v.expected_avatar);
      // one changed byte of the payload and it no longer does
      expect(recoveredId(`${v.sign_payload} `, v.signature_base64)).not.toBe(v.expected_avatar);
    });
  }
});

describe('encoding vectors', () => {
  it('keccak256-Test123', () => {
    const v = byId('encoding_vectors', 'keccak256-Test123');
    expect(hex(keccak256(utf8(v.input_utf8)))).toBe(v.keccak256_hex.toLowerCase());
  });

  it('eth-address-from-pubkey (the vector is upper case; addresses here are lower case)', () => {
    const v = byId('encoding_vectors', 'eth-address-from-pubkey');
    const key = parsePublicKey(v.public_key);
    expect(key.address).toBe(`0x${v.eth_address.slice(2).toLowerCase()}`);
    expect(addressOf(fromHex(v.public_key))).toBe(key.address);
    expect(parsePublicKey(key.id).address).toBe(key.address);
  });
});

describe('unverified and negative vectors', () => {
  it('negative-askcasmir-playground is rejected with SIGNATURE_MISMATCH', () => {
    const v = byId('unverified_or_negative', 'negative-askcasmir-playground');
    const fields = JSON.parse(v.sign_payload);
    expect(buildSignPayload(fields)).toBe(v.sign_payload);
    const link = linkFromFields(fields, v.signature_base64);
    expectCode(() => verifyLink(parsePublicKey(v.avatar), link, opts), 'SIGNATURE_MISMATCH');
    // it does recover, to the key the researcher found — recovery alone proves nothing
    expect(recoveredId(v.sign_payload, v.signature_base64)).toBe(v.recovered_by_researcher);
    for (const identity of ['AskCasmir', 'ASKCASMIR', 'Askcasmir']) {
      expectCode(() => verifyLink(parsePublicKey(v.avatar), { ...link, identity }, opts), 'SIGNATURE_MISMATCH');
    }
  });

  it('recover-only-johndic recovers (v=28) to the stated key', () => {
    const v = byId('unverified_or_negative', 'recover-only-johndic');
    expect(decodeSignature(v.signature_base64).recovery).toBe(v.signature_v_byte - 27);
    expect(recoveredId(v.sign_payload, v.signature_base64)).toBe(v.recovered_by_researcher);
    const fields = JSON.parse(v.sign_payload);
    const stored = verifyLink(parsePublicKey(v.recovered_by_researcher), linkFromFields(fields, v.signature_base64), opts);
    expect(stored.signature).toBe(decodeSignature(v.signature_base64).canonical);
  });

  it('unverified-demo-signature: hex/base64 27/28 forms agree; it is not from the docs avatar', () => {
    const v = byId('unverified_or_negative', 'unverified-demo-signature');
    expect(decodeSignature(v.signature_hex).canonical).toBe(decodeSignature(v.signature_base64).canonical);
    expect(b64(fromHex(v.signature_hex))).toBe(v.signature_base64);
    const docsAvatar = parsePublicKey(v.docs_claimed_avatar);
    (v.candidate_payloads as string[]).forEach((payload, i) => {
      expect(recoveredId(payload, v.signature_hex)).toBe(v.recovered_by_researcher[i]);
      const link = linkFromFields(JSON.parse(payload), v.signature_base64);
      expectCode(() => verifyLink(docsAvatar, link, opts), 'SIGNATURE_MISMATCH');
    });
  });
});

describe('API response examples', () => {
  it('api-proofchain-response: the legacy link verifies through linksFromProofchainItems', () => {
    const v = byId('api_response_examples', 'api-proofchain-response');
    const avatar = parsePublicKey(new URL(`http://x${v.endpoint.slice(v.endpoint.indexOf(' ') + 1)}`).searchParams.get('avatar'));
    const links = linksFromProofchainItems(v.response.proof_chain);
    expect(links[0]!.prev).toBeNull();
    const r = verifyChain(avatar, links, opts);
    expect(r.problems).toEqual([]);
    expect(r.verified).toHaveLength(1);
    expect(verifyChain(avatar, links, { backend: nobleBackend }).problems.map((p) => p.code)).toEqual(['BAD_UUID']);
  });

  it('api-proofchain-changes-response: a feed entry parses and verifies against its avatar', () => {
    const v = byId('api_response_examples', 'api-proofchain-changes-response');
    const entry = v.response.links[0];
    const r = verifyChain(parsePublicKey(entry.avatar), [parseLink(entry)], opts);
    expect(r.problems).toEqual([]);
  });

  it('api-payload-response-docs: the sign_payload has exactly the builder\'s shape', () => {
    const v = byId('api_response_examples', 'api-payload-response-docs');
    const fields = JSON.parse(v.response.sign_payload);
    expect(fields.uuid).toBe(v.response.uuid);
    expect(fields.created_at).toBe(v.response.created_at);
    expect(buildSignPayload(fields)).toBe(v.response.sign_payload);
  });
});

describe('derived vectors', () => {
  it('derived-chain-3-links: the /v1/proofchain response verifies, incl. the ethereum wallet link', () => {
    const v = byId('derived_vectors', 'derived-chain-3-links');
    const avatar = parsePublicKey(v.avatar);
    expect(avatar.id).toBe(parsePublicKey(`0x${hex(publicKeyOf(fromHex(v.avatar_secret_key_hex)))}`).id);
    expect(parsePublicKey(`0x${hex(publicKeyOf(fromHex(v.wallet_secret_key_hex)))}`).address).toBe(v.wallet_address);
    const items = v.proofchain_response.proof_chain as Json[];
    const links = linksFromProofchainItems(items);
    expect(links.map((l) => l.prev)).toEqual([null, items[0].signature, items[1].signature]);
    const r = verifyChain(avatar, links, { backend: nobleBackend });
    expect(r.problems).toEqual([]);
    expect(r.verified.map((l) => l.signature)).toEqual(items.map((i) => i.signature));
    expect(r.verified.map((l) => l.signature_payload)).toEqual(items.map((i) => i.signature_payload));
    expect(r.verified[1]!.extra).toEqual({ wallet_signature: items[1].extra.wallet_signature });

    // every signature is what RFC 6979 signing with the published keys produces
    const ask = fromHex(v.avatar_secret_key_hex);
    for (const item of items) expect(b64(personalSign(item.signature_payload, ask))).toBe(item.signature);
    expect(b64(personalSign(items[1].signature_payload, fromHex(v.wallet_secret_key_hex)))).toBe(items[1].extra.wallet_signature);

    // the submission and archive shapes carry the same signatures
    expect(v.post_submission_link2.extra).toEqual({ signature: items[1].signature, ...items[1].extra });
    expect(v.arweave_document_link2_shape.signature).toBe(items[1].signature);
    expect(v.post_content_link1_default).toContain(`Sig: ${items[0].signature}\n`);
  });

  it('derived-chain-3-links: a wrong or missing wallet signature breaks the ethereum link', () => {
    const v = byId('derived_vectors', 'derived-chain-3-links');
    const avatar = parsePublicKey(v.avatar);
    const items = structuredClone(v.proofchain_response.proof_chain) as Json[];
    // the avatar's own signature in place of the wallet's
    items[1].extra.wallet_signature = items[1].signature;
    let r = verifyChain(avatar, linksFromProofchainItems(items), { backend: nobleBackend });
    expect(r.problems.map((p) => [p.index, p.code])).toEqual([
      [1, 'WALLET_SIGNATURE_MISMATCH'],
      [2, 'BROKEN_ANCESTOR'],
    ]);
    items[1].extra = {};
    r = verifyChain(avatar, linksFromProofchainItems(items), { backend: nobleBackend });
    expect(r.problems.map((p) => [p.index, p.code])).toEqual([
      [1, 'WALLET_SIGNATURE_MISMATCH'],
      [2, 'BROKEN_ANCESTOR'],
    ]);
  });

  it('derived-utf8-bytelength: the prefix carries the UTF-8 byte length, not the code points', () => {
    const v = byId('derived_vectors', 'derived-utf8-bytelength');
    const bytes = utf8(v.message);
    expect(bytes.length).toBe(v.utf8_byte_length);
    expect([...v.message].length).toBe(v.codepoint_length);
    const prefix = `\x19Ethereum Signed Message:\n${v.utf8_byte_length}`;
    expect(v.prefix_used).toBe(prefix.replace('\x19', '\\x19').replace('\n', '\\n'));
    expect(hex(personalSignDigest(v.message))).toBe(hex(keccak256(Buffer.concat([Buffer.from(prefix), bytes]))));
    const sig = personalSign(v.message, fromHex(v.secret_key_hex));
    expect(`0x${hex(sig)}`).toBe(v.signature_hex);
    expect(recoveredId(v.message, v.signature_hex)).toBe(parsePublicKey(`0x${hex(publicKeyOf(fromHex(v.secret_key_hex)))}`).id);
  });
});
