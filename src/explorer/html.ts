/** HTML escaping for the server-rendered fallback: every value it prints is attacker-controlled. */
import { safeHref } from './href.js';
const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escape text for element content and quoted attribute values alike. */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESC[c]!);
}

/** `<a>` when safe, else the text in a span; both escaped. */
export function linkOrText(raw: string, label = raw): string {
  const href = safeHref(raw);
  return href === null ? `<span class="mono">${esc(raw)}</span>` : `<a href="${esc(href)}" rel="noopener noreferrer nofollow">${esc(label)}</a>`;
}

export function utcTime(unixSeconds: number): string {
  if (!Number.isFinite(unixSeconds) || unixSeconds <= 0) return 'never';
  return `${new Date(unixSeconds * 1000).toISOString().replace('T', ' ').slice(0, 16)} UTC`;
}
