import { hash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  decodeBundle, decodeEntry, encodeBundle, encodeEntry, encodeTileIndex, evidenceHash, parseTilePath, tilePath, tilesOf, tileWidth,
  TlogError, type LinkEntry,
} from '../../../src/core/tlog/index.js';

describe('tile paths (C2SP tlog-tiles)', () => {
  it('encodes indexes in zero-padded triplets and parses only the canonical spelling', () => {
    expect(encodeTileIndex(1234067)).toBe('x001/x234/067');
    expect(encodeTileIndex(0)).toBe('000');
    expect(tilePath({ level: 1, index: 1234067, width: 256 })).toBe('tile/1/x001/x234/067');
    expect(tilePath({ level: -1, index: 3, width: 17 })).toBe('tile/entries/003.p/17');
    expect(parseTilePath('1/x001/x234/067')).toEqual({ level: 1, index: 1234067, width: 256 });
    expect(parseTilePath('entries/003.p/17')).toEqual({ level: -1, index: 3, width: 17 });
    for (const bad of ['1/1234067', '01/000', '64/000', '0/x000/001', '0/001.p/0', '0/001.p/256', '0/001.p/017', '0/01', '0/001/', 'x/001', '0/x001']) {
      expect(parseTilePath(bad), bad).toBeNull();
    }
  });

  it('has the tiles the spec lists for a tree of 70,000 entries', () => {
    const tiles = tilesOf(70000);
    expect(tiles.filter((t) => t.level === 0 && t.width === 256)).toHaveLength(273);
    expect(tiles.filter((t) => t.level === 0 && t.width < 256).map((t) => t.width)).toEqual([112]);
    expect(tiles.filter((t) => t.level === 1).map((t) => t.width)).toEqual([256, 17]);
    expect(tiles.filter((t) => t.level === 2).map((t) => t.width)).toEqual([1]);
    expect(tilesOf(256).map((t) => [t.level, t.width])).toEqual([[0, 256], [1, 1]]);
    expect(tileWidth(0, 1, 256)).toBe(0);
  });

  it('round-trips entry bundles and rejects truncated ones', () => {
    const entries = [new Uint8Array([]), new Uint8Array([1, 2, 3]), new Uint8Array(300).fill(7)];
    const b = encodeBundle(entries);
    expect(decodeBundle(b)).toEqual(entries);
    expect(decodeBundle(b.subarray(0, b.length - 1))).toBeNull();
    expect(decodeBundle(new Uint8Array([0]))).toBeNull();
  });
});

describe('entry bytes', () => {
  const link: LinkEntry = {
    kind: 'link', avatar: '0x02aa', action: 'create', platform: 'twitter', identity: 'ann', proof_location: '1', created_at: 1700000000,
    uuid: 'u', prev: null, signature: 'c2ln', signature_payload: '{"a":1}', extra: { z: '1', a: '2' },
  };

  it('are compact JSON in the documented field order, extra keys sorted', () => {
    expect(new TextDecoder().decode(encodeEntry(link))).toBe(
      '{"v":1,"kind":"link","avatar":"0x02aa","action":"create","platform":"twitter","identity":"ann","proof_location":"1","created_at":1700000000,"uuid":"u","prev":null,"signature":"c2ln","signature_payload":"{\\"a\\":1}","extra":{"a":"2","z":"1"}}',
    );
  });

  it('decode only canonical bytes', () => {
    expect(decodeEntry(encodeEntry(link))).toEqual({ ...link, extra: { a: '2', z: '1' } });
    const text = new TextDecoder().decode(encodeEntry(link));
    for (const bad of [text.replace('"v":1,', ''), text.replace('{"v":1,"kind":"link"', '{"kind":"link","v":1'), `${text.slice(0, -1)} }`, text.replace('"ann"', '"\\u0061nn"'), text.replace('"prev":null', '"prev":0')]) {
      expect(() => decodeEntry(new TextEncoder().encode(bad)), bad).toThrow(TlogError);
    }
    expect(() => encodeEntry({ ...link, created_at: 1.5 })).toThrow(TlogError);
    expect(() => encodeEntry({ ...link, signature_payload: 'x'.repeat(70000) })).toThrow(/65535/);
  });

  it('hash evidence over its canonical JSON', () => {
    const h = evidenceHash({ url: 'https://x', text: null, fetchedAt: 5 });
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(evidenceHash({ url: 'https://x', text: '', fetchedAt: 5 })).not.toBe(h);
    // over node's SHA-256 (the daemon's log writer): the same hash
    const ev = { url: 'https://x/1', text: 'Sig: ✓ "quoted"', fetchedAt: 1_700_000_000 };
    expect(evidenceHash(ev, (d) => hash('sha256', d, 'buffer'))).toBe(evidenceHash(ev));
  });
});
