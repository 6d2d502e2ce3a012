/** The shared Next.ID DNS vectors: TXT parsing and a real signed record checked end to end. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nobleBackend, parsePublicKey, type Link } from '../../src/core/index.js';
import { parseProofTxt, unquoteTxt } from '../../src/checkers/platforms/dns.js';
import { CheckRunner } from '../../src/checkers/runner.js';
import { FakePlatforms } from '../../scripts/lib/fake-platforms.js';
import { testConfig } from './helpers.js';
import { loadNextIdVectors } from '../core/helpers.js';

const vectors = loadNextIdVectors() as Record<string, Array<Record<string, unknown>>>;
const parseOnly = vectors['unverified_or_negative']!.find((v) => v['id'] === 'dns-txt-parse-only')!;
const genesis = vectors['sign_payload_vectors']!.find((v) => v['id'] === 'sp-dns-genesis')!;

describe('dns TXT parsing (dns-txt-parse-only)', () => {
  it('parses all six keys', () => {
    expect(parseProofTxt(parseOnly['dns_txt_record'] as string)).toEqual(parseOnly['expected_parse']);
  });
  it('a record without prev does not parse', () => {
    expect(parseProofTxt((parseOnly['dns_txt_record'] as string).replace(';prev:null', ''))).toBeNull();
  });
  it('DoH quoting is undone, including records split into several strings', () => {
    expect(unquoteTxt(genesis['dns_txt_record_as_returned_by_doh'] as string)).toBe(genesis['dns_txt_record']);
    const rec = genesis['dns_txt_record'] as string;
    expect(unquoteTxt(`"${rec.slice(0, 50)}" "${rec.slice(50)}"`)).toBe(rec);
    expect(unquoteTxt('"a\\"b\\\\c\\059d"')).toBe('a"b\\c;d');
  });
});

describe('sp-dns-genesis end to end', () => {
  let fake: FakePlatforms;
  beforeAll(async () => {
    fake = await FakePlatforms.start();
  });
  afterAll(async () => {
    await fake.close();
  });

  const f = genesis['sign_payload_fields'] as Record<string, string>;
  const link: Link = {
    prev: null, action: 'create', platform: 'dns', identity: f['identity']!, proof_location: null, created_at: Number(f['created_at']),
    uuid: f['uuid']!, signature: genesis['signature_base64'] as string, signature_payload: genesis['sign_payload'] as string, extra: {},
  };

  it('the deployed service\'s record verifies for its avatar, and not for another', async () => {
    fake.dns.set(link.identity, { txt: [genesis['dns_txt_record_as_returned_by_doh'] as string] });
    const runner = new CheckRunner({ config: testConfig(fake), backend: nobleBackend });
    try {
      const avatar = parsePublicKey(genesis['expected_avatar'] as string);
      const ok = await runner.run({ avatar, link, altId: null }, { signal: new AbortController().signal });
      expect(ok).toMatchObject({ kind: 'valid', evidence: { text: genesis['dns_txt_record'] } });
      const other = parsePublicKey('0x034f30514c76f34bb9bcb25c63801d9271494c70f8b01601aa25152132dfe7c951');
      const bad = await runner.run({ avatar: other, link, altId: null }, { signal: new AbortController().signal });
      expect(bad).toMatchObject({ kind: 'invalid', code: 'SIGNATURE_MISMATCH' });
      fake.dns.set(link.identity, { status: 2, txt: [] });
      expect(await runner.run({ avatar, link, altId: null }, { signal: new AbortController().signal })).toMatchObject({ kind: 'transient', code: 'DNS_ERROR' });
    } finally {
      await runner.close();
    }
  });
});
