/**
 * Read queries of the index: chains, the global feed, bindings. Prepared once, reused; the
 * binding search, whose SQL depends on the query's shape, keeps one statement per shape.
 */
import { idList, inIdList, type Db, type Statement } from './db.js';
import type { Link } from '../core/index.js';
import type { BindingRow } from './bindings.js';
import { rowToLink, type AvatarRow, type LinkRow } from './rows.js';

export interface ProofQuery {
  identities: string[];
  platform?: string | undefined;
  exact: boolean;
  offset: number;
  limit: number;
  order: 'asc' | 'desc';
}

export type ProofItemRow = Pick<
  BindingRow,
  'id' | 'platform' | 'identity' | 'alt_id' | 'created_at' | 'last_checked_at' | 'is_valid' | 'invalid_reason' | 'invalid_code' | 'status'
>;

export interface FeedRow extends LinkRow {
  avatar: string;
}

/** Up to this many matching Avatars are paged in memory (fetched by id); more are paged by SQL. */
const SMALL_MATCH = 64;

export class Reader {
  private readonly s;
  /** search statements by shape (identity counts, platform, order): a bounded set, ~400 at most */
  private readonly search = new Map<string, { ids: Statement; page: Statement }>();
  private altIdsStmt: Statement<[string], { link_id: number; alt_id: string }> | undefined;

  constructor(private readonly db: Db) {
    this.s = {
      avatarById: db.prepare<[number], AvatarRow>('SELECT * FROM avatars WHERE id = ?'),
      avatarByKey: db.prepare<[string], AvatarRow>('SELECT * FROM avatars WHERE avatar = ?'),
      chainPage: db.prepare<[number, number, number], LinkRow>('SELECT * FROM links WHERE avatar_id = ? ORDER BY seq LIMIT ? OFFSET ?'),
      chainAll: db.prepare<[number], LinkRow>('SELECT * FROM links WHERE avatar_id = ? ORDER BY seq'),
      chainPrefix: db.prepare<[number, number], LinkRow>('SELECT * FROM links WHERE avatar_id = ? AND seq < ? ORDER BY seq'),
      linkBySeq: db.prepare<[number, number], LinkRow>('SELECT * FROM links WHERE avatar_id = ? AND seq = ?'),
      changes: db.prepare<[number, number], FeedRow>(
        'SELECT l.*, a.avatar AS avatar FROM links l JOIN avatars a ON a.id = l.avatar_id WHERE l.id > ? ORDER BY l.id LIMIT ?',
      ),
      // The log's feed: the links of one page, by id (one statement for any page size).
      linksByIds: db.prepare<[string], FeedRow>(`SELECT l.*, a.avatar AS avatar FROM links l JOIN avatars a ON a.id = l.avatar_id WHERE l.id ${inIdList(db)}`),
      linksByUuid: db.prepare<[string, number], FeedRow>(
        `SELECT l.*, a.avatar AS avatar FROM links l JOIN avatars a ON a.id = l.avatar_id WHERE l.uuid = ? AND l.uuid <> '' ORDER BY l.id LIMIT ?`,
      ),
      bindingsOf: db.prepare<[number], BindingRow>('SELECT * FROM bindings WHERE avatar_id = ? ORDER BY created_at, id'),
      proofItems: db.prepare<[number], ProofItemRow>(
        'SELECT id, platform, identity, alt_id, created_at, last_checked_at, is_valid, invalid_reason, invalid_code, status FROM bindings WHERE avatar_id = ? ORDER BY created_at, id',
      ),
      binding: db.prepare<[number, string, string], BindingRow>('SELECT * FROM bindings WHERE avatar_id = ? AND platform = ? AND identity = ?'),
      counts: db.prepare<[], { links: number | null; avatars: number | null }>(
        // Links and avatars are never deleted, so max(id) is their count without a table scan.
        'SELECT (SELECT max(id) FROM links) AS links, (SELECT max(id) FROM avatars) AS avatars',
      ),
    };
  }

  avatarByKey(avatar: string): AvatarRow | undefined {
    return this.s.avatarByKey.get(avatar);
  }

  avatarById(id: number): AvatarRow | undefined {
    return this.s.avatarById.get(id);
  }

  chainPage(avatarId: number, offset: number, limit: number): LinkRow[] {
    return this.s.chainPage.all(avatarId, limit, offset);
  }

  chainLinks(avatarId: number): Link[] {
    return this.s.chainAll.all(avatarId).map(rowToLink);
  }

  /** The first `count` links of the Avatar's chain: the chain as it was at that length. */
  chainPrefix(avatarId: number, count: number): Link[] {
    return this.s.chainPrefix.all(avatarId, count).map(rowToLink);
  }

  linkBySeq(avatarId: number, seq: number): LinkRow | undefined {
    return this.s.linkBySeq.get(avatarId, seq);
  }

  /** Links by id, with their Avatar (the log's feed: ids of one page). */
  linksByIds(ids: number[]): FeedRow[] {
    if (ids.length === 0) return [];
    return this.s.linksByIds.all(idList(this.db, ids));
  }

  changes(lastId: number, count: number): FeedRow[] {
    return this.s.changes.all(lastId, count);
  }

