import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { checkersDefaults } from '../../src/checkers/config.js';
import { defaultsOf } from '../../src/config/fields.js';
import { ConfigError, envName, loadConfig, redactConfig } from '../../src/config/load.js';
import { schema, type Config } from '../../src/config/schema.js';
import { defaultJson, referenceMd } from '../../scripts/gen-config.js';

function configFile(content: unknown): { file: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'proofkeep-config-'));
  const file = join(dir, 'c.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return { file, done: () => rmSync(dir, { recursive: true, force: true }) };
}

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('committed config/default.json and REFERENCE.md match the schema (run npm run config:gen)', () => {
    expect(readFileSync(new URL('../../config/default.json', import.meta.url), 'utf8')).toBe(defaultJson());
    expect(readFileSync(new URL('../../config/REFERENCE.md', import.meta.url), 'utf8')).toBe(referenceMd());
  });

  it('defaults < file < env < flags, and the result is frozen', () => {
    const f = configFile({ server: { port: 1111, host: '0.0.0.0' }, log: { level: 'debug' } });
    try {
      const c = loadConfig({ file: f.file, env: { PROOFKEEP_PORT: '2222', PROOFKEEP_LOG_LEVEL: 'warn' }, overrides: { 'server.port': 3333 } });
      expect(c.server.port).toBe(3333);
      expect(c.server.host).toBe('0.0.0.0');
      expect(c.log.level).toBe('warn');
      expect(c.server.bodyLimit).toBe(65536);
      expect(Object.isFrozen(c.server)).toBe(true);
      expect(() => {
        (c.server as { port: number }).port = 1;
      }).toThrow();
      expect(loadConfig({ env: { PROOFKEEP_CONFIG: f.file } }).server.port).toBe(1111);
    } finally {
      f.done();
    }
  });

  it('a config file written for an earlier release still loads: audit.batchSize is kept, deprecated and ignored', () => {
    const f = configFile({ audit: { batchSize: 1024 } });
    try {
      const c = loadConfig({ file: f.file });
      expect(c.audit.batchSize).toBe(1024);
      expect(c.audit.chunkBytes).toBe(256 * 1024);
    } finally {
      f.done();
    }
  });

  it('maps env names from the schema and parses their types', () => {
    expect(envName('store.groupCommitMs')).toBe('PROOFKEEP_STORE_GROUP_COMMIT_MS');
    const c = loadConfig({ env: { PROOFKEEP_STORE_GROUP_COMMIT_MS: '7', PROOFKEEP_SERVER_TRUST_PROXY: '10.0.0.1, fd00::/8', PROOFKEEP_SERVER_PLATFORMS: 'twitter, dns', PROOFKEEP_DATA_DIR: '/tmp/x' } });
    expect([c.store.groupCommitMs, c.server.trustProxy, c.server.platforms, c.store.dataDir]).toEqual([7, ['10.0.0.1', 'fd00::/8'], ['twitter', 'dns'], '/tmp/x']);
  });

  it('names unknown keys and bad values, all at once', () => {
    const f = configFile({ server: { prot: 80, port: 'eighty', bodyLimit: 10 }, crypto: { backend: 'gpu' }, extra: {} });
    try {
      const p = problems(() => loadConfig({ file: f.file }));
      expect(p).toEqual([
        expect.stringMatching(/^unknown key server\.prot \(known in server: host, port/),
        expect.stringMatching(/^server\.port must be an integer ≥ 0 ≤ 65535, got "eighty"/),
        expect.stringMatching(/^server\.bodyLimit must be an integer ≥ 1024/),
        expect.stringMatching(/^crypto\.backend must be one of auto, native, noble/),
        expect.stringMatching(/^unknown key extra/),
      ]);
    } finally {
      f.done();
    }
    expect(problems(() => loadConfig({ env: { PROOFKEEP_PROT: '1' } }))).toEqual(['unknown environment variable PROOFKEEP_PROT']);
    expect(problems(() => loadConfig({ env: { PROOFKEEP_PORT: 'abc' } }))[0]).toMatch(/server\.port \(from environment\) must be a number/);
    expect(problems(() => loadConfig({ file: '/nonexistent/proofkeep.json' }))[0]).toMatch(/cannot read config file/);
    const bad = configFile('{ not json');
    try {
      expect(problems(() => loadConfig({ file: bad.file }))[0]).toMatch(/is not valid JSON/);
    } finally {
      bad.done();
    }
  });

  it('reports each bad environment value once (not again as "got null")', () => {
    expect(problems(() => loadConfig({ env: { PROOFKEEP_PORT: 'abc' } }))).toEqual(['server.port (from environment) must be a number, got "abc"']);
    expect(problems(() => loadConfig({ env: { PROOFKEEP_CHECKERS_ENABLED: 'maybe', PROOFKEEP_STORE_BUSY_TIMEOUT_MS: '' } }))).toEqual([
      'checkers.enabled (from environment) must be true or false, got "maybe"',
      'store.busyTimeoutMs (from environment) must be a number, got ""',
    ]);
    // parsed but out of range: one problem, from the schema check
    expect(problems(() => loadConfig({ env: { PROOFKEEP_PORT: '70000' } }))).toEqual([expect.stringMatching(/^server\.port must be an integer ≥ 0 ≤ 65535, got 70000$/)]);
    // the catalogue's code for it
    expect(() => loadConfig({ env: { PROOFKEEP_PORT: 'abc' } })).toThrow(expect.objectContaining({ name: 'ConfigError', code: 'BAD_CONFIG' }));
  });

  it('keys inherited from Object.prototype are unknown keys, not sections', () => {
    const f = configFile('{"server": {"constructor": 1, "__proto__": {"port": 1}}, "toString": 2}');
    try {
      expect(problems(() => loadConfig({ file: f.file }))).toEqual([
        expect.stringMatching(/^unknown key server\.constructor /),
        expect.stringMatching(/^unknown key server\.__proto__ /),
        expect.stringMatching(/^unknown key toString /),
      ]);
    } finally {
      f.done();
    }
  });

  it('defaults and types come from the schema alone', () => {
    const loaded = loadConfig({ env: {} });
    expect(loaded).toEqual(defaultsOf(schema));
    expect(JSON.parse(readFileSync(new URL('../../config/default.json', import.meta.url), 'utf8'))).toEqual(loaded);
    expect(checkersDefaults).toEqual(loaded.checkers);
    expect(Object.isFrozen(checkersDefaults.platforms.twitter.limit)).toBe(true);
    // compile-time: the types are derived (tsc fails here if the schema changes a key's type)
    expectTypeOf<Config['server']['port']>().toEqualTypeOf<number>();
    expectTypeOf<Config['crypto']['backend']>().toEqualTypeOf<'auto' | 'native' | 'noble'>();
    expectTypeOf<Config['archive']['ipfs']['listen']>().toEqualTypeOf<readonly string[]>();
    expectTypeOf<Config['checkers']['platforms']['activitypub']['scheme']>().toEqualTypeOf<'https' | 'http'>();
  });

  it('redacts secrets for printing', () => {
    const c = loadConfig({ env: { PROOFKEEP_SERVER_ADMIN_TOKEN: 's3cret' } });
    expect(c.server.adminToken).toBe('s3cret');
    expect(JSON.stringify(redactConfig(c))).not.toContain('s3cret');
  });
});
