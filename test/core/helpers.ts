/**
 * Shared helpers for the core tests: locating the shared Next.ID vectors file and asserting
 * ProofError codes. Not a test file itself.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { ProofError, type ErrorCode } from '../../src/core/index.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SHARED_REL = join('shared', 'vectors', 'nextid_vectors.json');

/**
 * The Next.ID vectors live in the repo (`test/vectors/nextid_vectors.json`, a verbatim copy of
 * the team's `../shared/vectors/nextid_vectors.json`), so a clone anywhere runs every vector
 * test. `sharedVectorsPath` finds the team copy when it is beside the repo (or in
 * PROOFKEEP_SHARED_DIR), so a test can check the two have not drifted apart.
 */
export function nextIdVectorsPath(): string {
  return join(REPO_ROOT, 'test', 'vectors', 'nextid_vectors.json');
}

export function sharedVectorsPath(): string | null {
  const candidates: string[] = [];
  const env = process.env['PROOFKEEP_SHARED_DIR'];
  if (env) candidates.push(join(env, 'vectors', 'nextid_vectors.json'));
  let dir = resolve(REPO_ROOT, '..');
  for (let i = 0; i < 3; i++) {
    candidates.push(join(dir, SHARED_REL));
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return candidates.find((p) => existsSync(p)) ?? null;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export function loadNextIdVectors(): Json {
  return JSON.parse(readFileSync(nextIdVectorsPath(), 'utf8'));
}

export function repoPath(...parts: string[]): string {
  return join(REPO_ROOT, ...parts);
}

/** Run `f`, expect it to throw a ProofError with `code`; returns the error. */
export function expectCode(f: () => unknown, code: ErrorCode): ProofError {
  let thrown: unknown;
  try {
    f();
  } catch (err) {
    thrown = err;
  }
  expect(thrown, `expected ProofError ${code}, nothing was thrown`).toBeDefined();
  expect(thrown).toBeInstanceOf(ProofError);
  expect((thrown as ProofError).code).toBe(code);
  return thrown as ProofError;
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

export function fromHex(h: string): Uint8Array {
  return new Uint8Array(Buffer.from(h.replace(/^0x/i, ''), 'hex'));
}

export function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}