  /** The alt_id each of these links was made with ('' ones are absent). */
  altIdsOf(linkIds: readonly number[]): Map<number, string> {
    if (linkIds.length === 0) return new Map();
    // Prepared on first use: a store opened with only the early migrations (tests) lacks the table.
    this.altIdsStmt ??= this.db.prepare<[string], { link_id: number; alt_id: string }>(
      `SELECT link_id, alt_id FROM link_alt_ids WHERE link_id ${inIdList(this.db)}`,
    );
    return new Map(this.altIdsStmt.all(idList(this.db, linkIds)).map((r) => [r.link_id, r.alt_id]));
  }

  /** Links carrying this uuid, in any Avatar (a uuid is unique per Avatar only), oldest first. */
  linksByUuid(uuid: string, limit: number): FeedRow[] {
    return this.s.linksByUuid.all(uuid, limit);
  }

  bindingsOf(avatarId: number): BindingRow[] {
    return this.s.bindingsOf.all(avatarId);
  }

  /** The columns GET /v1/proof answers with (fewer columns: a cheaper row per binding). */
  proofItems(avatarId: number): ProofItemRow[] {
    return this.s.proofItems.all(avatarId);
  }

  binding(avatarId: number, platform: string, identity: string): BindingRow | undefined {
    return this.s.binding.get(avatarId, platform, identity);
  }

  counts(): { links: number; avatars: number } {
    const r = this.s.counts.get()!;
    return { links: r.links ?? 0, avatars: r.avatars ?? 0 };
  }

  /** Avatars having a binding that matches (GET /v1/proof), one page, plus the total. */
  queryAvatars(q: ProofQuery): { total: number; avatars: AvatarRow[] } {
    if (q.identities.length === 0) return { total: 0, avatars: [] };
    const where: string[] = [];
    const params: unknown[] = [];
    // Substring search goes through the trigram index, which needs 3 characters; shorter
    // fragments would mean a scan of every binding, so they match exactly instead.
    const exact = q.identities.filter((i) => q.exact || [...i].length < 3);
    const fuzzy = q.identities.filter((i) => !q.exact && [...i].length >= 3);
    const any: string[] = [];
    if (exact.length) {
      any.push(`b.identity IN (${exact.map(() => '?').join(',')})`);
      params.push(...exact);
    }
    if (fuzzy.length && this.db.dialect === 'postgres') {
      // The trigram GIN index serves ILIKE '%fragment%'; LIKE's wildcards in a fragment are escaped.
      any.push(`b.identity ILIKE ANY (?::text[])`);
      params.push(`{${fuzzy.map((i) => `"%${i.replace(/[\\%_]/g, '\\$&').replace(/["\\]/g, '\\$&')}%"`).join(',')}}`);
    } else if (fuzzy.length) {
      any.push(`b.id IN (SELECT rowid FROM binding_identity_fts WHERE binding_identity_fts MATCH ?)`);
      // One FTS query: each fragment a quoted phrase (no operators can be injected), OR-ed.
      params.push(fuzzy.map((i) => `identity:"${i.replace(/"/g, '""')}"`).join(' OR '));
    }
    where.push(`(${any.join(' OR ')})`);
    if (q.platform) {
      // With a substring search, `+` keeps SQLite from driving the query by the platform index
      // (every binding of the platform, the FTS hits only as a filter: ~12 ms at 200k bindings);
      // it then looks up the FTS hits by rowid instead (~0.14 ms). Same rows either way.
      where.push(fuzzy.length && this.db.dialect === 'sqlite' ? '+b.platform = ?' : 'b.platform = ?');
      params.push(q.platform);
    }
    const dir = q.order === 'asc' ? 'ASC' : 'DESC';
    const shape = `${exact.length}/${fuzzy.length > 0}/${q.platform ? 1 : 0}/${dir}`;
    let st = this.search.get(shape);
    if (!st) {
      const matching = `SELECT DISTINCT b.avatar_id FROM bindings b WHERE ${where.join(' AND ')}`;
      st = {
        ids: this.db.prepare(matching).pluck(),
        page: this.db.prepare(`SELECT a.* FROM avatars a WHERE a.id IN (${matching}) ORDER BY a.activated_at ${dir}, a.id ${dir} LIMIT ? OFFSET ?`),
      };
      this.search.set(shape, st);
    }
    // One pass over the bindings gives both the total and, usually (an identity is held by one
    // Avatar or a few), every matching Avatar: those are fetched by primary key and paged here,
    // instead of a second search in SQL (the page query runs the same search again, then sorts).
    const ids = st.ids.all(...params) as number[];
    if (ids.length > SMALL_MATCH) return { total: ids.length, avatars: st.page.all(...params, q.limit, q.offset) as AvatarRow[] };
    const rows = ids.map((id) => this.s.avatarById.get(id)).filter((r): r is AvatarRow => r !== undefined);
    const sign = q.order === 'asc' ? 1 : -1;
    rows.sort((a, b) => sign * (a.activated_at - b.activated_at || a.id - b.id));
    return { total: ids.length, avatars: rows.slice(q.offset, q.offset + q.limit) };
  }

  /** Avatars by canonical id (GET /v1/proof?platform=nextid). */
  avatarsByKeys(keys: string[], offset: number, limit: number, order: 'asc' | 'desc'): { total: number; avatars: AvatarRow[] } {
    const rows = keys.map((k) => this.avatarByKey(k)).filter((r): r is AvatarRow => r !== undefined);
    rows.sort((a, b) => (order === 'asc' ? a.activated_at - b.activated_at : b.activated_at - a.activated_at));
    return { total: rows.length, avatars: rows.slice(offset, offset + limit) };
  }
}
