import type { AlertsReceived } from '@klaxon/domain';

/**
 * Bytes of request body above which a notification goes on the bus as several records. Kafka refuses a
 * record over its `message.max.bytes` (1 MB by default) for good, while a body may be up to
 * INGEST_MAX_BODY_BYTES (5 MB): a notification that large would be answered 503 at every retry.
 */
export const MAX_RECORD_BODY_BYTES = 256 * 1024;

/**
 * A notification as bus records: one, or for a large body consecutive slices of its alerts, each about
 * MAX_RECORD_BODY_BYTES of the body, in order under the same key.
 */
export function splitNotification(notification: AlertsReceived, bodyBytes: number): AlertsReceived[] {
  const parts = Math.min(notification.alerts.length, Math.ceil(bodyBytes / MAX_RECORD_BODY_BYTES));
  if (parts <= 1) return [notification];
  const size = Math.ceil(notification.alerts.length / parts);
  const records: AlertsReceived[] = [];
  for (let i = 0; i < notification.alerts.length; i += size)
    records.push({ ...notification, alerts: notification.alerts.slice(i, i + size) });
  return records;
}
