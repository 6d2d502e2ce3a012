import { describe, expect, it } from 'vitest';
import { nobleBackend, type RecoveryBackend } from '../../src/core/index.js';
import os from 'node:os';
import { defaultsOf, loadConfig } from '../../src/config/load.js';
import { cryptoSection, workerCount } from '../../src/crypto/config.js';
import { selectBackend, selfTest, type BackendLog } from '../../src/crypto/select.js';

function memoryLog() {
  const lines: Array<{ level: 'info' | 'warn'; obj: Record<string, unknown>; msg?: string }> = [];
  const log: BackendLog = {
    info: (obj, msg) => lines.push({ level: 'info', obj: obj as Record<string, unknown>, msg }),
    warn: (obj, msg) => lines.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
  };
  return { log, lines };
}

const broken: Record<string, RecoveryBackend> = {
  // always null: fails the known vector
  'null-only': { name: 'native', recover: () => null },
  // enforces low-s, unlike noble: fails the high-s twin
  'low-s-only': {
    name: 'native',
    recover: (d, c, r) => ((c[32] ?? 0) >= 0x80 ? null : nobleBackend.recover(d, c, r)),
  },
  // accepts anything by returning the vector key: fails the tampered-digest and r = 0 checks
  constant: (() => {
    let first: Uint8Array | null = null;
    return { name: 'native', recover: (d: Uint8Array, c: Uint8Array, r: 0 | 1) => (first ??= nobleBackend.recover(d, c, r)) };
  })(),
  throws: { name: 'native', recover: () => { throw new Error('boom'); } },
};

describe('backend selection', () => {
  it('the real backends pass the self-test', () => {
    expect(selfTest(nobleBackend)).toBeNull();
    const { backend } = selectBackend('native');
    expect(backend.name).toBe('native');
    expect(selfTest(backend)).toBeNull();
  });

  it('auto picks native when it loads and logs it at info', () => {
    const { log, lines } = memoryLog();
    const sel = selectBackend('auto', log);
    expect(sel.name).toBe('native');
    expect(sel.fallbackReason).toBeUndefined();
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe('info');
    expect(lines[0]!.obj['backend']).toBe('native');
  });

  it('noble when configured', () => {
    const { log, lines } = memoryLog();
    const sel = selectBackend('noble', log);
    expect(sel.backend).toBe(nobleBackend);
    expect(sel.name).toBe('noble');
    expect(lines[0]!.level).toBe('info');
  });

  it('auto falls back to noble with a warning when native does not load', () => {
    const { log, lines } = memoryLog();
    const sel = selectBackend('auto', log, () => {
      throw new Error('native secp256k1 backend unavailable: test');
    });
    expect(sel.backend).toBe(nobleBackend);
    expect(sel.fallbackReason).toMatch(/unavailable: test/);
    expect(lines.map((l) => l.level)).toEqual(['warn']);
    expect(lines[0]!.msg).toMatch(/FALLING BACK to noble/);
    expect(lines[0]!.obj['reason']).toMatch(/unavailable: test/);
  });

  it('native requested but unavailable is a start-up error', () => {
    expect(() =>
      selectBackend('native', undefined, () => {
        throw new Error('no addon');
      }),
    ).toThrow(/crypto.backend is "native" but no addon/);
  });

  for (const [name, backend] of Object.entries(broken)) {
    it(`a native backend that misbehaves (${name}) fails the self-test: auto falls back, native refuses`, () => {
      expect(selfTest(backend)).not.toBeNull();
      const { log, lines } = memoryLog();
      const sel = selectBackend('auto', log, () => backend);
      expect(sel.backend).toBe(nobleBackend);
      expect(sel.fallbackReason).toMatch(/self-test/);
      expect(lines[0]!.level).toBe('warn');
      expect(() => selectBackend('native', undefined, () => backend)).toThrow(/self-test/);
    });
  }

  it('rejects unknown modes', () => {
    expect(() => selectBackend('fast' as never)).toThrow(/auto, native or noble/);
  });
});

describe('crypto config', () => {
  it('defaults: auto backend, one worker per core', () => {
    expect(defaultsOf(cryptoSection)).toEqual({ backend: 'auto', workers: 0 });
    expect(workerCount(0)).toBe(os.availableParallelism());
    expect(workerCount(3)).toBe(3);
  });
  it('the loader names bad values', () => {
    expect(() => loadConfig({ env: {}, overrides: { 'crypto.backend': 'fast' } })).toThrow(/crypto.backend must be one of auto, native, noble/);
    expect(() => loadConfig({ env: { PROOFKEEP_CRYPTO_WORKERS: '-1' } })).toThrow(/crypto.workers/);
  });
});
