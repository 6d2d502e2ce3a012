import { describe, expect, it } from 'vitest';
import { budgetKey, ClientResolver, isLoopbackListen, parseCidr } from '../../../src/api/limits/client.js';
import { operatorRoutesNeedToken } from '../../../src/api/limits/index.js';

describe('client address behind proxies', () => {
  const xff = new ClientResolver(['127.0.0.1', '10.0.0.0/8', 'fd00::/8'], 'x-forwarded-for');

  it('ignores the header from a peer that is not a trusted proxy', () => {
    expect(xff.address('203.0.113.9', { 'x-forwarded-for': '1.2.3.4' })).toBe('203.0.113.9');
    expect(xff.address('::ffff:127.0.0.2', { 'x-forwarded-for': '1.2.3.4' })).toBe('127.0.0.2');
    expect(new ClientResolver([], 'x-forwarded-for').address('127.0.0.1', { 'x-forwarded-for': '1.2.3.4' })).toBe('127.0.0.1');
  });

  it('reads X-Forwarded-For from the right through trusted hops only: prepended entries are not believed', () => {
    expect(xff.address('127.0.0.1', { 'x-forwarded-for': '198.51.100.7' })).toBe('198.51.100.7');
    expect(xff.address('127.0.0.1', { 'x-forwarded-for': '1.1.1.1, 198.51.100.7' })).toBe('198.51.100.7');
    expect(xff.address('::ffff:127.0.0.1', { 'x-forwarded-for': '1.1.1.1, 198.51.100.7, 10.1.2.3' })).toBe('198.51.100.7');
    expect(xff.address('127.0.0.1', { 'x-forwarded-for': ['1.1.1.1', '198.51.100.8'] })).toBe('198.51.100.8');
    expect(xff.address('fd12::1', { 'x-forwarded-for': '2001:db8::1' })).toBe('2001:db8::1');
    // garbage further out: the last trusted hop answers for it
    expect(xff.address('127.0.0.1', { 'x-forwarded-for': 'not-an-ip, 10.2.2.2' })).toBe('10.2.2.2');
    expect(xff.address('127.0.0.1', {})).toBe('127.0.0.1');
  });

  it('X-Real-IP from a trusted proxy, else the peer', () => {
    const real = new ClientResolver(['127.0.0.1'], 'x-real-ip');
    expect(real.address('127.0.0.1', { 'x-real-ip': '198.51.100.7' })).toBe('198.51.100.7');
    expect(real.address('127.0.0.1', { 'x-real-ip': 'junk', 'x-forwarded-for': '198.51.100.7' })).toBe('127.0.0.1');
    expect(real.address('127.0.0.3', { 'x-real-ip': '198.51.100.7' })).toBe('127.0.0.3');
  });

  it('budgets IPv6 clients per /64, IPv4 per address', () => {
    expect(budgetKey('2001:db8:1:2:3:4:5:6')).toBe(budgetKey('2001:db8:1:2::9'));
    expect(budgetKey('2001:db8:1:2::1')).not.toBe(budgetKey('2001:db8:1:3::1'));
    expect(budgetKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(budgetKey('::ffff:127.0.0.2')).toBe('127.0.0.2');
    expect(budgetKey('127.0.0.2')).not.toBe(budgetKey('127.0.0.3'));
  });

  it('parses addresses and CIDRs, refusing anything else', () => {
    expect(parseCidr('10.0.0.0/8').prefix).toBe(8);
    expect(parseCidr('::1').prefix).toBe(128);
    for (const bad of ['10.0.0.0/33', '10.0.0.0/x', 'example.com', '', '::/129']) expect(() => parseCidr(bad)).toThrow(/not an address or CIDR/);
    expect(() => new ClientResolver(['nope'], 'x-forwarded-for')).toThrow(/server\.trustProxy/);
  });

  it('knows which listeners are loopback; bulk import needs the admin token elsewhere unless open', () => {
    for (const h of ['127.0.0.1', '127.0.0.2', '::1', 'localhost']) expect([h, isLoopbackListen(h)]).toEqual([h, true]);
    for (const h of ['0.0.0.0', '::', '192.0.2.1', 'example.com']) expect([h, isLoopbackListen(h)]).toEqual([h, false]);
    expect(operatorRoutesNeedToken({ host: '127.0.0.1', bulkImport: 'auto' })).toBe(false);
    expect(operatorRoutesNeedToken({ host: '0.0.0.0', bulkImport: 'auto' })).toBe(true);
    expect(operatorRoutesNeedToken({ host: '::', bulkImport: 'auto' })).toBe(true);
    expect(operatorRoutesNeedToken({ host: '0.0.0.0', bulkImport: 'open' })).toBe(false);
    expect(operatorRoutesNeedToken({ host: '127.0.0.1', bulkImport: 'admin' })).toBe(true);
  });
});
