/**
 * The link in chain-document form (protocol: the chain document) — the one shape the core verifies. API bodies,
 * /v1/proofchain items and feed entries are converted to it at the edges (see convert.ts).
 */
export type Action = 'create' | 'delete';
export const ACTIONS: readonly Action[] = ['create', 'delete'];

export interface Link {
  /** previous link's stored signature; null for the first link */
  prev: string | null;
  action: Action;
  platform: string;
  identity: string;
  proof_location: string | null;
  /** unix seconds */
  created_at: number;
  /** lowercase canonical UUID; '' for legacy links */
  uuid: string;
  /** stored (canonical) signature; '' for the deployed service's unsigned links */
  signature: string;
  /** the exact signed string; '' for legacy links */
  signature_payload: string;
  /** `{}` or `{wallet_signature}` */
  extra: Record<string, string>;
}

export interface ChainDocument {
  version: '1';
  avatar: { public_key: string; curve: 'secp256k1' };
  links: Link[];
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Legacy links (before 2022-03-15) signed only action, identity, platform, prev. */
export function isLegacyLink(link: Pick<Link, 'uuid' | 'signature_payload'>): boolean {
  return link.uuid === '' && link.signature_payload === '';
}
