/**
 * The exact bytes an Avatar signs (protocol: the sign payload): a JSON object serialized like Go's
 * encoding/json — keys in byte order, compact, non-ASCII raw, and `<` `>` `&` U+2028 U+2029
 * escaped. Since the key sets are fixed, the object is written field by field rather than
 * sorted at run time; the order below is the byte order of the key names.
 */

const GO_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/** What JSON.stringify or Go would escape: quote, backslash, controls, surrogates, <>&, U+2028/9. */
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /["\\\u0000-\u001f<>&\u2028\u2029\ud800-\udfff]/;

/**
 * A JSON string literal as Go's encoding/json writes it. Callers must have rejected control
 * characters and lone surrogates (validateText): for those, Go and JSON.stringify disagree
 * (Go writes U+FFFD for invalid UTF-16, and its escapes of \b \f changed across versions).
 */
export function goJsonString(value: string): string {
  // Most fields need no escape at all (neither JSON's nor Go's): quoted as they are.
  if (!NEEDS_ESCAPE.test(value)) return `"${value}"`;
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => GO_ESCAPES[c] ?? c);
}

export interface PayloadFields {
  action: string;
  /** unix seconds, decimal string (the payload carries it as a string) */
  created_at: string;
  identity: string;
  platform: string;
  /** previous link's stored signature, or null for the first link */
  prev: string | null;
  uuid: string;
  /** compressed avatar id; only for wallet platforms (ethereum, solana) */
  persona?: string;
}

/** The standard (post-2022-03-15) sign payload, with `persona` when given. */
export function buildSignPayload(f: PayloadFields): string {
  const prev = f.prev === null ? 'null' : goJsonString(f.prev);
  const persona = f.persona === undefined ? '' : `"persona":${goJsonString(f.persona)},`;
  return (
    `{"action":${goJsonString(f.action)},"created_at":${goJsonString(f.created_at)},` +
    `"identity":${goJsonString(f.identity)},${persona}"platform":${goJsonString(f.platform)},` +
    `"prev":${prev},"uuid":${goJsonString(f.uuid)}}`
  );
}

/** The legacy 4-field payload of links made before 2022-03-15 (empty uuid and payload). */
export function buildLegacySignPayload(f: Pick<PayloadFields, 'action' | 'identity' | 'platform' | 'prev'>): string {
  const prev = f.prev === null ? 'null' : goJsonString(f.prev);
  return (
    `{"action":${goJsonString(f.action)},"identity":${goJsonString(f.identity)},` +
    `"platform":${goJsonString(f.platform)},"prev":${prev}}`
  );
}

/** Control characters and lone surrogates cannot be signed portably (see goJsonString). */
// eslint-disable-next-line no-control-regex
const UNSIGNABLE = /[\u0000-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function hasUnsignableCharacters(value: string): boolean {
  return UNSIGNABLE.test(value);
}
