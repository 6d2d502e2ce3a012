/**
 * HTTP face of the log: the C2SP tlog-tiles resources (`/checkpoint`, `/tile/<L>/<N>[.p/<W>]`,
 * `/tile/entries/<N>[.p/<W>]`) and native routes for clients that don't speak tiles: the
 * inclusion proof / receipt of a link by avatar and uuid, and consistency proofs. Every path
 * and query value here is attacker-controlled: tile paths are parsed strictly (one canonical
 * URL per tile), sizes are bounded by the tree.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { fail, parsePublicKey } from '../core/index.js';
import { encodeBundle, formatTlogProof, leafHash, parseTilePath, tileWidth, toBase64, TILE_WIDTH } from '../core/tlog/index.js';
import type { Checkpointer } from './checkpointer.js';
import type { LogTree } from './tree.js';

type Q = { Querystring: Record<string, string | undefined> };

export interface LogRouteDeps {
  tree: LogTree;
  checkpoints: Checkpointer;
  /** links.id of an Avatar's link by uuid */
  linkIdByUuid(avatar: string, uuid: string): number | undefined;
  /** links.id of a current binding's link */
  bindingLinkId(avatar: string, platform: string, identity: string): number | undefined;
  /** witnesses' verified cosignature lines for a checkpoint size (configured witnesses only) */
  cosignatures?(size: number): string;
}

/** At most this many entries per /v1/log/avatar answer (an Avatar's KV chain is bounded too). */
const AVATAR_ENTRIES_LIMIT = 1000;

const IMMUTABLE = 'public, max-age=31536000, immutable';

function sizeParam(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^(0|[1-9][0-9]{0,14})$/.test(raw)) fail('BAD_REQUEST', `${name} must be a non-negative integer`);
  return Number(raw);
}

