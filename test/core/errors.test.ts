import { describe, expect, it } from 'vitest';
import { ERROR_CODES, fail, isErrorCode, isProofError, ProofError } from '../../src/core/index.js';

describe('errors', () => {
  it('the closed set holds every protocol: the chain rule code once', () => {
    for (const c of [
      'BAD_REQUEST',
      'BAD_PUBLIC_KEY',
      'BAD_SIGNATURE_ENCODING',
      'SIGNATURE_MISMATCH',
      'WALLET_SIGNATURE_MISMATCH',
      'PREV_MISMATCH',
      'FORK',
      'DUPLICATE_UUID',
      'UNKNOWN_PLATFORM',
      'UNKNOWN_ACTION',
      'PAYLOAD_MISMATCH',
      'NOT_FOUND',
      'PAYLOAD_TOO_LARGE',
      'RATE_LIMITED',
    ]) {
      expect(isErrorCode(c), c).toBe(true);
    }
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
    expect(ERROR_CODES.every((c) => /^[A-Z][A-Z_]*$/.test(c))).toBe(true);
    expect(isErrorCode('bad_request')).toBe(false);
    expect(isErrorCode('constructor')).toBe(false);
    expect(isErrorCode(5)).toBe(false);
  });

  it('ProofError carries code, message, details and cause; toJSON shows code and message only', () => {
    const cause = new Error('inner');
    const e = new ProofError('FORK', 'two links', { cause, details: { at: 3 } });
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('ProofError');
    expect(e.code).toBe('FORK');
    expect(e.details).toEqual({ at: 3 });
    expect(e.cause).toBe(cause);
    expect(JSON.parse(JSON.stringify(e))).toEqual({ code: 'FORK', message: 'two links' });
    expect(isProofError(e)).toBe(true);
    expect(isProofError(cause)).toBe(false);
    expect('cause' in new ProofError('FORK', 'x')).toBe(false);
  });

  it('fail throws a ProofError', () => {
    expect(() => fail('NOT_FOUND', 'nope', { id: 1 })).toThrow(ProofError);
    try {
      fail('NOT_FOUND', 'nope', { id: 1 });
    } catch (e) {
      expect(e).toMatchObject({ code: 'NOT_FOUND', message: 'nope', details: { id: 1 } });
    }
  });
});
