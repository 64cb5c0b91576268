import { instantOfChecked, isInstantInRange, toInstant, type AlertReceived } from '@klaxon/domain';
import { isHttpLink } from '../intake/http-link.ts';
import { MAX_ALERT_BYTES } from '../intake/limits.ts';
import { instantRefusal, sizeRefusal, type Refusal } from '../intake/refusal.ts';
import { jsonBytes, storableAlert, storableKey } from '../intake/storable-alert.ts';
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

export type NormalisedEvent =
  | {
      ok: true;
      alert: AlertReceived;
      /** Strings in which a NUL or a lone surrogate was replaced by U+FFFD. */
      replaced: number;
    }
  | { ok: false; refusal: Refusal };

/**
 * A generic event becomes one alert whose fingerprint and group key are its dedup_key, so it routes like any
 * alert; its text cleaned as the stores can keep it and its link kept only when http(s). Refused when its
 * timestamp is no instant a store can hold, or it is too large for the bus.
 */
export function normaliseEvent(
  event: GenericEvent,
  dedupKey: string,
  integration: string,
  receivedAt: Date,
): NormalisedEvent {
  const p = event.payload;
  if (p?.timestamp && !isInstantInRange(p.timestamp))
    return { ok: false, refusal: instantRefusal(0, 'payload.timestamp') };
  const key = storableKey(dedupKey);
  const labels = p
    ? { ...flattenDetails(p.custom_details ?? {}), severity: p.severity, source: p.source, summary: p.summary }
    : {};
  const link = event.links?.find(({ href }) => isHttpLink(href));
  const taken = storableAlert<AlertReceived>({
    type: 'AlertReceived',
    version: 1,
    source: 'events-api',
    integration,
    fingerprint: key.text,
    groupKey: key.text,
    status: STATUS[event.event_action],
    labels,
    annotations: p ? { summary: p.summary } : {},
    startsAt: p?.timestamp ? instantOfChecked(p.timestamp) : toInstant(receivedAt),
    ...(link ? { generatorURL: link.href } : {}),
    receivedAt: toInstant(receivedAt),
  });
  // Measured always: flattening repeats each nested key in the label of every value below it.
  const bytes = jsonBytes(taken.alert);
  if (bytes > MAX_ALERT_BYTES) return { ok: false, refusal: sizeRefusal(0, 'payload', bytes, MAX_ALERT_BYTES) };
  // The dedup_key cleaned once for both fingerprint and group key: a later resolve with the same key finds it.
  return { ok: true, alert: taken.alert, replaced: taken.replaced + key.replaced };
}
