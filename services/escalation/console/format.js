// Times in the viewer's own zone (the browser's), with the zone named so a screenshot says which.
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
export const viewerZone = zone;

export function when(iso, timeZone = zone) {
  if (!iso) return '';
  return new Intl.DateTimeFormat(undefined, {
    timeZone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  }).format(new Date(iso));
}

/**
 * A link from an alert as an href: only http(s). Ingest keeps no other, but an incident recorded before it
 * checked may hold a `javascript:` URL, which in an href would run in the console's origin.
 */
export function httpLink(url) {
  return typeof url === 'string' && /^https?:\/\//i.test(url) ? url : undefined;
}

/** "in 3 min", "in 1 h 20 min", "now", "2 min ago". */
export function relative(iso, nowMs = Date.now()) {
  const ms = Date.parse(iso) - nowMs;
  const abs = Math.abs(ms);
  if (abs < 30_000) return ms >= 0 ? 'in under a minute' : 'just now';
  const minutes = Math.round(abs / 60_000);
  const text =
    minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

/** Seconds as "4 min 10 s", "2 h 5 min", "—" for none. */
export function duration(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours >= 48) return `${Math.round(hours / 24)} d`;
  return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
}

export const percent = (share) => (share === null || share === undefined ? '—' : `${Math.round(share * 1000) / 10}%`);
