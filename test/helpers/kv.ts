/** A KV client as Mask drives the KVService: payload, sign JSON.stringify(JSON.parse(sign_payload)), write. */
import type { TestAvatar } from './avatar.js';
import { post } from './daemon.js';

export interface KvWriteOptions {
  /** send the key as `persona` (Mask) instead of `avatar` */
  persona?: boolean;
  /** the key spelling sent (default: compressed id) */
  key?: string;
  /** change the body of the write after signing */
  tamper?: (body: Record<string, unknown>) => void;
}

export async function kvPayload(url: string, a: TestAvatar, platform: string, identity: string, patch: unknown, o: KvWriteOptions = {}) {
  const key = o.key ?? a.id;
  return post(`${url}/v1/kv/payload`, { ...(o.persona ? { persona: key } : { avatar: key }), platform, identity, patch });
}

/** Body of POST /v1/kv for a payload answer, signed the way Mask signs it. */
export function kvWriteBody(a: TestAvatar, payload: { uuid: string; sign_payload: string; created_at: number }, platform: string, identity: string, patch: unknown, o: KvWriteOptions = {}) {
  const key = o.key ?? a.id;
  const body: Record<string, unknown> = {
    ...(o.persona ? { persona: key } : { avatar: key }), platform, identity, uuid: payload.uuid, created_at: payload.created_at,
    signature: a.sign(JSON.stringify(JSON.parse(payload.sign_payload))), patch,
  };
  o.tamper?.(body);
  return body;
}

export async function kvWrite(url: string, a: TestAvatar, platform: string, identity: string, patch: unknown, o: KvWriteOptions = {}) {
  const p = await kvPayload(url, a, platform, identity, patch, o);
  if (p.status !== 200) return p;
  return post(`${url}/v1/kv`, kvWriteBody(a, p.body, platform, identity, patch, o));
}
