/**
 * keccak-256 through the native addon of the `keccak` package (the Keccak team's reference C,
 * ~4× noble here). After recovery it is the largest cost of verifying a link. It joins the native
 * recovery backend (src/crypto/select.ts) only after it reproduces noble's digests on inputs
 * that cross every sponge-block edge; otherwise that backend carries noble's (the reference),
 * with the reason logged. Nothing is installed process-wide.
 *
 * The addon is loaded through `node-gyp-build` on the package directory, not the package main:
 * the main silently falls back to a JS implementation when the addon does not load.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { bytesEqual, referenceKeccak256, type Keccak256 } from '../core/index.js';

/** The addon's sponge (keccak/src/addon.cc): initialize resets it completely. */
interface KeccakState {
  initialize(rate: number, capacity: number): void;
  /** any Uint8Array: the addon reads it through napi_get_buffer_info, which takes any view */
  absorb(data: Uint8Array): void;
  absorbLastFewBits(bits: number): void;
  squeeze(bytes: number): Buffer;
}

// keccak-256 (not SHA3-256): rate 1088 bits, capacity 512, padding suffix 0x01.
const RATE = 1088;
const CAPACITY = 512;
const SUFFIX = 0x01;

let cached: Keccak256 | null = null;

/** Load the addon and wrap it; throws a clear Error when it is not there. */
export function loadNativeKeccak(): Keccak256 {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  let State: new () => KeccakState;
  try {
    const dir = dirname(require.resolve('keccak/package.json'));
    const gypBuild = createRequire(`${dir}/package.json`)('node-gyp-build') as (d: string) => unknown;
    State = gypBuild(dir) as new () => KeccakState;
    if (typeof State !== 'function') throw new Error('the keccak addon did not export its state class');
  } catch (cause) {
    throw new Error(`native keccak unavailable (addon of the "keccak" package did not load): ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
  // One sponge, re-initialised per digest: JS calls it synchronously, one digest at a time.
  const sponge = new State();
  const fn = (bytes: Uint8Array): Uint8Array => {
    sponge.initialize(RATE, CAPACITY);
    // The view itself (at its offset): no Buffer object made per digest. The self-test below
    // digests a view at an offset, so an addon that read it wrongly would not be chosen.
    sponge.absorb(bytes);
    sponge.absorbLastFewBits(SUFFIX);
    const out = sponge.squeeze(32);
    return new Uint8Array(out.buffer, out.byteOffset, 32); // a plain Uint8Array, like noble's
  };
  cached = fn;
  return fn;
}

/**
 * Compare a keccak implementation with noble's on lengths around the 136-byte block (0, 1,
 * 135–137, 271–273, …) and a long input, and on a view into a larger buffer. Null when equal.
 */
export function keccakSelfTest(fn: Keccak256): string | null {
  try {
    const big = new Uint8Array(2048);
    for (let i = 0; i < big.length; i++) big[i] = (i * 131 + 7) & 0xff;
    for (const len of [0, 1, 31, 32, 33, 135, 136, 137, 271, 272, 273, 1000, 2048]) {
      const input = big.subarray(0, len);
      if (!bytesEqual(fn(input), referenceKeccak256(input))) return `digest of ${len} bytes differs from noble's`;
    }
    const view = big.subarray(5, 205);
    if (!bytesEqual(fn(view), referenceKeccak256(view))) return 'digest of a view at an offset differs from noble\'s';
    return null;
  } catch (err) {
    return `self-test threw: ${(err as Error)?.message ?? String(err)}`;
  }
}

/**
 * The native keccak when it loads and passes its self-test, else noble's; with its name
 * ('native' or 'noble') and, when native was not chosen, why.
 */
export function selectKeccak(load: () => Keccak256 = loadNativeKeccak): { fn: Keccak256; name: string; reason?: string } {
  let reason: string;
  try {
    const fn = load();
    const failed = keccakSelfTest(fn);
    if (failed === null) return { fn, name: 'native' };
    reason = `native keccak failed its self-test: ${failed}`;
  } catch (err) {
    reason = (err as Error)?.message ?? String(err);
  }
  return { fn: referenceKeccak256, name: 'noble', reason };
}
