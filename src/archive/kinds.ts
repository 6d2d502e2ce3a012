/**
 * What the outbox archives. Proof chains and KV chains go through the same outbox code, worker
 * and targets; a kind names its tables and how one version's document and tags are made. Each
 * kind's jobs and versions live in their own tables (same columns; `link_count` is the number of
 * entries — links or KV writes — in the version), keyed by the kind's own avatar rows.
 */
import type Database from 'better-sqlite3';
import { chainDocumentBytes, kvChainDocumentBytes } from '../core/index.js';
import { rowToLink, type LinkRow } from '../store/rows.js';
import { rowToKvWrite, type KvWriteRow } from '../kv/kv-store.js';
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
  /** SELECT id, avatar, public_key, <entry count> AS link_count … WHERE id = ? */
  readonly avatarSql: string;
  /** the document of the first `count` entries and the uuid of the last; prepared per db */
  documentReader(db: Database.Database): (avatarId: number, publicKey: string, count: number) => { bytes: Uint8Array; headUuid: string; entries: number };
  tags(v: TagInput): Tag[];
  /** tags that identify one version when looking for a tx already made for it */
  readonly keyTags: readonly string[];
}

export const PROOF_KIND: OutboxKind = {
  name: 'proof',
  jobs: 'archive_jobs',
  versions: 'archive_versions',
  avatarSql: 'SELECT id, avatar, public_key, link_count FROM avatars WHERE id = ?',
  documentReader(db) {
    const q = db.prepare<[number, number], LinkRow>('SELECT * FROM links WHERE avatar_id = ? AND seq < ? ORDER BY seq');
    return (avatarId, publicKey, count) => {
      const links = q.all(avatarId, count).map(rowToLink);
      return { bytes: chainDocumentBytes(publicKey, links), headUuid: links.at(-1)?.uuid ?? '', entries: links.length };
    };
  },
  tags: archiveTags,
  keyTags: ['App-Name', 'Avatar', 'Links', 'IPFS-CID'],
};

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
  avatarSql: 'SELECT id, avatar, public_key, write_count AS link_count FROM kv_avatars WHERE id = ?',
  documentReader(db) {
    const q = db.prepare<[number, number], KvWriteRow>('SELECT * FROM kv_writes WHERE kv_avatar_id = ? AND seq < ? ORDER BY seq');
    return (avatarId, publicKey, count) => {
      const writes = q.all(avatarId, count).map(rowToKvWrite);
      return { bytes: kvChainDocumentBytes(publicKey, writes), headUuid: writes.at(-1)?.uuid ?? '', entries: writes.length };
    };
  },
  tags: kvArchiveTags,
  keyTags: ['App-Name', 'Avatar', 'Writes', 'IPFS-CID'],
};
