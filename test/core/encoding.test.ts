import { describe, expect, it } from 'vitest';
import { base64ToBytes, bytesEqual, bytesToBase64, bytesToHex, concatBytes, hexToBytes, utf8 } from '../../src/core/index.js';
import { base58Decode } from '../../src/core/base58.js';
import { base58Encode } from '../../scripts/gen-vectors.js';

describe('encoding (attacker-controlled input: strict)', () => {
  it('hex, base64 and utf8 agree with Node\'s Buffer byte for byte (the core itself runs without Buffer, in the browser too)', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let n = 0; n < 200; n++) {
      const bytes = new Uint8Array(Math.floor(rnd() * 70)).map(() => Math.floor(rnd() * 256));
      const buf = Buffer.from(bytes);
      expect(bytesToHex(bytes)).toBe(buf.toString('hex'));
      expect(bytesToBase64(bytes)).toBe(buf.toString('base64'));
      expect(hexToBytes(buf.toString('hex'))).toEqual(bytes);
      expect(base64ToBytes(buf.toString('base64'))).toEqual(bytes);
    }
    for (const s of ['', 'ascii', 'ü€😀', '\ud800 lone surrogate', '\u0000']) expect(utf8(s)).toEqual(new Uint8Array(Buffer.from(s, 'utf8')));
  });

  it('hex: with or without 0x/0X, any case; odd length or junk → null', () => {
    expect(hexToBytes('0x0aFf')).toEqual(new Uint8Array([10, 255]));
    expect(hexToBytes('0X0aff')).toEqual(new Uint8Array([10, 255]));
    expect(hexToBytes('0aff')).toEqual(new Uint8Array([10, 255]));
    expect(hexToBytes('')).toEqual(new Uint8Array(0));
    expect(hexToBytes('0x0af')).toBeNull();
    expect(hexToBytes('0xzz')).toBeNull();
    expect(hexToBytes('0x0a f')).toBeNull();
    expect(hexToBytes('0x0x00')).toBeNull();
  });

  it('base64: standard alphabet with padding only; Buffer would silently skip junk', () => {
    expect(base64ToBytes('AQID')).toEqual(new Uint8Array([1, 2, 3]));
    expect(base64ToBytes('AQI=')).toEqual(new Uint8Array([1, 2]));
    expect(base64ToBytes('AQ==')).toEqual(new Uint8Array([1]));
    expect(base64ToBytes('+/+/')).toEqual(new Uint8Array([251, 255, 191]));
    for (const junk of ['AQ', 'AQI', 'AQ=', 'A===', '-_-_', 'AQ!D', 'AQ D', 'A=QI', '====', 'AQID\n']) {
      expect(base64ToBytes(junk), junk).toBeNull();
    }
  });

  it('round trips, also of subarrays (views with an offset)', () => {
    const buf = new Uint8Array([9, 9, 1, 2, 3, 9]);
    const view = buf.subarray(2, 5);
    expect(bytesToHex(view)).toBe('010203');
    expect(bytesToBase64(view)).toBe('AQID');
    expect(hexToBytes(bytesToHex(buf))).toEqual(buf);
    expect(base64ToBytes(bytesToBase64(buf))).toEqual(buf);
  });

  it('utf8, concat, equality', () => {
    expect(utf8('🐴')).toEqual(new Uint8Array([0xf0, 0x9f, 0x90, 0xb4]));
    expect(concatBytes(new Uint8Array([1]), new Uint8Array(0), new Uint8Array([2, 3]))).toEqual(new Uint8Array([1, 2, 3]));
    expect(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false);
    expect(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 0]))).toBe(false);
  });

  it('base58 (Solana addresses): known answers, leading zeros, junk', () => {
    expect(base58Decode('2g')).toEqual(new Uint8Array([0x61]));
    expect(base58Decode('11')).toEqual(new Uint8Array([0, 0]));
    expect(base58Decode('1112')).toEqual(new Uint8Array([0, 0, 0, 1]));
    expect(Buffer.from(base58Decode('StV1DL6CwTryKyV')!).toString()).toBe('hello world');
    for (const junk of ['', '0', 'O', 'I', 'l', '2g!', 'x'.repeat(65)]) expect(base58Decode(junk), junk).toBeNull();
    const key = new Uint8Array(32).map((_, i) => (i * 37 + 11) & 0xff);
    key[0] = 0;
    expect(base58Decode(base58Encode(key))).toEqual(key);
  });
});