export function logRoutes(app: FastifyInstance, d: LogRouteDeps): void {
  const checkpointSize = (): number => d.checkpoints.current()?.size ?? 0;

  app.get('/checkpoint', async (_req, reply) => {
    const c = d.checkpoints.current();
    if (!c) fail('UNAVAILABLE', 'no checkpoint has been signed yet');
    // The cosigned checkpoint: the log's note with the witnesses' cosignature lines after its own.
    const note = `${c.note}${d.cosignatures?.(c.size) ?? ''}`;
    return reply.type('text/plain; charset=utf-8').header('cache-control', 'no-cache, max-age=0').send(note);
  });

  app.get<{ Params: { '*': string } }>('/tile/*', async (req, reply: FastifyReply) => {
    const t = parseTilePath(req.params['*']);
    if (!t) fail('NOT_FOUND', 'not a tile path');
    const size = d.tree.size();
    let body: Uint8Array | null;
    if (t.level < 0) {
      body = tileWidth(0, t.index, size) >= t.width ? encodeBundle(d.tree.entries(t.index * TILE_WIDTH, t.width).map((r) => r.entry)) : null;
    } else {
      body = d.tree.tile(t.level, t.index, t.width);
    }
    if (!body) fail('NOT_FOUND', 'the log has no such tile');
    // A tile's bytes are fixed by its path (full or partial): cacheable forever.
    return reply.type('application/octet-stream').header('cache-control', IMMUTABLE).send(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  });

  /** Inclusion proof of an Avatar's link (by uuid) in a checkpointed tree: the link's receipt. */
  app.get<Q>('/v1/log/receipt', async (req) => {
    const { avatar: rawAvatar, uuid } = req.query;
    if (!rawAvatar || !uuid) fail('BAD_REQUEST', 'avatar and uuid are required');
    if (uuid.length > 64) fail('BAD_REQUEST', 'uuid is too long');
    const avatar = parsePublicKey(rawAvatar);
    const linkId = d.linkIdByUuid(avatar.id, uuid.toLowerCase());
    const index = linkId === undefined ? undefined : d.tree.indexOf('link', linkId);
    if (index === undefined) fail('NOT_FOUND', `no logged link ${uuid} of avatar ${avatar.id}`);
    const wanted = sizeParam(req.query['size'], 'size');
    const c = wanted === undefined ? d.checkpoints.current() : d.tree.checkpointAt(wanted);
    if (wanted !== undefined && !c) fail('NOT_FOUND', `no checkpoint of size ${wanted}`);
    const entry = d.tree.entries(index, 1)[0]!.entry;
    const base = { index, leaf_hash: toBase64(leafHash(entry)), entry: toBase64(entry) };
    if (!c || c.size <= index) return { ...base, tree_size: null, proof: null, checkpoint: null, tlog_proof: null };
    const proof = d.tree.inclusion(index, c.size);
    const note = c.note;
    return {
      ...base, tree_size: c.size, proof: proof.map(toBase64), checkpoint: note,
      tlog_proof: formatTlogProof({ index, proof, checkpoint: note }),
    };
  });

  /** Consistency proof between two tree sizes (default: up to the latest checkpoint). */
  app.get<Q>('/v1/log/consistency', async (req) => {
    const from = sizeParam(req.query['from'], 'from');
    if (from === undefined) fail('BAD_REQUEST', 'from is required');
    const to = sizeParam(req.query['to'], 'to') ?? checkpointSize();
    if (from > to) fail('BAD_REQUEST', 'from must not be above to');
    if (to > d.tree.size()) fail('NOT_FOUND', `the log has fewer than ${to} entries`);
    return { from, to, proof: d.tree.consistency(from, to).map(toBase64) };
  });

  /**
   * The log entries that say what the service claims about a current binding: its link and
   * its validity changes, in order, each provable with /v1/log/inclusion. At a checkpoint of
   * size n the claim is the last of these below n.
   */
  app.get<Q>('/v1/log/binding', async (req) => {
    const { avatar: rawAvatar, platform, identity } = req.query;
    if (!rawAvatar || !platform || !identity) fail('BAD_REQUEST', 'avatar, platform and identity are required');
    if (platform.length > 64 || identity.length > 1024) fail('BAD_REQUEST', 'platform or identity is too long');
    const avatar = parsePublicKey(rawAvatar);
    const linkId = d.bindingLinkId(avatar.id, platform, identity);
    const link = linkId === undefined ? undefined : d.tree.indexOf('link', linkId);
    if (linkId === undefined || link === undefined) fail('NOT_FOUND', 'no such binding in the log');
    const validity = d.tree.indexesOf('validity', linkId).map((index) => {
      const e = d.tree.entry(index);
      return e?.kind === 'validity' ? { index, change: e.change, outcome: e.outcome, checked_at: e.checked_at } : { index };
    });
    return { link_index: link, validity, checkpoint_size: checkpointSize() };
  });

  /**
   * An Avatar's KV writes and subkeys in the log, in order: each entry's index, kind and the
   * fields a client needs to rebuild its bytes from the signed data it holds (a KV write is
   * matched by uuid and signature; a subkey carries its signed payload and signature, which
   * GET /v1/subkey does not). Prove each with /v1/log/inclusion.
   */
  app.get<Q>('/v1/log/avatar', async (req) => {
    const raw = req.query['avatar'];
    if (!raw) fail('BAD_REQUEST', 'avatar is required');
    const avatar = parsePublicKey(raw);
    const entries = d.tree.avatarEntries(avatar.id, AVATAR_ENTRIES_LIMIT).map(({ index, entry: e }) => {
      if (e.kind === 'kv') return { index, kind: e.kind, platform: e.platform, identity: e.identity, uuid: e.uuid, created_at: e.created_at, signature: e.signature };
      if (e.kind === 'subkey') {
        return { index, kind: e.kind, algorithm: e.algorithm, public_key: e.public_key, rp_id: e.rp_id, name: e.name, created_at: e.created_at, sign_payload: e.sign_payload, signature: e.signature };
      }
      return { index, kind: e.kind };
    });
    return { avatar: avatar.id, entries, truncated: entries.length === AVATAR_ENTRIES_LIMIT, checkpoint_size: checkpointSize() };
  });

  /** Inclusion proof of any entry by index (what the explorer shows). */
  app.get<Q>('/v1/log/inclusion', async (req) => {
    const index = sizeParam(req.query['index'], 'index');
    if (index === undefined) fail('BAD_REQUEST', 'index is required');
    const size = sizeParam(req.query['size'], 'size') ?? checkpointSize();
    if (size > d.tree.size()) fail('NOT_FOUND', `the log has fewer than ${size} entries`);
    if (index >= size) fail('NOT_FOUND', `entry ${index} is not in the tree of size ${size}`);
    const entry = d.tree.entries(index, 1)[0]!.entry;
    return { index, tree_size: size, leaf_hash: toBase64(leafHash(entry)), entry: toBase64(entry), proof: d.tree.inclusion(index, size).map(toBase64) };
  });
}
