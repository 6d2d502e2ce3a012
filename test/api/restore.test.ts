/** POST /v1/proof/restore_pubkey over real HTTP: both forms of the upstream vector, and 400s with codes where upstream panics. */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { repoPath, type Json } from '../core/helpers.js';

const V = (JSON.parse(readFileSync(repoPath('test', 'vectors', 'kv_vectors.json'), 'utf8')) as { vectors: Json[] }).vectors.find((v) => v.kind === 'restore_pubkey')!;
let d: TestDaemon;
beforeAll(async () => {
  d = await startDaemon();
});
afterAll(async () => {
  await d?.stop();
});

describe('POST /v1/proof/restore_pubkey', () => {
  it('fields form → 200 {public_key}', async () => {
    const r = await post(`${d.url}/v1/proof/restore_pubkey`, V.request);
    expect(r.status).toBe(200);
    expect(r.body).toEqual(V.response);
  });
  it('proof_post form (twitter) → 200 {public_key}', async () => {
    const r = await post(`${d.url}/v1/proof/restore_pubkey`, V.proof_post_request);
    expect(r.status).toBe(200);
    expect(r.body).toEqual(V.response);
  });
  it.each([
    ['an unknown platform', { ...V.request, platform: 'steam' }, 'UNKNOWN_PLATFORM'],
    ['ethereum', { ...V.request, platform: 'ethereum', identity: `0x${'ab'.repeat(20)}` }, 'UNSUPPORTED_PLATFORM'],
    ['solana', { ...V.request, platform: 'solana', identity: '11111111111111111111111111111111' }, 'UNSUPPORTED_PLATFORM'],
    ['a proof_post for discord', { ...V.proof_post_request, platform: 'discord' }, 'UNSUPPORTED_PLATFORM'],
    ['created_at as a number (upstream: string)', { ...V.request, created_at: 1694961172 }, 'BAD_REQUEST'],
    ['a short signature', { ...V.request, signature: 'AAAA' }, 'BAD_SIGNATURE_ENCODING'],
    ['no action', { ...V.request, action: undefined }, 'BAD_REQUEST'],
    ['a body that is not an object', [1, 2], 'BAD_REQUEST'],
  ])('%s → 400 %s', async (_n, body, code) => {
    const r = await post(`${d.url}/v1/proof/restore_pubkey`, body);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe(code);
  });
});
