import { describe, expect, it } from 'vitest';
import {
  linksFromProofchainItems,
  MAX_PROOF_LOCATION_LENGTH,
  parseExtra,
  parseLink,
  parseUnixSeconds,
  prevFromPayload,
  toProofchainItem,
  type Link,
} from '../../src/core/index.js';
import { expectCode } from './helpers.js';

const DOC_LINK = {
  prev: null,
  action: 'create',
  platform: 'twitter',
  identity: 'alice',
  proof_location: '1415362679095635970',
  created_at: 1700000000,
  uuid: '8a6f7c34-8b1a-4c0e-9d38-2f1e5b7a9c01',
  signature: 'c2ln',
  signature_payload: '{"prev":null}',
  extra: { wallet_signature: 'w' },
};

describe('parseLink', () => {
  it('reads a chain-document link', () => {
    const l = parseLink(DOC_LINK);
    expect(l).toEqual(DOC_LINK);
    expect(parseLink({ ...DOC_LINK, created_at: '1700000000' }).created_at).toBe(1700000000);
  });

  it('defaults: missing prev → null, missing proof_location/uuid/signature/payload → empty, extra → {}', () => {
    const l = parseLink({ action: 'delete', platform: 'github', identity: 'bob', created_at: 1 });
    expect(l).toEqual({
      prev: null,
      action: 'delete',
      platform: 'github',
      identity: 'bob',
      proof_location: null,
      created_at: 1,
      uuid: '',
      signature: '',
      signature_payload: '',
      extra: {},
    });
    expect(parseLink({ ...DOC_LINK, proof_location: '' }).proof_location).toBeNull();
    expect(parseLink({ ...DOC_LINK, proof_location: null }).proof_location).toBeNull();
    expect(parseLink({ ...DOC_LINK, extra: null }).extra).toEqual({});
    expect(parseLink({ ...DOC_LINK, prev: '' }).prev).toBe('');
  });

  const badRequest: Array<[string, unknown]> = [
    ['null', null],
    ['array', [DOC_LINK]],
    ['string', JSON.stringify(DOC_LINK)],
    ['number', 5],
    ['action missing', { ...DOC_LINK, action: undefined }],
    ['action not a string', { ...DOC_LINK, action: 1 }],
    ['platform missing', { ...DOC_LINK, platform: undefined }],
    ['platform not a string', { ...DOC_LINK, platform: ['twitter'] }],
    ['platform too long', { ...DOC_LINK, platform: 'p'.repeat(65) }],
    ['identity missing', { ...DOC_LINK, identity: undefined }],
    ['identity not a string', { ...DOC_LINK, identity: { name: 'alice' } }],
    ['identity too long', { ...DOC_LINK, identity: 'a'.repeat(1025) }],
    ['prev not a string', { ...DOC_LINK, prev: 5 }],
    ['prev an object', { ...DOC_LINK, prev: {} }],
    ['prev too long', { ...DOC_LINK, prev: 'p'.repeat(201) }],
    ['proof_location a number', { ...DOC_LINK, proof_location: 1415362679095635970 }],
    ['uuid a number', { ...DOC_LINK, uuid: 7 }],
    ['uuid too long', { ...DOC_LINK, uuid: 'u'.repeat(65) }],
    ['signature a number', { ...DOC_LINK, signature: 1 }],
    ['signature too long', { ...DOC_LINK, signature: 's'.repeat(201) }],
    ['signature_payload an object', { ...DOC_LINK, signature_payload: { prev: null } }],
    ['signature_payload too long', { ...DOC_LINK, signature_payload: 'x'.repeat(8193) }],
    ['extra an array', { ...DOC_LINK, extra: ['w'] }],
    ['extra a string', { ...DOC_LINK, extra: 'w' }],
    ['extra value a number', { ...DOC_LINK, extra: { wallet_signature: 5 } }],
    ['extra value an object', { ...DOC_LINK, extra: { wallet_signature: {} } }],
    ['extra value too long', { ...DOC_LINK, extra: { wallet_signature: 'w'.repeat(1025) } }],
    ['extra key too long', { ...DOC_LINK, extra: { ['k'.repeat(65)]: 'v' } }],
    ['extra with too many keys', { ...DOC_LINK, extra: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) }],
  ];
  it.each(badRequest)('%s → BAD_REQUEST', (_name, input) => {
    expectCode(() => parseLink(input), 'BAD_REQUEST');
  });

  const badCreatedAt: Array<[string, unknown]> = [
    ['missing', undefined],
    ['null', null],
    ['negative', -1],
    ['negative string', '-1'],
    ['fraction', 1.5],
    ['fraction string', '1.5'],
    ['exponent string', '1e9'],
    ['hex string', '0x10'],
    ['empty string', ''],
    ['padded string', ' 1700000000'],
    ['words', 'yesterday'],
    ['boolean', true],
    ['object', {}],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['absurd (2^41)', 2 ** 41],
    ['unsafe integer', 2 ** 60],
    ['16 digits', '1700000000000000'],
  ];
  it.each(badCreatedAt)('created_at %s → BAD_CREATED_AT', (_name, created_at) => {
    expectCode(() => parseLink({ ...DOC_LINK, created_at }), 'BAD_CREATED_AT');
  });

  it.each(['update', 'CREATE', 'Create', '', 'remove'])('action %j → UNKNOWN_ACTION', (action) => {
    expectCode(() => parseLink({ ...DOC_LINK, action }), 'UNKNOWN_ACTION');
  });

  it('proof_location longer than the limit → BAD_PROOF_LOCATION', () => {
    expect(parseLink({ ...DOC_LINK, proof_location: 'x'.repeat(MAX_PROOF_LOCATION_LENGTH) }).proof_location).toHaveLength(MAX_PROOF_LOCATION_LENGTH);
    expectCode(() => parseLink({ ...DOC_LINK, proof_location: 'x'.repeat(MAX_PROOF_LOCATION_LENGTH + 1) }), 'BAD_PROOF_LOCATION');
  });
});

