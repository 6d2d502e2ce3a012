/**
 * C2SP tlog-tiles arithmetic: tile paths, which tiles a tree size has and how wide, entry
 * bundles, and a SubtreeSource over tile-level hashes. Level-L tiles hold hashes of complete
 * subtrees of height 8·L; a subtree of any other height is recomputed from at most 128 of them.
 */
import { HASH_SIZE, hashOfHashes, type Hash, type SubtreeSource } from './merkle.js';

export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 256;
/** entries in a bundle are uint16 length-prefixed */
export const MAX_ENTRY_SIZE = 0xffff;

export interface TileRef {
  /** 0..63 for hash tiles; -1 for an entry bundle */
  level: number;
  index: number;
  /** 1..256; 256 = full */
  width: number;
}

/** 1234067 → "x001/x234/067" */
export function encodeTileIndex(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('tile index must be a non-negative safe integer');
  const groups: string[] = [];
  let v = n;
  do {
    groups.unshift(String(v % 1000).padStart(3, '0'));
    v = Math.floor(v / 1000);
  } while (v > 0);
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
}

/** Path below the log prefix: `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`. */
export function tilePath(t: TileRef): string {
  const base = `tile/${t.level < 0 ? 'entries' : String(t.level)}/${encodeTileIndex(t.index)}`;
  return t.width === TILE_WIDTH ? base : `${base}.p/${t.width}`;
}

/**
 * Parse what follows `tile/` (attacker-controlled URL text). Only the canonical spelling is
 * accepted, so every tile has exactly one URL and caches cannot be split or poisoned.
 */
export function parseTilePath(rest: string): TileRef | null {
  const m = /^(entries|0|[1-9][0-9]?)\/((?:x[0-9]{3}\/){0,5}[0-9]{3})(?:\.p\/([1-9][0-9]{0,2}))?$/.exec(rest);
  if (!m) return null;
  const level = m[1] === 'entries' ? -1 : Number(m[1]);
  if (level > 63) return null;
  const index = Number(m[2]!.replace(/x/g, '').replace(/\//g, ''));
  const width = m[3] === undefined ? TILE_WIDTH : Number(m[3]);
  if (!Number.isSafeInteger(index) || (m[3] !== undefined && width >= TILE_WIDTH)) return null;
  const t = { level, index, width };
  return tilePath(t) === `tile/${rest}` ? t : null;
}

/** Hashes at tile level L for a tree of `size` leaves (complete subtrees of height 8L). */
export function levelCount(level: number, size: number): number {
  return Math.floor(size / TILE_WIDTH ** level);
}

/**
 * Width of tile `index` at `level` in a tree of `size` leaves: 256 when full, 1..255 when it
 * is that size's partial tile, 0 when the tree has no such tile. Level -1 (entries) = level 0.
 */
export function tileWidth(level: number, index: number, size: number): number {
  const n = levelCount(Math.max(level, 0), size) - index * TILE_WIDTH;
  return n <= 0 ? 0 : Math.min(n, TILE_WIDTH);
}

/** Every tile (level ≥ 0) a tree of `size` leaves consists of, lowest level first. */
export function tilesOf(size: number): TileRef[] {
  const out: TileRef[] = [];
  for (let level = 0; levelCount(level, size) > 0; level++) {
    const count = levelCount(level, size);
    for (let index = 0; index * TILE_WIDTH < count; index++) out.push({ level, index, width: tileWidth(level, index, size) });
  }
  return out;
}

/** Split a tile body into its hashes; null when the length is not `width` hashes. */
export function splitTile(body: Uint8Array, width: number): Hash[] | null {
  if (body.length !== width * HASH_SIZE) return null;
  const out: Hash[] = [];
  for (let i = 0; i < width; i++) out.push(body.slice(i * HASH_SIZE, (i + 1) * HASH_SIZE));
  return out;
}

export function encodeBundle(entries: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(entries.reduce((n, e) => n + 2 + e.length, 0));
  let o = 0;
  for (const e of entries) {
    if (e.length > MAX_ENTRY_SIZE) throw new RangeError('log entry longer than 65535 bytes');
    out[o++] = e.length >> 8;
    out[o++] = e.length & 0xff;
    out.set(e, o);
    o += e.length;
  }
  return out;
}

/** Entries of a bundle; null when the bytes are not a well-formed sequence of length-prefixed entries. */
export function decodeBundle(body: Uint8Array): Uint8Array[] | null {
  const out: Uint8Array[] = [];
  let o = 0;
  while (o < body.length) {
    if (o + 2 > body.length) return null;
    const len = (body[o]! << 8) | body[o + 1]!;
    o += 2;
    if (o + len > body.length) return null;
    out.push(body.slice(o, o + len));
    o += len;
  }
  return out;
}

/** Reads `count` consecutive hashes at tile level L starting at `from` (all inside the tree). */
export type LevelReader = (level: number, from: number, count: number) => Hash[];

/**
 * A SubtreeSource over tile-level hashes: a subtree of height h is the tree hash of 2^(h mod 8)
 * consecutive hashes at level ⌊h/8⌋ (hashed by `ofHashes`: the daemon passes node's SHA-256).
 */
export function subtreeSource(read: LevelReader, ofHashes: (hashes: readonly Hash[]) => Hash = hashOfHashes): SubtreeSource {
  return (height, index) => {
    const level = Math.floor(height / TILE_HEIGHT);
    const span = 2 ** (height % TILE_HEIGHT);
    const hashes = read(level, index * span, span);
    if (hashes.length !== span) throw new Error(`missing hashes at level ${level}`);
    return ofHashes(hashes);
  };
}
