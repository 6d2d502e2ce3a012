/** serde-style serialization of KV patches and RFC 7396 merge patch (SPEC §8). */
import { describe, expect, it } from 'vitest';
import { buildKvSignPayload, compareCodePoints, mergePatch, serdeJson, type KvJson } from '../../src/core/index.js';
import { expectCode } from './helpers.js';

describe('serdeJson', () => {
  it('sorts keys by code point, recursively, and keeps nulls', () => {
    expect(serdeJson({ b: { y: [1, 2], x: 1 }, a: 'hello', del: null })).toBe('{"a":"hello","b":{"x":1,"y":[1,2]},"del":null}');
    expect(serdeJson({ a: [{ z: 1, y: 2 }] })).toBe('{"a":[{"y":2,"z":1}]}');
  });

  it('orders astral keys after U+FFFF like UTF-8 bytes (not like UTF-16 code units)', () => {
    // UTF-16 sorting puts U+1F600 (surrogates D83D…) before U+FF5E; code points do not.
    const keys = ['\u{1F600}', '\uff5e', 'a'];
    expect([...keys].sort(compareCodePoints)).toEqual(['a', '\uff5e', '\u{1F600}']);
    expect(serdeJson({ '\u{1F600}': 1, '\uff5e': 2 })).toBe('{"\uff5e":2,"\u{1F600}":1}');
  });

  it('compareCodePoints agrees with UTF-8 byte order on random strings (seeded)', () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed / 2 ** 31);
    const pool = ['a', 'z', '\u00e9', '\uff5e', '\ue000', '\u{1F600}', '\u{10000}', '\u{10FFFF}', '~', ''];
    const str = () => Array.from({ length: Math.floor(rnd() * 4) }, () => pool[Math.floor(rnd() * pool.length)]).join('');
    for (let i = 0; i < 2000; i++) {
      const [x, y] = [str(), str()];
      expect(Math.sign(compareCodePoints(x, y)), `${JSON.stringify(x)} vs ${JSON.stringify(y)}`).toBe(Math.sign(Buffer.compare(Buffer.from(x), Buffer.from(y))));
    }
  });

  it('escapes only " \\ and controls; / < > & U+2028 and non-ASCII stay raw', () => {
    expect(serdeJson('"\\/<>&\u2028\u2029é\u0001\u001f\b\t\n\f\r\u007f')).toBe('"\\"\\\\/<>&\u2028\u2029é\\u0001\\u001f\\b\\t\\n\\f\\r\u007f"');
  });

  it.each([
    ['a fraction', { a: 1.5 }],
    ['an integer beyond 2^53', { a: 2 ** 53 }],
    ['a huge negative', { a: -(2 ** 60) }],
    ['Infinity', { a: Infinity }],
    ['NaN inside an array', { a: [1, NaN] }],
  ])('refuses %s with BAD_PATCH', (_n, patch) => {
    expectCode(() => serdeJson(patch), 'BAD_PATCH');
  });

  it('accepts the largest safe integers and writes -0 as 0', () => {
    expect(serdeJson([2 ** 53 - 1, -(2 ** 53 - 1), -0])).toBe('[9007199254740991,-9007199254740991,0]');
  });

  it('refuses lone surrogates in values and keys, and undefined / functions', () => {
    expectCode(() => serdeJson({ a: '\ud800' }), 'BAD_PATCH');
    expectCode(() => serdeJson({ '\udc00x': 1 }), 'BAD_PATCH');
    expectCode(() => serdeJson({ a: undefined }), 'BAD_PATCH');
    expect(serdeJson('\u{1F600}')).toBe('"\u{1F600}"');
  });

  it('refuses patches nested deeper than the limit without overflowing the stack', () => {
    let deep: KvJson = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expectCode(() => serdeJson(deep), 'BAD_PATCH');
  });

  it('puts the patch inside the fixed top-level order of the sign payload', () => {
    const p = buildKvSignPayload({ uuid: 'u', avatar: 'aa', platform: 'P', identity: 'I', patch: { z: 1, a: null }, created_at: 5, previous: null });
    expect(p).toBe('{"version":"1","uuid":"u","avatar":"aa","platform":"P","identity":"I","patch":{"a":null,"z":1},"created_at":5,"previous":null}');
    expect(buildKvSignPayload({ uuid: 'u', avatar: 'aa', platform: 'P', identity: 'I', patch: 7, created_at: 5, previous: 'x=', legacy: true }))
      .toBe('{"version":"1","uuid":"u","persona":"aa","platform":"P","identity":"I","patch":7,"created_at":5,"previous":"x="}');
    expectCode(() => buildKvSignPayload({ uuid: 'u', avatar: 'aa', platform: 'P', identity: 'I', patch: 1, created_at: 1.5, previous: null }), 'BAD_CREATED_AT');
  });
});

describe('mergePatch (RFC 7396 appendix A)', () => {
  const cases: Array<[KvJson, KvJson, KvJson]> = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { a: 1, e: null }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  it.each(cases)('%j + %j', (target, patch, result) => {
    expect(mergePatch(target, patch)).toEqual(result);
  });

  it('does not mutate its inputs and treats __proto__ as data', () => {
    const target = { a: { b: 1 } };
    const patch = JSON.parse('{"a":{"c":2},"__proto__":{"polluted":true}}') as KvJson;
    const out = mergePatch(target, patch) as Record<string, unknown>;
    expect(target).toEqual({ a: { b: 1 } });
    expect(Object.prototype.hasOwnProperty.call(out, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(serdeJson(out)).toBe('{"__proto__":{"polluted":true},"a":{"b":1,"c":2}}');
  });
});
