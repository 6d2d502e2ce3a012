import { describe, expect, it } from 'vitest';
import { protectTxIds } from '../../src/cli/audit.js';

const dashId = `-${'b'.repeat(41)}_`;

describe('audit argv: Arweave ids that look like options', () => {
  it('rewrites a whole 43-character id beginning with "-" to ar://', () => {
    expect(protectTxIds(['--json', dashId])).toEqual(['--json', `ar://${dashId}`]);
  });
  it('leaves options, option values, ordinary ids and everything after -- alone', () => {
    const plain = 'b'.repeat(43);
    expect(protectTxIds(['--json', '-h', plain])).toEqual(['--json', '-h', plain]);
    expect(protectTxIds(['--config', dashId])).toEqual(['--config', dashId]);
    expect(protectTxIds(['--', dashId])).toEqual(['--', dashId]);
    expect(protectTxIds([`-${'b'.repeat(41)}`])).toEqual([`-${'b'.repeat(41)}`]); // 42 chars: not an id
  });
});
