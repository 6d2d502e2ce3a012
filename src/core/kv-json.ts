/**
 * JSON as the KV sign payload writes it (SPEC §8): serde_json's compact form, not Go's. Object
 * keys sorted by code point (serde's BTreeMap of UTF-8 strings), `null` kept, only `"`, `\` and
 * U+0000–U+001F escaped, everything else — `/ < > &`, U+2028/2029, non-ASCII — raw UTF-8.
 *
 * Numbers: only safe integers. The Rust server keeps 1.0 as `1.0`, JavaScript (Mask signs
 * `JSON.stringify(JSON.parse(sign_payload))`) writes `1`, and integers past 2^53 lose digits in
 * JavaScript: there is no byte string both sides reproduce, so such patches are refused.
 *
 * Patches are attacker-controlled: depth and key counts are bounded so that serialization can
 * neither blow the stack nor take unbounded time on one request.
 */
import { fail } from './errors.js';

export type KvJson = null | boolean | number | string | KvJson[] | { [key: string]: KvJson };

/** Deeper patches than this are refused (Mask's are 3–4 levels). */
export const KV_MAX_DEPTH = 32;

// eslint-disable-next-line no-control-regex
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * A JSON string literal as serde_json writes it. For well-formed strings JSON.stringify escapes
 * exactly serde's set (`"`, `\`, \b \t \n \f \r, other controls as lowercase \u00xx) and leaves
 * U+2028/2029 raw; a lone surrogate has no UTF-8 form at all (serde refuses it), so it is refused.
 */
export function serdeString(value: string, where = 'patch'): string {
  if (LONE_SURROGATE.test(value)) fail('BAD_PATCH', `${where} contains a lone UTF-16 surrogate, which has no UTF-8 form`);
  return JSON.stringify(value);
}

/**
 * Code-point order of two strings = byte order of their UTF-8 forms (what serde's BTreeMap
 * uses). Not `<` on JS strings: that compares UTF-16 code units, which puts U+10000 and above
 * (surrogates D800–DFFF) before U+E000–U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Equal up to here, so both are at the start of a code point (or the same high surrogate).
    const cx = a.codePointAt(i)!;
    const cy = b.codePointAt(i)!;
    return cx < cy ? -1 : cx > cy ? 1 : 0;
  }
  return a.length - b.length;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Serialize a parsed JSON value the serde way; throws BAD_PATCH for what cannot be signed
 * portably (non-integers, unsafe integers, lone surrogates, too deep, not JSON at all).
 */
export function serdeJson(value: unknown, path = 'patch', depth = 0): string {
  if (depth > KV_MAX_DEPTH) fail('BAD_PATCH', `patch is nested deeper than ${KV_MAX_DEPTH} levels`);
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isSafeInteger(value)) {
        fail('BAD_PATCH', `${path} is ${Number.isInteger(value) ? 'an integer beyond 2^53' : 'not an integer'}: only integers in ±(2^53−1) can be signed identically by the server and JavaScript clients`);
      }
      return String(value === 0 ? 0 : value); // -0 is 0
    case 'string':
      return serdeString(value, path);
    case 'object':
      if (Array.isArray(value)) return `[${value.map((v, i) => serdeJson(v, `${path}[${i}]`, depth + 1)).join(',')}]`;
      if (isPlainObject(value)) {
        const keys = Object.keys(value).sort(compareCodePoints);
        return `{${keys.map((k) => `${serdeString(k, `${path} key`)}:${serdeJson(value[k], `${path}.${k.slice(0, 40)}`, depth + 1)}`).join(',')}}`;
      }
      break;
    default:
      break;
  }
  return fail('BAD_PATCH', `${path} is not a JSON value`);
}

/** Parse then canonicalize: the stored form of a patch or content (serde bytes) back as a value. */
export function canonicalKvJson(value: unknown): KvJson {
  return JSON.parse(serdeJson(value)) as KvJson;
}

/**
 * RFC 7396 JSON merge patch. Pure: returns a new value, never mutates `target`. An object patch
 * merges into an object target (a non-object target is first replaced by `{}`); `null` members
 * delete; anything else replaces. Keys `__proto__` etc. are handled as data (null-prototype copies).
 * Merged objects come out with keys in code-point order (serde's), so content is canonical.
 */
export function mergePatch(target: KvJson, patch: KvJson): KvJson {
  if (!isPlainObject(patch)) return patch;
  const out: Record<string, KvJson> = Object.create(null) as Record<string, KvJson>;
  if (isPlainObject(target)) for (const k of Object.keys(target)) out[k] = (target as Record<string, KvJson>)[k]!;
  for (const k of Object.keys(patch)) {
    const v = (patch as Record<string, KvJson>)[k]!;
    if (v === null) delete out[k];
    else out[k] = mergePatch(k in out ? out[k]! : null, v);
  }
  // A plain object again, keys in code-point order like serde's maps: content is canonical.
  return Object.fromEntries(Object.keys(out).sort(compareCodePoints).map((k) => [k, out[k]!])) as KvJson;
}
