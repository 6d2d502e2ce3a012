/** Times as readers want them: their own time zone and "3 hours ago". Unix seconds in, text out. */
const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['year', 365 * 86400], ['month', 30 * 86400], ['week', 7 * 86400], ['day', 86400], ['hour', 3600], ['minute', 60], ['second', 1],
];

export function relative(unixSeconds: number, nowMs = Date.now()): string {
  const diff = unixSeconds - nowMs / 1000;
  for (const [unit, secs] of UNITS) {
    if (Math.abs(diff) >= secs || unit === 'second') return rtf.format(Math.round(diff / secs), unit);
  }
  return '';
}

export function local(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** A <time> element: local time as text, relative time beside it, ISO in datetime. */
export function timeEl(unixSeconds: number | null | undefined, none = 'never'): HTMLElement {
  if (!unixSeconds || !Number.isFinite(unixSeconds) || unixSeconds <= 0) {
    const s = document.createElement('span');
    s.textContent = none;
    return s;
  }
  const t = document.createElement('time');
  t.dateTime = new Date(unixSeconds * 1000).toISOString();
  t.textContent = `${relative(unixSeconds)} (${local(unixSeconds)})`;
  t.title = t.dateTime;
  return t;
}

/** ISO strings (the archive route) to unix seconds; null stays null. */
export function isoSeconds(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : null;
}
