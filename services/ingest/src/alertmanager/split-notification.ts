import type { AlertsReceived } from '@klaxon/domain';
import { MAX_RECORD_ALERT_BYTES } from '../intake/limits.ts';

/**
 * A notification as bus records: one (for a body that fits one record, measured by nobody), or for a large one consecutive slices of its alerts of at most
 * MAX_RECORD_ALERT_BYTES each (or one alert alone, when it is larger), in order under the same key. Kafka
 * refuses a record over its `message.max.bytes` (1 MB by default) for good, while a body may be up to
 * INGEST_MAX_BODY_BYTES (5 MB): a notification that large would be answered 503 at every retry. Slices
 * follow the alerts' own sizes: a few large alerts among many small ones do not land in one record.
 */
export function splitNotification(notification: AlertsReceived, sizes?: readonly number[]): AlertsReceived[] {
  if (!sizes) return [notification];
  const records: AlertsReceived[] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < notification.alerts.length; i++) {
    const size = sizes[i]!;
    if (i > start && bytes + size > MAX_RECORD_ALERT_BYTES) {
      records.push({ ...notification, alerts: notification.alerts.slice(start, i) });
      start = i;
      bytes = 0;
    }
    bytes += size;
  }
  if (start === 0) return [notification];
  records.push({ ...notification, alerts: notification.alerts.slice(start) });
  return records;
}
