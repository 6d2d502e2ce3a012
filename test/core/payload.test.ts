import { describe, expect, it } from 'vitest';
import { buildLegacySignPayload, buildSignPayload, goJsonString, hasUnsignableCharacters } from '../../src/core/index.js';

const BASE = {
  action: 'create',
  created_at: '1700000000',
  identity: 'alice',
  platform: 'twitter',
  prev: null,
  uuid: '8a6f7c34-8b1a-4c0e-9d38-2f1e5b7a9c01',
};
const PREV = 'wEJAiUW7KQ32ARC9s6ZKFzIQgmOjevl5BhJ6tUmkQQ9QXgg/O1ABQtfbviNr+7AU8Lu7sFAaK5KARXZcQc/ihwE=';
const PERSONA = '0x034f30514c76f34bb9bcb25c63801d9271494c70f8b01601aa25152132dfe7c951';

/** keys of a JSON object text, in the order written */
function keysOf(json: string): string[] {
  return Object.keys(JSON.parse(json) as object);
}

/** byte-order sort (Go sorts map keys by their UTF-8 bytes) */
function byteSorted(keys: string[]): string[] {
  return [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

describe('goJsonString: Go encoding/json string escaping (protocol: the sign payload)', () => {
  it.each([
    ['plain', 'alice', '"alice"'],
    ['< > &', 'a<b>&c', '"a\\u003cb\\u003e\\u0026c"'],
    ['U+2028 / U+2029', 'x\u2028y\u2029z', '"x\\u2028y\\u2029z"'],
    ['quote and backslash', 'a"b\\c', '"a\\"b\\\\c"'],
    ['non-ASCII raw', 'zoë 日本 🐴', '"zoë 日本 🐴"'],
    ['slash kept', 'a/b+c=', '"a/b+c="'],
    ['script tag', '</script>', '"\\u003c/script\\u003e"'],
    ['already-escaped text is not unescaped', '\\u003c', '"\\\\u003c"'],
    ['control characters', 'a\nb\u0001', '"a\\nb\\u0001"'],
    ['lone surrogate', 'a\ud800', '"a\\ud800"'],
    ['DEL raw (neither escapes it)', 'a\u007f', '"a\u007f"'],
    ['empty', '', '""'],
  ])('%s', (_name, input, expected) => {
    expect(goJsonString(input)).toBe(expected);
    // whatever the escaping, it is still JSON for the same string
    expect(JSON.parse(goJsonString(input))).toBe(input);
  });
});

describe('goJsonString fast path (most fields need no escape)', () => {
  it('equals the general rule on every character class', () => {
    const general = (v: string) => JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    for (let c = 0; c < 0x3000; c++) {
      const s = `x${String.fromCharCode(c)}y`;
      expect(goJsonString(s), `U+${c.toString(16)}`).toBe(general(s));
    }
    for (const s of ['\ud83d\udc34', '\udc34', '\ud83d', 'plain_name', 'zoë']) expect(goJsonString(s)).toBe(general(s));
  });
});

describe('buildSignPayload', () => {
  it('genesis link: exact bytes, keys in byte order, prev null', () => {
    const p = buildSignPayload(BASE);
    expect(p).toBe(
      '{"action":"create","created_at":"1700000000","identity":"alice","platform":"twitter","prev":null,"uuid":"8a6f7c34-8b1a-4c0e-9d38-2f1e5b7a9c01"}',
    );
    expect(keysOf(p)).toEqual(byteSorted(keysOf(p)));
    expect(p).not.toMatch(/\s/);
  });

  it('prev is the previous signature as a string', () => {
    const p = buildSignPayload({ ...BASE, prev: PREV });
    expect(JSON.parse(p).prev).toBe(PREV);
    expect(p).toContain(`"prev":"${PREV}"`);
  });

  it('created_at stays a string in the payload', () => {
    expect(JSON.parse(buildSignPayload(BASE)).created_at).toBe('1700000000');
  });

  it('persona variant (ethereum, solana): persona between identity and platform', () => {
    const p = buildSignPayload({ ...BASE, platform: 'ethereum', identity: '0x115d0e8886e48b7eed48ecc40dfe8d327c4604c3', persona: PERSONA, prev: PREV });
    expect(keysOf(p)).toEqual(['action', 'created_at', 'identity', 'persona', 'platform', 'prev', 'uuid']);
    expect(keysOf(p)).toEqual(byteSorted(keysOf(p)));
    expect(p).toBe(
      `{"action":"create","created_at":"1700000000","identity":"0x115d0e8886e48b7eed48ecc40dfe8d327c4604c3","persona":"${PERSONA}","platform":"ethereum","prev":"${PREV}","uuid":"8a6f7c34-8b1a-4c0e-9d38-2f1e5b7a9c01"}`,
    );
  });

  it('Go escapes apply to every string field, non-ASCII stays raw', () => {
    const p = buildSignPayload({ ...BASE, platform: 'discord', identity: 'Zoë<&>\u2028🐴' });
    expect(p).toContain('"identity":"Zoë\\u003c\\u0026\\u003e\\u2028🐴"');
    expect(JSON.parse(p).identity).toBe('Zoë<&>\u2028🐴');
    // JSON.stringify alone would not produce the signed bytes
    expect(p).not.toContain(JSON.stringify('Zoë<&>\u2028🐴'));
  });

  it('matches a generic Go-style marshal of the same map', () => {
    const goMarshal = (o: Record<string, string | null>): string =>
      `{${byteSorted(Object.keys(o))
        .map((k) => `${goJsonString(k)}:${o[k] === null ? 'null' : goJsonString(o[k]!)}`)
        .join(',')}}`;
    const fields = { ...BASE, identity: 'a&b', prev: PREV, persona: PERSONA };
    expect(buildSignPayload(fields)).toBe(goMarshal(fields));
    expect(buildSignPayload(BASE)).toBe(goMarshal(BASE));
  });
});

describe('buildLegacySignPayload (links made before 2022-03-15)', () => {
  it('only action, identity, platform, prev — in that (byte) order', () => {
    const p = buildLegacySignPayload({ action: 'create', identity: 'yeiwb', platform: 'twitter', prev: null });
    expect(p).toBe('{"action":"create","identity":"yeiwb","platform":"twitter","prev":null}');
    const q = buildLegacySignPayload({ action: 'delete', identity: 'a<b', platform: 'twitter', prev: PREV });
    expect(keysOf(q)).toEqual(['action', 'identity', 'platform', 'prev']);
    expect(q).toContain('"identity":"a\\u003cb"');
    expect(q).toContain(`"prev":"${PREV}"`);
  });
});

describe('hasUnsignableCharacters', () => {
  it.each([
    ['NUL', '\u0000', true],
    ['tab', 'a\tb', true],
    ['newline', 'a\nb', true],
    ['unit separator', '\u001f', true],
    ['DEL', '\u007f', true],
    ['lone high surrogate', 'a\ud83d', true],
    ['lone low surrogate', '\udc34a', true],
    ['reversed pair', '\udc34\ud83d', true],
    ['emoji pair', '🐴', false],
    ['U+2028', '\u2028', false],
    ['< > &', '<>&', false],
    ['space', 'a b', false],
  ])('%s → %s', (_name, s, expected) => {
    expect(hasUnsignableCharacters(s)).toBe(expected);
  });
});
