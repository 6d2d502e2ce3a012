/** Row shapes and conversions between SQLite rows and core links. */
import type { Link } from '../core/index.js';

export interface AvatarRow {
  id: number;
  avatar: string;
  public_key: string;
  head_link_id: number | null;
  head_signature: string | null;
  link_count: number;
  activated_at: number;
  updated_at: number;
}

export interface LinkRow {
  id: number;
  avatar_id: number;
  seq: number;
  prev: string | null;
  action: string;
  platform: string;
  identity: string;
  proof_location: string | null;
  created_at: number;
  uuid: string;
  signature: string;
  signature_payload: string;
  extra: string;
  received_at: number;
}

export function rowToLink(r: LinkRow): Link {
  return {
    prev: r.prev,
    action: r.action as Link['action'],
    platform: r.platform,
    identity: r.identity,
    proof_location: r.proof_location,
    created_at: r.created_at,
    uuid: r.uuid,
    signature: r.signature,
    signature_payload: r.signature_payload,
    extra: JSON.parse(r.extra) as Record<string, string>,
  };
}
