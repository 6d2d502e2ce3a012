/**
 * The chain document (protocol: the chain document): deterministic bytes, so the same chain always gives the same
 * CID. Key order is written out explicitly; strings use JSON.stringify's escaping (the Go
 * escapes of the sign payload do not apply here).
 */
import { utf8 } from './encoding.js';
import type { ChainDocument, Link } from './link.js';

const s = JSON.stringify;

function extraJson(extra: Record<string, string>): string {
  // Sorted so that two equal maps always serialize alike, whatever order they were built in.
  const keys = Object.keys(extra).sort();
  return `{${keys.map((k) => `${s(k)}:${s(extra[k])}`).join(',')}}`;
}

export function linkJson(l: Link): string {
  return (
    `{"prev":${l.prev === null ? 'null' : s(l.prev)},"action":${s(l.action)},"platform":${s(l.platform)},` +
    `"identity":${s(l.identity)},"proof_location":${l.proof_location === null ? 'null' : s(l.proof_location)},` +
    `"created_at":${Math.trunc(l.created_at)},"uuid":${s(l.uuid)},"signature":${s(l.signature)},` +
    `"signature_payload":${s(l.signature_payload)},"extra":${extraJson(l.extra)}}`
  );
}

/** `publicKeyUncompressed` is 0x + 130 lowercase hex digits. */
export function chainDocumentString(publicKeyUncompressed: string, links: readonly Link[]): string {
  return (
    `{"version":"1","avatar":{"public_key":${s(publicKeyUncompressed)},"curve":"secp256k1"},` +
    `"links":[${links.map(linkJson).join(',')}]}`
  );
}

export function chainDocumentBytes(publicKeyUncompressed: string, links: readonly Link[]): Uint8Array {
  return utf8(chainDocumentString(publicKeyUncompressed, links));
}

export function chainDocument(publicKeyUncompressed: string, links: readonly Link[]): ChainDocument {
  return { version: '1', avatar: { public_key: publicKeyUncompressed, curve: 'secp256k1' }, links: [...links] };
}
