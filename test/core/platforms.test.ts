import { describe, expect, it } from 'vitest';
import { isKnownPlatform, isWalletPlatform, MAX_IDENTITY_LENGTH, normalizeIdentity, PLATFORM_RULES } from '../../src/core/index.js';
import { expectCode } from './helpers.js';

describe('normalizeIdentity (protocol: the sign payload)', () => {
  it.each([
    ['twitter', 'Alice_99', 'alice_99'],
    ['github', 'Octo-Cat', 'octo-cat'],
    ['keybase', 'MaxKrohn', 'maxkrohn'],
    ['dns', 'TestCase.NextNext.ID', 'testcase.nextnext.id'],
    ['dotbit', 'Alice.BIT', 'alice.bit'],
    ['ens', 'Vitalik.ETH', 'vitalik.eth'],
    ['minds', 'Ottman', 'ottman'],
    ['ethereum', '0x115D0E8886E48B7EED48ECC40DFE8D327C4604C3', '0x115d0e8886e48b7eed48ecc40dfe8d327c4604c3'],
    ['ethereum', '0X115d0e8886e48b7eed48ecc40dfe8d327c4604c3', '0x115d0e8886e48b7eed48ecc40dfe8d327c4604c3'],
    ['ethereum', '115d0e8886E48b7eed48ecc40dfe8d327c4604c3', '0x115d0e8886e48b7eed48ecc40dfe8d327c4604c3'],
    ['discord', 'Alice#1234', 'Alice#1234'],
    ['discord', 'CamelCase', 'CamelCase'],
    ['solana', '7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV', '7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV'],
    ['activitypub', '@Alice@Mastodon.Social', 'Alice@Mastodon.Social'],
    ['activitypub', 'bob@example.org', 'bob@example.org'],
  ])('%s: %s → %s', (platform, input, expected) => {
    expect(normalizeIdentity(platform, input)).toBe(expected);
    // normalization is idempotent
    expect(normalizeIdentity(platform, expected)).toBe(expected);
  });

  it.each([
    ['twitter', 'has space'],
    ['twitter', 'sixteen_chars_xx'],
    ['twitter', 'a<b'],
    ['github', '-leading'],
    ['github', 'double--dash'],
    ['keybase', 'a'],
    ['dns', 'no_underscore.com'],
    ['dns', 'nodot'],
    ['dotbit', 'alice.eth'],
    ['ens', 'alice.bit'],
    ['ethereum', '0x1234'],
    ['ethereum', '0xzz5d0e8886e48b7eed48ecc40dfe8d327c4604c3'],
    ['discord', 'a'],
    ['discord', 'has space'],
    ['solana', '0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl'],
    ['activitypub', 'no-host'],
  ])('%s rejects %j with BAD_IDENTITY', (platform, identity) => {
    expectCode(() => normalizeIdentity(platform, identity), 'BAD_IDENTITY');
  });

  it('generic limits apply to every platform, strict or not', () => {
    for (const strict of [true, false]) {
      expectCode(() => normalizeIdentity('twitter', '', strict), 'BAD_IDENTITY');
      expectCode(() => normalizeIdentity('discord', 'x'.repeat(MAX_IDENTITY_LENGTH + 1), strict), 'BAD_IDENTITY');
      expectCode(() => normalizeIdentity('twitter', 'ali\u0000ce', strict), 'BAD_IDENTITY');
      expectCode(() => normalizeIdentity('twitter', 'ali\nce', strict), 'BAD_IDENTITY');
      expectCode(() => normalizeIdentity('twitter', 'ali\u007fce', strict), 'BAD_IDENTITY');
      expectCode(() => normalizeIdentity('discord', 'lone\ud800surrogate', strict), 'BAD_IDENTITY');
      expectCode(() => normalizeIdentity('discord', 'lone\udc00surrogate', strict), 'BAD_IDENTITY');
      expectCode(() => normalizeIdentity('twitter', 42 as unknown as string, strict), 'BAD_IDENTITY');
    }
    // a surrogate pair is fine
    expect(normalizeIdentity('discord', 'ok🐴name', false)).toBe('ok🐴name');
  });

  it('non-strict (chains made elsewhere) normalizes but keeps shapes the deployed service allowed', () => {
    expect(normalizeIdentity('twitter', 'Has Space & <tags>', false)).toBe('has space & <tags>');
    expect(normalizeIdentity('activitypub', '@x', false)).toBe('x');
  });

  it('unknown platforms: UNKNOWN_PLATFORM when strict; foreign names pass when not', () => {
    expectCode(() => normalizeIdentity('myspace', 'tom'), 'UNKNOWN_PLATFORM');
    expect(normalizeIdentity('steam', 'GabeN', false)).toBe('GabeN');
    expectCode(() => normalizeIdentity('Not A Platform', 'tom', false), 'UNKNOWN_PLATFORM');
    expectCode(() => normalizeIdentity('x'.repeat(33), 'tom', false), 'UNKNOWN_PLATFORM');
  });

  it('platform names that are Object.prototype members are unknown, not a crash', () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
      expect(isKnownPlatform(name)).toBe(false);
      expect(isWalletPlatform(name)).toBe(false);
      expectCode(() => normalizeIdentity(name, 'alice'), 'UNKNOWN_PLATFORM');
    }
    // non-strict: such names have the shape of a foreign platform, so they pass un-normalized
    expect(normalizeIdentity('constructor', 'Alice', false)).toBe('Alice');
  });

  it('wallet platforms are exactly ethereum and solana', () => {
    expect(Object.keys(PLATFORM_RULES).filter(isWalletPlatform).sort()).toEqual(['ethereum', 'solana']);
    expect(isKnownPlatform('twitter')).toBe(true);
  });
});