describe('parseLink extra', () => {
  it('keeps wallet_signature and drops unsigned junk keys', () => {
    expect(parseLink({ ...DOC_LINK, extra: { wallet_signature: 'w', junk: 'x', more: 'y' } }).extra).toEqual({ wallet_signature: 'w' });
    expect(parseLink({ ...DOC_LINK, extra: { junk: 'x' } }).extra).toEqual({});
    expect(parseLink({ ...DOC_LINK, extra: { wallet_signature: '' } }).extra).toEqual({ wallet_signature: '' });
  });
});

describe('parseUnixSeconds / parseExtra', () => {
  it('numbers and decimal strings', () => {
    expect(parseUnixSeconds(0)).toBe(0);
    expect(parseUnixSeconds('0')).toBe(0);
    expect(parseUnixSeconds('1700000000')).toBe(1700000000);
    expect(parseUnixSeconds(2 ** 40)).toBe(2 ** 40);
    expectCode(() => parseUnixSeconds(2 ** 40 + 1), 'BAD_CREATED_AT');
    expect(expectCode(() => parseUnixSeconds('x', 'activated_at'), 'BAD_CREATED_AT').message).toContain('activated_at');
  });

  it('extra is a flat string map', () => {
    expect(parseExtra(undefined)).toEqual({});
    expect(parseExtra({ a: 'b' })).toEqual({ a: 'b' });
    const sixteen = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, 'v']));
    expect(parseExtra(sixteen)).toEqual(sixteen);
  });
});

describe('prevFromPayload', () => {
  it('reads prev from a signed payload', () => {
    expect(prevFromPayload('{"action":"create","prev":null}')).toBeNull();
    expect(prevFromPayload('{"action":"create","prev":"c2ln"}')).toBe('c2ln');
    expect(prevFromPayload('')).toBeUndefined();
    expect(prevFromPayload('not json')).toBeUndefined();
    expect(prevFromPayload('{"action":"create"}')).toBeUndefined();
    expect(prevFromPayload('{"prev":5}')).toBeUndefined();
    expect(prevFromPayload('["prev"]')).toBeUndefined();
  });
});

describe('linksFromProofchainItems / toProofchainItem', () => {
  const l0: Link = { ...(DOC_LINK as unknown as Link), extra: {}, signature: 'c2lnMA==', signature_payload: '{"prev":null}' };
  const l1: Link = { ...l0, prev: 'c2lnMA==', uuid: '8a6f7c34-8b1a-4c0e-9d38-2f1e5b7a9c02', signature: 'c2lnMQ==', signature_payload: '{"prev":"c2lnMA=="}' };
  const legacy: Link = { ...l0, prev: 'c2lnMQ==', uuid: '', signature: 'c2lnMg==', signature_payload: '' };

  it('item shape: strings for created_at and proof_location, alt_id and arweave_id', () => {
    expect(toProofchainItem(l0, 'alt', 'ar')).toEqual({
      action: 'create',
      platform: 'twitter',
      identity: 'alice',
      alt_id: 'alt',
      proof_location: '1415362679095635970',
      created_at: '1700000000',
      signature: 'c2lnMA==',
      signature_payload: '{"prev":null}',
      uuid: DOC_LINK.uuid,
      extra: {},
      arweave_id: 'ar',
    });
    expect(toProofchainItem({ ...l0, proof_location: null }).proof_location).toBe('');
    expect(toProofchainItem(l0).alt_id).toBe('');
  });

  it('round trip: prev comes from the payload, or from the previous item for legacy links', () => {
    const items = JSON.parse(JSON.stringify([l0, l1, legacy].map((l) => toProofchainItem(l)))) as unknown[];
    expect(linksFromProofchainItems(items)).toEqual([l0, l1, legacy]);
  });

  it('a legacy first item takes `previous` (pages fed one at a time), else null', () => {
    const item = toProofchainItem(legacy);
    expect(linksFromProofchainItems([item])[0]!.prev).toBeNull();
    expect(linksFromProofchainItems([item], 'c2lnMQ==')[0]!.prev).toBe('c2lnMQ==');
  });

  it('the payload wins over the item order; an explicit prev field wins over both', () => {
    const items = [toProofchainItem(l1), toProofchainItem(l0)];
    expect(linksFromProofchainItems(items).map((l) => l.prev)).toEqual(['c2lnMA==', null]);
    expect(linksFromProofchainItems([{ ...toProofchainItem(l1), prev: 'other' }])[0]!.prev).toBe('other');
  });

  it('bad items are BAD_REQUEST (or their field codes)', () => {
    expectCode(() => linksFromProofchainItems([null]), 'BAD_REQUEST');
    expectCode(() => linksFromProofchainItems(['x']), 'BAD_REQUEST');
    expectCode(() => linksFromProofchainItems([{ ...toProofchainItem(l0), action: 'update' }]), 'UNKNOWN_ACTION');
    expectCode(() => linksFromProofchainItems([{ ...toProofchainItem(l0), created_at: 'soon' }]), 'BAD_CREATED_AT');
  });
});
