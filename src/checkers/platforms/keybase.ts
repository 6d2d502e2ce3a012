/**
 * Keybase: the public file `https://{identity}.keybase.pub/NextID/0x{avatar}.json` (URL from
 * the configured template). Only the owner can write there, so the host is the author check;
 * the file's `keybase_username`, `persona` and `sign_payload` must name this binding.
 */
import type { CheckersConfig } from '../config.js';
import { checkJsonProofFile, evidence } from '../proof.js';
import { PermanentFailure, TransientFailure, type Checker } from '../types.js';

// Stricter than a Keybase username in general: it becomes part of a host name.
const KEYBASE_USER = /^[a-z0-9_]{2,16}$/;

export function keybaseUrl(template: string, identity: string, avatarId: string): string {
  return template.replaceAll('{identity}', identity).replaceAll('{avatar}', avatarId);
}

/** The origins a template allows: its own, with any valid username where `{identity}` is. */
export function keybaseAllowed(template: string): (u: URL) => boolean {
  const origin = new URL(keybaseUrl(template, 'x0x', '0x00')).origin;
  const re = new RegExp(`^${escape(origin).replace('x0x', '[a-z0-9_]{2,16}')}$`);
  return (u) => re.test(u.origin);
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function keybaseChecker(cfg: CheckersConfig['platforms']['keybase']): Checker {
  return {
    platform: 'keybase',
    ready: cfg.enabled,
    validate(t) {
      if (!KEYBASE_USER.test(t.link.identity)) throw new PermanentFailure('BAD_IDENTITY', 'a keybase identity is 2-16 of a-z, 0-9, _');
    },
    async check(t, ctx) {
      const url = keybaseUrl(cfg.urlTemplate, t.link.identity, t.avatar.id);
      const res = await ctx.http.request(url, { signal: ctx.signal, priority: ctx.priority });
      if (res.status === 404 || res.status === 410) throw new PermanentFailure('POST_NOT_FOUND', `no proof file at ${url}`, evidence(url, null, ctx.now()));
      if (res.status !== 200) throw new TransientFailure('BAD_RESPONSE', `keybase answered HTTP ${res.status}`);
      const ev = evidence(url, res.text, ctx.now());
      return { evidence: ev, signature: checkJsonProofFile(t, res.text.trim(), 'keybase_username', ctx.backend, ev) };
    },
  };
}
