/**
 * Picks the recovery backend at start-up (config `crypto.backend`). `auto` prefers libsecp256k1
 * but only after it reproduces a known vector; a fallback to the pure-JS noble backend is
 * logged as a warning, never silent. `native` that cannot load or fails the self-test is a
 * start-up error: an operator who asked for it should not get 50× slower ingest unnoticed.
 * The native backend carries libsecp256k1's point decompression for key parsing (see core
 * keys.ts) and, after its own self-test, the native keccak-256 (see keccak.ts): they travel with
 * the backend object to whoever is given it. Nothing here changes a process-wide setting, so a
 * second pool or an auditor in the same process cannot change the daemon's.
 */
import { bytesEqual, bytesToHex, hexToBytes, nobleBackend, personalSignDigest, type RecoveryBackend } from '../core/index.js';
import { selectKeccak } from './keccak.js';
import type { BackendMode } from './config.js';
import { loadNativeBackend, loadNativeKeyDecompressor } from './native.js';

/** The slice of a pino logger this module uses. */
export interface BackendLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface SelectedBackend {
  backend: RecoveryBackend;
  /** 'native' or 'noble': for logs and /healthz */
  name: string;
  mode: BackendMode;
  /** why `auto` did not get the native backend */
  fallbackReason?: string;
  /** the backend's keccak-256: 'native' with the native backend when it passes its self-test, else 'noble' */
  keccak: string;
  /** why the native backend runs with noble's keccak */
  keccakReason?: string;
}

// Real vector (NextDotID docs, SPEC vectors "ps-test123123-v01"): personal_sign of
// "Test123123!" by a known key, RFC 6979, v = 1.
const VECTOR = {
  message: 'Test123123!',
  signature: '52f210dadad13c4c8d0656e7380300a367a056631cf26950baa7de4f580187795c76b5fc94de5bd0b8af4d5df432687d900402cba86a12570af56be35ba8d56401',
  uncompressed: '044f30514c76f34bb9bcb25c63801d9271494c70f8b01601aa25152132dfe7c951e94fc2087865a52e94edfb52346f8cc84397959ecc4644e38840002f2dd47e8d',
};
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

const scalar = (n: bigint): Uint8Array => hexToBytes(n.toString(16).padStart(64, '0'))!;
const toBig = (b: Uint8Array): bigint => BigInt(`0x${bytesToHex(b)}`);

/**
 * Check a backend against the known vector and the contract's edges. Returns null when it
 * passes, else what went wrong. Costs a handful of recoveries.
 */
export function selfTest(backend: RecoveryBackend): string | null {
  try {
    const digest = personalSignDigest(VECTOR.message, backend.keccak256);
    const sig = hexToBytes(VECTOR.signature)!;
    const compact = sig.subarray(0, 64);
    const rec = sig[64] as 0 | 1;
    const want = hexToBytes(VECTOR.uncompressed)!;
    const got = backend.recover(digest, compact, rec);
    if (!got || !bytesEqual(got, want)) return 'known vector did not recover to its public key';
    // The same signature with s' = n − s and the other recovery id is the same key (no low-s rule).
    const r = compact.subarray(0, 32);
    const s = toBig(compact.subarray(32));
    const highS = new Uint8Array(64);
    highS.set(r, 0);
    highS.set(scalar(N - s), 32);
    const got2 = backend.recover(digest, highS, (rec ^ 1) as 0 | 1);
    if (!got2 || !bytesEqual(got2, want)) return 'high-s form of the known vector did not recover to its public key';
    // The compressed answer, when the backend has one, is that key compressed.
    if (backend.recoverCompressed) {
      const c = backend.recoverCompressed(digest, compact, rec);
      const wantC = new Uint8Array(33);
      wantC[0] = (want[64]! & 1) === 1 ? 3 : 2;
      wantC.set(want.subarray(1, 33), 1);
      if (!c || !bytesEqual(c, wantC)) return 'compressed recovery of the known vector is not its compressed public key';
    }
    const tampered = new Uint8Array(digest);
    tampered[0]! ^= 1;
    const got3 = backend.recover(tampered, compact, rec);
    if (got3 && bytesEqual(got3, want)) return 'a tampered digest recovered the signer';
    const zeroR = new Uint8Array(compact);
    zeroR.fill(0, 0, 32);
    if (backend.recover(digest, zeroR, rec) !== null) return 'r = 0 did not return null';
    if (backend.recoverCompressed && backend.recoverCompressed(digest, zeroR, rec) !== null) return 'r = 0 did not return null (compressed)';
    const bigS = new Uint8Array(compact);
    bigS.set(scalar(N), 32);
    if (backend.recover(digest, bigS, rec) !== null) return 's = n did not return null';
    return null;
  } catch (err) {
    return `self-test threw: ${(err as Error)?.message ?? String(err)}`;
  }
}

/**
 * Choose the backend for `mode`. Throws (a start-up error) when `native` is not usable.
 * `loadNative` is a seam for tests (a loader that throws or returns a broken backend).
 */
export function selectBackend(mode: BackendMode, log?: BackendLog, loadNative: () => RecoveryBackend = loadNativeBackend): SelectedBackend {
  if (mode === 'noble') {
    log?.info({ backend: 'noble', mode }, 'signature recovery: noble (pure JS), as configured');
    return { backend: nobleBackend, name: nobleBackend.name, mode, keccak: 'noble' };
  }
  if (mode !== 'native' && mode !== 'auto') throw new Error(`crypto.backend must be auto, native or noble, got ${String(mode)}`);
  let problem: string;
  try {
    const native = loadNative();
    const failed = selfTest(native);
    if (failed === null) {
      // The native libraries for the other two hot spots join the backend: point decompression
      // (core re-checks each answer with noble) and keccak-256 after its own self-test. A test
      // seam's stand-in backend keeps what it brings (noble's keccak when it brings none).
      let keccak: { name: string; reason?: string } = { name: native.keccak256 ? native.name : 'noble' };
      let backend = native;
      if (loadNative === loadNativeBackend) {
        const k = selectKeccak();
        keccak = k.reason ? { name: k.name, reason: k.reason } : { name: k.name };
        if (k.reason) log?.warn({ reason: k.reason }, 'keccak-256: native addon not usable, using noble (slower, same results)');
        backend = {
          name: native.name,
          recover: native.recover,
          ...(native.recoverCompressed ? { recoverCompressed: native.recoverCompressed } : {}),
          keccak256: k.fn,
          decompress: loadNativeKeyDecompressor(),
        };
      }
      log?.info({ backend: backend.name, mode, keccak: keccak.name }, 'signature recovery: native libsecp256k1');
      return { backend, name: backend.name, mode, keccak: keccak.name, ...(keccak.reason ? { keccakReason: keccak.reason } : {}) };
    }
    problem = `native backend failed its self-test: ${failed}`;
  } catch (err) {
    problem = (err as Error)?.message ?? String(err);
  }
  if (mode === 'native') throw new Error(`crypto.backend is "native" but ${problem}`);
  log?.warn(
    { backend: 'noble', mode, reason: problem },
    'signature recovery: FALLING BACK to noble (pure JS, ~50x slower) because the native libsecp256k1 backend is not usable',
  );
  return { backend: nobleBackend, name: nobleBackend.name, mode, fallbackReason: problem, keccak: 'noble' };
}
