/**
 * What the outbox archives. Proof chains and KV chains go through the same outbox code, worker
 * and targets; a kind names its tables and tags, a chain source gives an Avatar's row and one
 * version's document. Each kind's jobs and versions live in their own tables (same columns;
 * `link_count` is the number of entries — links or KV writes — in the version).
 */
import { chainDocumentBytes, kvChainDocumentBytes } from '../core/index.js';
import type { KvStore } from '../kv/kv-store.js';
import type { Reader } from '../store/read.js';
import { archiveTags, type Tag } from './arweave.js';

export interface TagInput {
  avatar: string;
  links: number;
  headUuid: string;
  cid: string;
  previousTx: string | null;
}

export interface OutboxKind {
  readonly name: 'proof' | 'kv';
  readonly jobs: string;
  readonly versions: string;
  tags(v: TagInput): Tag[];
  /** tags that identify one version when looking for a tx already made for it */
  readonly keyTags: readonly string[];
}

export interface ChainSource {
  /** `link_count`: the Avatar's current number of entries */
  avatar(avatarId: number): { id: number; avatar: string; public_key: string; link_count: number } | undefined;
  /** the document of the first `count` entries, the uuid of the last, and how many there were */
  document(avatarId: number, publicKey: string, count: number): { bytes: Uint8Array; headUuid: string; entries: number };
}

export const PROOF_KIND: OutboxKind = {
  name: 'proof',
  jobs: 'archive_jobs',
  versions: 'archive_versions',
  tags: archiveTags,
  keyTags: ['App-Name', 'Avatar', 'Links', 'IPFS-CID'],
};

/** Proof chains, read through the store's reader. */
export function proofChains(read: Pick<Reader, 'avatarById' | 'chainPrefix'>): ChainSource {
  return {
    avatar: (id) => read.avatarById(id),
    document(avatarId, publicKey, count) {
      const links = read.chainPrefix(avatarId, count);
      return { bytes: chainDocumentBytes(publicKey, links), headUuid: links.at(-1)?.uuid ?? '', entries: links.length };
    },
  };
}

/** KV chain versions: their own App-Name, so proof-chain lookups by tag never see them. */
export const KV_APP_NAME = 'proofkeep-kv';

export function kvArchiveTags(v: TagInput): Tag[] {
  const tags: Tag[] = [
    { name: 'Content-Type', value: 'application/json' },
    { name: 'App-Name', value: KV_APP_NAME },
    { name: 'Chain-Version', value: '1' },
    { name: 'Avatar', value: v.avatar },
    { name: 'Writes', value: String(v.links) },
    { name: 'Head-UUID', value: v.headUuid },
    { name: 'IPFS-CID', value: v.cid },
  ];
  if (v.previousTx) tags.push({ name: 'Previous-Tx', value: v.previousTx });
  return tags;
}

export const KV_KIND: OutboxKind = {
  name: 'kv',
  jobs: 'kv_archive_jobs',
  versions: 'kv_archive_versions',
  tags: kvArchiveTags,
  keyTags: ['App-Name', 'Avatar', 'Writes', 'IPFS-CID'],
};

/** KV chains, read through the KV store. */
export function kvChains(kv: Pick<KvStore, 'avatarById' | 'writes'>): ChainSource {
  return {
    avatar(id) {
      const r = kv.avatarById(id);
      return r && { id: r.id, avatar: r.avatar, public_key: r.public_key, link_count: r.write_count };
    },
    document(avatarId, publicKey, count) {
      const writes = kv.writes(avatarId, count);
      return { bytes: kvChainDocumentBytes(publicKey, writes), headUuid: writes.at(-1)?.uuid ?? '', entries: writes.length };
    },
  };
}
