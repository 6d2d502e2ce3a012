/**
 * A chain document's CID (protocol: the chain document): CIDv1, json codec (0x0200), sha2-256.
 * Apart from the IPFS node so tools (migrate-store's verification) get it without loading Helia.
 */
import { createHash } from 'node:crypto';
import { CID } from 'multiformats/cid';
import * as jsonCodec from 'multiformats/codecs/json';
import { create as createDigest } from 'multiformats/hashes/digest';
import { sha256 } from 'multiformats/hashes/sha2';

/** The CID SPEC §5 assigns to these exact bytes: CIDv1, json codec (0x0200), sha2-256. */
export async function documentCid(bytes: Uint8Array): Promise<CID> {
  return CID.createV1(jsonCodec.code, await sha256.digest(bytes));
}

/** The same CID, computed synchronously (node:crypto), for code that runs inside a transaction. */
export function documentCidSync(bytes: Uint8Array): CID {
  return CID.createV1(jsonCodec.code, createDigest(sha256.code, createHash('sha256').update(bytes).digest()));
}
