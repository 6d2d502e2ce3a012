/**
 * The one rule for which strings may become a link, shared by the server-rendered views
 * (./html.ts) and the page (src/web/app/dom.ts): what it shows (post URLs, proof locations, KV
 * content) is attacker-controlled. Pure, no DOM and no Node, so the page compiles it.
 */

/**
 * An href that may be emitted: a same-origin path, an in-page #id, or an absolute http(s) URL.
 * Anything else — `javascript:`, `data:`, `vbscript:`, protocol-relative `//host`, control
 * characters, backslashes — is refused (null), and the caller shows the text without a link.
 */
export function safeHref(raw: string): string | null {
  if (raw.length > 4096 || /[\u0000-\u001f\u007f\s\\]/.test(raw)) return null;
  if (raw.startsWith('/') && !raw.startsWith('//')) return raw;
  if (/^#[A-Za-z][\w-]*$/.test(raw)) return raw;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
}
