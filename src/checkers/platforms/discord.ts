/**
 * Discord: a message (proof_location = `https://discord.com/channels/{guild}/{channel}/{message}`)
 * read with the bot API (`Authorization: Bot …`; the bot must be able to read the channel).
 * The author must be the bound username (new unique names, or legacy `name#1234`) and the
 * learnt user id; the text carries a line `Sig: …`.
 */
import { isRecord } from '../../core/index.js';
import type { CheckersConfig } from '../config.js';
import { jsonBody } from '../http.js';
import { checkTextPost, evidence } from '../proof.js';
import { PermanentFailure, TransientFailure, type Checker } from '../types.js';

const MESSAGE_URL = /^https:\/\/(?:ptb\.|canary\.)?discord\.com\/channels\/(\d{1,20}|@me)\/(\d{1,20})\/(\d{1,20})$/;

export function parseDiscordLocation(location: string | null): { channel: string; message: string } | null {
  const m = location ? MESSAGE_URL.exec(location) : null;
  return m ? { channel: m[2]!, message: m[3]! } : null;
}

export function discordChecker(cfg: CheckersConfig['platforms']['discord']): Checker {
  const base = cfg.baseUrl.replace(/\/+$/, '');
  return {
    platform: 'discord',
    ready: cfg.enabled && cfg.botToken !== '',
    validate(t) {
      if (!parseDiscordLocation(t.link.proof_location)) {
        throw new PermanentFailure('BAD_PROOF_LOCATION', 'a discord proof_location is a message URL https://discord.com/channels/{guild}/{channel}/{message}');
      }
    },
    async check(t, ctx) {
      const loc = parseDiscordLocation(t.link.proof_location)!;
      const url = `${base}/channels/${loc.channel}/messages/${loc.message}`;
      const res = await ctx.http.request(url, { signal: ctx.signal, headers: { authorization: `Bot ${cfg.botToken}` }, priority: ctx.priority });
      if (res.status === 401) throw new TransientFailure('AUTH_ERROR', 'discord rejected our bot token (HTTP 401)');
      const body = jsonBody(res, 'discord');
      const notFound = evidence(t.link.proof_location!, null, ctx.now());
      if (res.status === 404) {
        // 10008 Unknown Message, 10003 Unknown Channel
        const code = isRecord(body) ? String(body['code'] ?? '') : '';
        throw new PermanentFailure('POST_NOT_FOUND', `discord message not found (code ${code || 404})`, notFound);
      }
      if (res.status === 403) throw new PermanentFailure('POST_INACCESSIBLE', 'the bot cannot read this message (missing access to the channel)', notFound);
      if (res.status !== 200 || !isRecord(body)) throw new TransientFailure('BAD_RESPONSE', `discord answered HTTP ${res.status}`);
      const author = isRecord(body['author']) ? body['author'] : {};
      const username = typeof author['username'] === 'string' ? author['username'] : '';
      const discriminator = typeof author['discriminator'] === 'string' ? author['discriminator'] : '0';
      const authorId = typeof author['id'] === 'string' ? author['id'] : '';
      const content = typeof body['content'] === 'string' ? body['content'] : '';
      const ev = evidence(t.link.proof_location!, content, ctx.now());
      const tag = discriminator === '0' || discriminator === '' ? username : `${username}#${discriminator}`;
      if (tag !== t.link.identity) throw new PermanentFailure('AUTHOR_MISMATCH', `the message is by ${tag.slice(0, 40)}, not ${t.link.identity}`, ev);
      return checkTextPost(t, ctx.backend, { text: content, label: 'Sig', accountId: authorId, what: 'the message' }, ev);
    },
  };
}
