/**
 * Twitter/X: API v2 tweet lookup with an app bearer token. The tweet must be by the bound
 * identity (username, and the numeric user id learnt before: a re-registered username is
 * another account), carry `Sig: …` over this link's payload and, when present, a `Misc:` line
 * naming this link. An edited tweet is judged by its latest version.
 */
import { isRecord } from '../../core/index.js';
import type { CheckersConfig } from '../config.js';
import { jsonBody, type HttpResponse } from '../http.js';
import { checkTextPost, decodeEntities, evidence } from '../proof.js';
import { PermanentFailure, TransientFailure, type Checker, type CheckContext, type CheckTarget } from '../types.js';

const TWEET_ID = /^\d{1,20}$/;

interface Tweet {
  id: string;
  text: string;
  authorId: string;
  username: string | null;
  editHistory: string[];
}

export function twitterChecker(cfg: CheckersConfig['platforms']['twitter']): Checker {
  const base = cfg.baseUrl.replace(/\/+$/, '');

  async function lookup(id: string, ctx: CheckContext): Promise<{ tweet: Tweet; res: HttpResponse }> {
    const url = `${base}/2/tweets/${id}?expansions=author_id&user.fields=username&tweet.fields=author_id,edit_history_tweet_ids`;
    const res = await ctx.http.request(url, { signal: ctx.signal, headers: { authorization: `Bearer ${cfg.bearerToken}` }, priority: ctx.priority });
    if (res.status === 401 || res.status === 403) throw new TransientFailure('AUTH_ERROR', `twitter rejected our bearer token (HTTP ${res.status})`);
    const body = jsonBody(res, 'twitter');
    const ev = evidence(url, null, ctx.now());
    if (res.status === 404) throw new PermanentFailure('POST_NOT_FOUND', `tweet ${id} not found`, ev);
    if (res.status !== 200 || !isRecord(body)) throw new TransientFailure('BAD_RESPONSE', `twitter answered HTTP ${res.status}`);
    const data = body['data'];
    if (!isRecord(data)) {
      // Deleted, suspended or protected: 200 with `errors` and no `data`.
      const errors = Array.isArray(body['errors']) ? body['errors'].filter(isRecord) : [];
      const first = errors[0];
      if (!first) throw new TransientFailure('BAD_RESPONSE', 'twitter answered without data or errors');
      const type = String(first['type'] ?? '');
      const detail = String(first['detail'] ?? first['title'] ?? '').slice(0, 200);
      if (/suspended/i.test(detail)) throw new PermanentFailure('ACCOUNT_GONE', `the tweet's account is suspended: ${detail}`, ev);
      if (type.endsWith('/resource-not-found')) throw new PermanentFailure('POST_NOT_FOUND', `tweet ${id} not found: ${detail}`, ev);
      if (type.endsWith('/not-authorized-for-resource')) throw new PermanentFailure('POST_INACCESSIBLE', `tweet ${id} is not public: ${detail}`, ev);
      throw new TransientFailure('BAD_RESPONSE', `twitter error: ${detail || type}`);
    }
    const users = isRecord(body['includes']) && Array.isArray(body['includes']['users']) ? body['includes']['users'].filter(isRecord) : [];
    const authorId = typeof data['author_id'] === 'string' ? data['author_id'] : '';
    const user = users.find((u) => u['id'] === authorId);
    const tweet: Tweet = {
      id: String(data['id'] ?? id),
      // The API returns text with &amp; &lt; &gt; escaped.
      text: decodeEntities(typeof data['text'] === 'string' ? data['text'] : ''),
      authorId,
      username: user && typeof user['username'] === 'string' ? user['username'] : null,
      editHistory: Array.isArray(data['edit_history_tweet_ids']) ? data['edit_history_tweet_ids'].filter((x): x is string => typeof x === 'string') : [],
    };
    return { tweet, res };
  }

  return {
    platform: 'twitter',
    ready: cfg.enabled && cfg.bearerToken !== '',
    validate(t: CheckTarget) {
      if (!t.link.proof_location || !TWEET_ID.test(t.link.proof_location)) {
        throw new PermanentFailure('BAD_PROOF_LOCATION', 'a twitter proof_location is the tweet id (digits)');
      }
    },
    async check(t, ctx) {
      const id = t.link.proof_location!;
      let { tweet, res } = await lookup(id, ctx);
      const latest = tweet.editHistory.at(-1);
      if (latest !== undefined && latest !== id && TWEET_ID.test(latest)) ({ tweet, res } = await lookup(latest, ctx));
      const ev = evidence(res.url, tweet.text, ctx.now());
      if (tweet.username === null || tweet.authorId === '') throw new TransientFailure('BAD_RESPONSE', 'twitter did not include the author');
      if (tweet.username.toLowerCase() !== t.link.identity.toLowerCase()) {
        throw new PermanentFailure('AUTHOR_MISMATCH', `tweet ${id} is by @${tweet.username}, not @${t.link.identity}`, ev);
      }
      return checkTextPost(t, ctx.backend, { text: tweet.text, label: 'Sig', accountId: tweet.authorId, what: `tweet ${id}` }, ev);
    },
  };
}
