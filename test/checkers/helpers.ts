/** Test keys, signed links (real personal_sign signatures) and a config pointing at the fakes. */
import { postContent } from '../../src/api/templates.js';
import { buildSignPayload, bytesToBase64, parsePublicKey, personalSign, type AvatarKey, type Link } from '../../src/core/index.js';
import { checkersDefaults, type CheckersConfig } from '../../src/checkers/config.js';
import type { Draft } from '../../src/config/fields.js';
import type { Resolver } from '../../src/checkers/ssrf.js';
import { DISCORD_TOKEN, TWITTER_TOKEN, type FakePlatforms } from '../../scripts/lib/fake-platforms.js';

// Secret key published in NextDotID/docs (vectors: derived-chain-3-links); a second test key.
export const AVATAR_SK = Buffer.from('9deba3488458c0314e5fef8920d3b117dd76415569cf270db8fd864896c02732', 'hex');
export const OTHER_SK = Buffer.from('b5466835b2228927d8dc1194cf8e6f52ba4b4cdb49cc954f31565d0c30fd44c8', 'hex');
export const AVATAR: AvatarKey = parsePublicKey('0x034f30514c76f34bb9bcb25c63801d9271494c70f8b01601aa25152132dfe7c951');

let uuidCounter = 0;
export function nextUuid(): string {
  uuidCounter++;
  return `8a6f7c34-8b1a-4c0e-9d38-${uuidCounter.toString(16).padStart(12, '0')}`;
}

export interface LinkSpec {
  platform: string;
  identity: string;
  proof_location?: string | null;
  prev?: string | null;
  created_at?: number;
  uuid?: string;
  sk?: Uint8Array;
}

/** A create link in stored form, signed for real with personal_sign. */
export function signedLink(spec: LinkSpec): Link {
  const created_at = spec.created_at ?? 1700000000;
  const uuid = spec.uuid ?? nextUuid();
  const prev = spec.prev ?? null;
  const payload = buildSignPayload({ action: 'create', created_at: String(created_at), identity: spec.identity, platform: spec.platform, prev, uuid });
  const signature = bytesToBase64(personalSign(payload, spec.sk ?? AVATAR_SK));
  return { prev, action: 'create', platform: spec.platform, identity: spec.identity, proof_location: spec.proof_location ?? null, created_at, uuid, signature, signature_payload: payload, extra: {} };
}

/** The proof post a user would publish for `link` (the API's template with the signature filled in). */
export function postFor(link: Link, avatar: AvatarKey = AVATAR): string {
  const t = postContent({ platform: link.platform, identity: link.identity, avatar: avatar.id, signPayload: link.signature_payload, uuid: link.uuid, createdAt: String(link.created_at), prev: link.prev });
  return t['default']!.replace('%SIG_BASE64%', link.signature);
}

/** Generous limits and short timeouts; every base URL on the fake server. */
export function testConfig(fake: FakePlatforms, patch: (c: Draft<CheckersConfig>) => void = () => {}): CheckersConfig {
  const c = structuredClone(checkersDefaults) as Draft<CheckersConfig>;
  const open = { intervalCap: 1000, intervalMs: 1000, concurrency: 8 };
  for (const p of Object.values(c.platforms)) p.limit = { ...open };
  // Far above any answer of the local fake even on a loaded machine: only the 'timeout' fault
  // (which never answers) may time out, never a normal answer.
  c.requestTimeoutMs = 3000;
  c.maxRetryAfterSeconds = 5;
  c.platforms.twitter.baseUrl = `${fake.base}/twitter`;
  c.platforms.twitter.bearerToken = TWITTER_TOKEN;
  c.platforms.github.baseUrl = `${fake.base}/github`;
  c.platforms.keybase.urlTemplate = `${fake.base}/keybase/{identity}/NextID/{avatar}.json`;
  c.platforms.dns.dohUrl = `${fake.base}/dns/dns-query`;
  c.platforms.discord.baseUrl = `${fake.base}/discord/api/v10`;
  c.platforms.discord.botToken = DISCORD_TOKEN;
  c.platforms.minds.baseUrl = `${fake.base}/minds`;
  c.platforms.activitypub.scheme = 'http';
  c.platforms.activitypub.port = fake.port;
  c.platforms.activitypub.allowLoopback = true;
  patch(c);
  return c;
}

/** A resolver for test host names: *.test → 127.0.0.1, plus explicit entries. */
export function testResolver(extra: Record<string, string[]> = {}): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const fn = async (host: string) => {
    calls.push(host);
    const list = extra[host] ?? (host.endsWith('.test') ? ['127.0.0.1'] : null);
    if (!list) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return list.map((address) => ({ address, family: (address.includes(':') ? 6 : 4) as 4 | 6 }));
  };
  return Object.assign(fn, { calls });
}
