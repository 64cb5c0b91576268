import { createHash } from 'node:crypto';
import { instantOfChecked, isInstantInRange, toInstant, type AlertsReceived } from '@klaxon/domain';
import { isHttpLink } from '../intake/http-link.ts';
import { MAX_ALERT_BYTES, MAX_RECORD_ALERT_BYTES } from '../intake/limits.ts';
import { instantRefusal, sizeRefusal, type Refusal } from '../intake/refusal.ts';
import { jsonBytes, storableAlert, storableKey } from '../intake/storable-alert.ts';
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
  /** Each taken alert's size as JSON, in bytes, in the same order; none for a body that fits one record. */
  sizes?: number[];
  refused: Refusal[];
  /** Strings in which a NUL or a lone surrogate was replaced by U+FFFD. */
  replaced: number;
}

/** What the request's body tells before its alerts are looked at one by one. */
export interface BodyFacts {
  bytes: number;
  /** Whether its text may hold a NUL or a lone surrogate (see `mayHoldUnstorableText`). */
  mayHoldUnstorableText: boolean;
}

/**
 * A notification's alerts, in its order, under its group key, as the stores can keep them: text cleaned,
 * links kept only when http(s); an alert with an instant no store can hold, or too large for the bus, is
 * refused alone. Alerts are measured only in a body larger than a record: normalised, an alert is at most
 * a few dozen bytes larger than as sent (a fingerprint, empty annotations), less than the notification's
 * own fields, so a smaller body holds no alert too large and fits one record.
 */
export function normaliseAlertmanager(
  payload: AlertmanagerPayload,
  integration: string,
  receivedAt: Date,
  body: BodyFacts,
): NormalisedNotification {
  const groupKey = storableKey(payload.groupKey);
  let replaced = groupKey.replaced;
  const refused: Refusal[] = [];
  const sizes: number[] | undefined = body.bytes > MAX_RECORD_ALERT_BYTES ? [] : undefined;
  const alerts: AlertsReceived['alerts'] = [];
  payload.alerts.forEach((alert, index) => {
    const endsAtMs = Date.parse(alert.endsAt);
    const hasEnd = !Number.isNaN(endsAtMs) && endsAtMs !== GO_ZERO_TIME_MS;
    if (!isInstantInRange(alert.startsAt)) return void refused.push(instantRefusal(index, `alerts.${index}.startsAt`));
    if (hasEnd && !isInstantInRange(alert.endsAt))
      return void refused.push(instantRefusal(index, `alerts.${index}.endsAt`));
    let taken: AlertsReceived['alerts'][number] = {
      fingerprint: alert.fingerprint || fingerprintOf(alert.labels),
      status: alert.status,
      labels: alert.labels,
      annotations: alert.annotations ?? {},
      startsAt: instantOfChecked(alert.startsAt),
      ...(hasEnd ? { endsAt: toInstant(endsAtMs) } : {}),
      ...(alert.generatorURL && isHttpLink(alert.generatorURL) ? { generatorURL: alert.generatorURL } : {}),
    };
    if (body.mayHoldUnstorableText) {
      const storable = storableAlert(taken);
      taken = storable.alert;
      replaced += storable.replaced;
    }
    if (sizes) {
      const bytes = jsonBytes(taken);
      if (bytes > MAX_ALERT_BYTES)
        return void refused.push(sizeRefusal(index, `alerts.${index}`, bytes, MAX_ALERT_BYTES));
      sizes.push(bytes);
    }
    alerts.push(taken);
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
