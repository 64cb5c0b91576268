import { instantOfChecked, toInstant, type AlertReceived } from '@klaxon/domain';
import type { GenericEvent } from './event-payload.ts';

const STATUS = { trigger: 'firing', acknowledge: 'acknowledged', resolve: 'resolved' } as const;

/** custom_details become labels: nested keys joined with dots, every value a string. */
export function flattenDetails(value: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) flattenDetails(inner, prefix ? `${prefix}.${key}` : key, out);
  } else if (prefix) {
    out[prefix] = value === null || value === undefined ? '' : String(value);
  }
  return out;
}

/** A generic event becomes one alert whose fingerprint and group key are its dedup_key, so it routes like any alert. */
export function normaliseEvent(
  event: GenericEvent,
  dedupKey: string,
  integration: string,
  receivedAt: Date,
): AlertReceived {
  const p = event.payload;
  const labels = p
    ? { ...flattenDetails(p.custom_details ?? {}), severity: p.severity, source: p.source, summary: p.summary }
    : {};
  return {
    type: 'AlertReceived',
    version: 1,
    source: 'events-api',
    integration,
    fingerprint: dedupKey,
    groupKey: dedupKey,
    status: STATUS[event.event_action],
    labels,
    annotations: p ? { summary: p.summary } : {},
    startsAt: p?.timestamp ? instantOfChecked(p.timestamp) : toInstant(receivedAt),
    ...(event.links?.[0] ? { generatorURL: event.links[0].href } : {}),
    receivedAt: toInstant(receivedAt),
  };
}
