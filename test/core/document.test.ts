import { describe, expect, it } from 'vitest';
import { chainDocument, chainDocumentBytes, chainDocumentString, linkJson, parseLink, type Link } from '../../src/core/index.js';

const PK = `0x04${'ab'.repeat(64)}`;
const LINK: Link = {
  prev: null,
  action: 'create',
  platform: 'twitter',
  identity: 'alice',
  proof_location: '1415362679095635970',
  created_at: 1700000000,
  uuid: '8a6f7c34-8b1a-4c0e-9d38-2f1e5b7a9c01',
  signature: 'c2ln',
  signature_payload: '{"action":"create"}',
  extra: {},
};

describe('chain document (protocol: the chain document)', () => {
  it('exact bytes: key order, no whitespace, created_at a number', () => {
    expect(chainDocumentString(PK, [LINK])).toBe(
      `{"version":"1","avatar":{"public_key":"${PK}","curve":"secp256k1"},"links":[` +
        '{"prev":null,"action":"create","platform":"twitter","identity":"alice","proof_location":"1415362679095635970",' +
        '"created_at":1700000000,"uuid":"8a6f7c34-8b1a-4c0e-9d38-2f1e5b7a9c01","signature":"c2ln",' +
        '"signature_payload":"{\\"action\\":\\"create\\"}","extra":{}}]}',
    );
  });

  it('key order is exactly as protocol: the chain document', () => {
    const doc = JSON.parse(chainDocumentString(PK, [LINK, { ...LINK, prev: 'c2ln', proof_location: null }]));
    expect(Object.keys(doc)).toEqual(['version', 'avatar', 'links']);
    expect(Object.keys(doc.avatar)).toEqual(['public_key', 'curve']);
    for (const l of doc.links) {
      expect(Object.keys(l)).toEqual([
        'prev',
        'action',
        'platform',
        'identity',
        'proof_location',
        'created_at',
        'uuid',
        'signature',
        'signature_payload',
        'extra',
      ]);
    }
    expect(doc.links[1].proof_location).toBeNull();
    expect(doc.links[1].prev).toBe('c2ln');
    expect(typeof doc.links[0].created_at).toBe('number');
  });

  it('empty chain', () => {
    expect(chainDocumentString(PK, [])).toBe(`{"version":"1","avatar":{"public_key":"${PK}","curve":"secp256k1"},"links":[]}`);
  });

  it('strings are escaped as JSON.stringify does (no Go escapes), non-ASCII raw', () => {
    const identity = 'a<b>&c\u2028Zoë🐴"\\';
    const payload = '{"identity":"a\\u003cb"}';
    const s = chainDocumentString(PK, [{ ...LINK, identity, signature_payload: payload }]);
    expect(s).toContain(`"identity":${JSON.stringify(identity)}`);
    expect(s).toContain('"identity":"a<b>&c\u2028Zoë🐴\\"\\\\"');
    expect(s).not.toContain('\\u003c"');
    // the payload's own Go escapes survive as text (backslash escaped once more)
    expect(s).toContain('"signature_payload":"{\\"identity\\":\\"a\\\\u003cb\\"}"');
    expect(JSON.parse(s).links[0].signature_payload).toBe(payload);
    expect(JSON.parse(s).links[0].identity).toBe(identity);
  });

  it('extra is written with sorted keys: equal maps give equal bytes', () => {
    const a = linkJson({ ...LINK, extra: { wallet_signature: 'w', b: '2', a: '1' } });
    const b = linkJson({ ...LINK, extra: { a: '1', b: '2', wallet_signature: 'w' } });
    expect(a).toBe(b);
    expect(a).toContain('"extra":{"a":"1","b":"2","wallet_signature":"w"}');
  });

  it('the same chain always gives the same bytes, however it was read', () => {
    const text = chainDocumentString(PK, [LINK]);
    // the same link from JSON with another key order, created_at as a string
    const shuffled = parseLink(JSON.parse(`{"extra":{},"uuid":"${LINK.uuid}","created_at":"1700000000","signature":"c2ln","identity":"alice",` +
      `"platform":"twitter","action":"create","proof_location":"1415362679095635970","prev":null,"signature_payload":${JSON.stringify(LINK.signature_payload)}}`));
    expect(chainDocumentString(PK, [shuffled])).toBe(text);
    const reread = (JSON.parse(text) as { links: unknown[] }).links.map(parseLink);
    expect(chainDocumentString(PK, reread)).toBe(text);
    expect(Buffer.from(chainDocumentBytes(PK, [LINK])).toString('utf8')).toBe(text);
    expect(chainDocumentBytes(PK, [LINK])).toEqual(chainDocumentBytes(PK, [shuffled]));
  });

  it('bytes are the UTF-8 of the string', () => {
    const bytes = chainDocumentBytes(PK, [{ ...LINK, identity: '🐴' }]);
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(bytes.length).toBe(Buffer.byteLength(chainDocumentString(PK, [{ ...LINK, identity: '🐴' }])));
  });

  it('chainDocument is the object form of the same thing', () => {
    const d = chainDocument(PK, [LINK]);
    expect(d).toEqual({ version: '1', avatar: { public_key: PK, curve: 'secp256k1' }, links: [LINK] });
    expect(JSON.parse(chainDocumentString(PK, [LINK]))).toEqual(d);
  });
});
