import { createHash } from 'node:crypto';
import { instantOfChecked, toInstant, type AlertsReceived } from '@klaxon/domain';
import type { AlertmanagerPayload } from './alertmanager-payload.ts';

// Alertmanager writes Go's zero time for "no end yet".
const GO_ZERO_TIME_MS = Date.parse('0001-01-01T00:00:00Z');

/** Alertmanager's own fingerprint when it sent one, else the same idea: a hash of the sorted label set. */
const fingerprintOf = (labels: Record<string, string>) =>
  createHash('sha256')
    .update(JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b))))
    .digest('hex')
    .slice(0, 16);

/** A notification's alerts, in its order, under its group key. */
export function normaliseAlertmanager(
  payload: AlertmanagerPayload,
  integration: string,
  receivedAt: Date,
): AlertsReceived {
  return {
    type: 'AlertsReceived',
    version: 1,
    source: 'alertmanager',
    integration,
    groupKey: payload.groupKey,
    receivedAt: toInstant(receivedAt),
    alerts: payload.alerts.map((alert) => {
      const endsAtMs = Date.parse(alert.endsAt);
      return {
        fingerprint: alert.fingerprint || fingerprintOf(alert.labels),
        status: alert.status,
        labels: alert.labels,
        annotations: alert.annotations ?? {},
        startsAt: instantOfChecked(alert.startsAt),
        ...(Number.isNaN(endsAtMs) || endsAtMs <= GO_ZERO_TIME_MS ? {} : { endsAt: toInstant(endsAtMs) }),
        ...(alert.generatorURL ? { generatorURL: alert.generatorURL } : {}),
      };
    }),
  };
}
