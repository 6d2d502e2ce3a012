/**
 * Platform names and identity normalization (protocol: the sign payload). Identities are attacker-controlled:
 * they end up in sign payloads, SQL parameters, URLs of checkers (issue 3) and logs, so each
 * known platform gets a strict shape here, before anything else sees them.
 */
import { fail } from './errors.js';
import { hasUnsignableCharacters } from './payload.js';

export const MAX_IDENTITY_LENGTH = 256;

export interface PlatformRule {
  /** lowercase before signing */
  lowercase: boolean;
  /** the payload carries `persona` and the link needs a wallet signature (ethereum, solana) */
  wallet: boolean;
  /** accepted shape after normalization */
  pattern: RegExp;
  /** human description of `pattern`, for error messages */
  shape: string;
}

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export const PLATFORM_RULES: Readonly<Record<string, PlatformRule>> = Object.freeze({
  twitter: { lowercase: true, wallet: false, pattern: /^[a-z0-9_]{1,15}$/, shape: '1-15 letters, digits or _' },
  github: { lowercase: true, wallet: false, pattern: /^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){0,38}$/, shape: 'a GitHub login' },
  keybase: { lowercase: true, wallet: false, pattern: /^[a-z0-9_]{2,16}$/, shape: 'a Keybase username' },
  dns: { lowercase: true, wallet: false, pattern: HOSTNAME, shape: 'a domain name' },
  dotbit: { lowercase: true, wallet: false, pattern: /^[^\s/]{1,128}\.bit$/, shape: 'a .bit name' },
  ens: { lowercase: true, wallet: false, pattern: /^[^\s/]{1,200}\.eth$/, shape: 'an ENS name' },
  minds: { lowercase: true, wallet: false, pattern: /^[a-z0-9_]{1,128}$/, shape: 'a Minds username' },
  discord: { lowercase: false, wallet: false, pattern: /^[^\s@#:`]{2,32}(#\d{4})?$/, shape: 'a Discord username' },
  activitypub: {
    lowercase: false,
    wallet: false,
    pattern: /^[A-Za-z0-9_.-]{1,64}@(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{1,63}$/,
    shape: 'user@host',
  },
  ethereum: { lowercase: true, wallet: true, pattern: /^0x[0-9a-f]{40}$/, shape: '0x and 40 hex digits' },
  solana: { lowercase: false, wallet: true, pattern: /^[1-9A-HJ-NP-Za-km-z]{32,44}$/, shape: 'a base58 address' },
});

export function isKnownPlatform(platform: string): boolean {
  return Object.prototype.hasOwnProperty.call(PLATFORM_RULES, platform);
}

export function isWalletPlatform(platform: string): boolean {
  return PLATFORM_RULES[platform]?.wallet === true;
}

/** Shape of platform names accepted from other services (mirror, import): Next.ID has more. */
const FOREIGN_PLATFORM = /^[a-z0-9_]{1,32}$/;

/**
 * Normalize an identity for signing (protocol: the sign payload) and validate its shape. `strict` (our own
 * POST /v1/proof) applies the per-platform shape; otherwise (chains made elsewhere) only the
 * normalization and the generic limits apply, since the deployed service was laxer.
 */
export function normalizeIdentity(platform: string, identity: string, strict = true): string {
  if (typeof identity !== 'string' || identity.length === 0) fail('BAD_IDENTITY', 'identity must be a non-empty string');
  if (identity.length > MAX_IDENTITY_LENGTH) fail('BAD_IDENTITY', `identity longer than ${MAX_IDENTITY_LENGTH} characters`);
  if (hasUnsignableCharacters(identity)) fail('BAD_IDENTITY', 'identity contains control characters or invalid UTF-16');
  // Own properties only: a platform named "constructor" or "__proto__" (attacker-controlled)
  // must not pick up Object.prototype members as a rule.
  const rule = isKnownPlatform(platform) ? PLATFORM_RULES[platform] : undefined;
  if (!rule) {
    if (strict || !FOREIGN_PLATFORM.test(platform)) fail('UNKNOWN_PLATFORM', `unknown platform "${String(platform).slice(0, 40)}"`);
    return identity;
  }
  let id = identity;
  if (platform === 'activitypub' && id.startsWith('@')) id = id.slice(1);
  if (rule.lowercase) id = id.toLowerCase();
  if (platform === 'ethereum' && /^[0-9a-f]{40}$/.test(id)) id = `0x${id}`;
  if (strict && !rule.pattern.test(id)) fail('BAD_IDENTITY', `${platform} identity must be ${rule.shape}`);
  return id;
}
