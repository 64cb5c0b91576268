import { createHash } from 'node:crypto';
import { instantOfChecked, isInstantInRange, toInstant, type AlertsReceived } from '@klaxon/domain';
import { isHttpLink } from '../intake/http-link.ts';
import { MAX_ALERT_BYTES } from '../intake/limits.ts';
import { instantRefusal, sizeRefusal, type Refusal } from '../intake/refusal.ts';
import { storableAlert, storableKey } from '../intake/storable-alert.ts';
import type { AlertmanagerPayload } from './alertmanager-payload.ts';

// Alertmanager writes Go's zero time for "no end yet".
const GO_ZERO_TIME_MS = Date.parse('0001-01-01T00:00:00Z');

/** Alertmanager's own fingerprint when it sent one, else the same idea: a hash of the sorted label set. */
const fingerprintOf = (labels: Record<string, string>) =>
  createHash('sha256')
    .update(JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b))))
    .digest('hex')
    .slice(0, 16);

export interface NormalisedNotification {
  /** The alerts taken, in the notification's order; none when every one was refused. */
  notification: AlertsReceived;
  /** Each taken alert's size as JSON, in bytes, in the same order. */
  sizes: number[];
  refused: Refusal[];
  /** Strings in which a NUL or a lone surrogate was replaced by U+FFFD. */
  replaced: number;
}

/**
 * A notification's alerts, in its order, under its group key, as the stores can keep them: text cleaned,
 * links kept only when http(s); an alert with an instant no store can hold, or too large for the bus, is
 * refused alone.
 */
export function normaliseAlertmanager(
  payload: AlertmanagerPayload,
  integration: string,
  receivedAt: Date,
): NormalisedNotification {
  const groupKey = storableKey(payload.groupKey);
  let replaced = groupKey.replaced;
  const refused: Refusal[] = [];
  const sizes: number[] = [];
  const alerts: AlertsReceived['alerts'] = [];
  payload.alerts.forEach((alert, index) => {
    const endsAtMs = Date.parse(alert.endsAt);
    const hasEnd = !Number.isNaN(endsAtMs) && endsAtMs !== GO_ZERO_TIME_MS;
    if (!isInstantInRange(alert.startsAt)) return void refused.push(instantRefusal(index, `alerts.${index}.startsAt`));
    if (hasEnd && !isInstantInRange(alert.endsAt))
      return void refused.push(instantRefusal(index, `alerts.${index}.endsAt`));
    const taken = storableAlert({
      fingerprint: alert.fingerprint || fingerprintOf(alert.labels),
      status: alert.status,
      labels: alert.labels,
      annotations: alert.annotations ?? {},
      startsAt: instantOfChecked(alert.startsAt),
      ...(hasEnd ? { endsAt: toInstant(endsAtMs) } : {}),
      ...(alert.generatorURL && isHttpLink(alert.generatorURL) ? { generatorURL: alert.generatorURL } : {}),
    });
    replaced += taken.replaced;
    if (taken.bytes > MAX_ALERT_BYTES)
      return void refused.push(sizeRefusal(index, `alerts.${index}`, taken.bytes, MAX_ALERT_BYTES));
    alerts.push(taken.alert);
    sizes.push(taken.bytes);
  });
  return {
    notification: {
      type: 'AlertsReceived',
      version: 1,
      source: 'alertmanager',
      integration,
      groupKey: groupKey.text,
      receivedAt: toInstant(receivedAt),
      alerts,
    },
    sizes,
    refused,
    replaced,
  };
}
