/** The stable code a synchronous call fails with, or what it did instead (for assertions). */
import { ProofError } from '../../src/core/index.js';

export function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    return err instanceof ProofError ? err.code : `not a ProofError: ${String(err)}`;
  }
  return 'nothing thrown';
}
