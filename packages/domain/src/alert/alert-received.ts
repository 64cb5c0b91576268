import { z } from 'zod';
import {
  DATE_TIME_WITH_OFFSET,
  fieldIssue,
  isObject,
  isOptionalString,
  labelSetFieldIssues,
} from './in-place-check.ts';
import { labelSetSchema } from './label-set.ts';

/** What every alert on the bus carries of where and when it was taken in. */
const receipt = {
  source: z.enum(['alertmanager', 'events-api']),
  integration: z.string(),
  groupKey: z.string().min(1),
  receivedAt: z.iso.datetime({ offset: true }),
};

const alert = {
  fingerprint: z.string().min(1),
  /** `acknowledged` comes only from the generic events API's `acknowledge` action. */
  status: z.enum(['firing', 'resolved', 'acknowledged']),
  labels: labelSetSchema,
  annotations: labelSetSchema,
  startsAt: z.iso.datetime({ offset: true }),
  endsAt: z.iso.datetime({ offset: true }).optional(),
  generatorURL: z.string().optional(),
};

/**
 * One alert as escalation handles it, whatever tool sent it; on the bus, the record of a generic event.
 * Escalation validates what it reads again: the bus is a boundary.
 */
export const alertReceivedSchema = z.object({
  type: z.literal('AlertReceived'),
  version: z.literal(1),
  ...receipt,
  ...alert,
});

export type AlertReceived = z.infer<typeof alertReceivedSchema>;

type AlertFields = z.infer<z.ZodObject<typeof alert>>;

const STATUSES: ReadonlySet<unknown> = new Set(alert.status.options);

/**
 * One alert of a notification's record, held to the rules of `alert` above but checked in place. As
 * `z.object(alert)`, zod built a new object per alert and, for each of its fields, a result object and an
 * issue list: in a storm, a large share of what escalation's thread allocated (docs/benchmarks.md).
 */
const alertInRecord = z.custom<AlertFields>(isObject, 'expected an alert object').check(({ value: a, issues }) => {
  if (typeof a.fingerprint !== 'string' || a.fingerprint.length === 0)
    fieldIssue(issues, a, 'fingerprint', 'expected a non-empty string');
  if (!STATUSES.has(a.status)) fieldIssue(issues, a, 'status', `expected one of ${alert.status.options.join(', ')}`);
  labelSetFieldIssues(issues, a, 'labels');
  labelSetFieldIssues(issues, a, 'annotations');
  if (typeof a.startsAt !== 'string' || !DATE_TIME_WITH_OFFSET.test(a.startsAt))
    fieldIssue(issues, a, 'startsAt', 'expected an ISO-8601 date-time with an offset');
  if (!isOptionalString(a.endsAt) || (a.endsAt !== undefined && !DATE_TIME_WITH_OFFSET.test(a.endsAt as string)))
    fieldIssue(issues, a, 'endsAt', 'expected an ISO-8601 date-time with an offset');
  if (!isOptionalString(a.generatorURL)) fieldIssue(issues, a, 'generatorURL', 'expected a string');
});

/**
 * The alerts of one Alertmanager notification (one group), in its order, as one bus record: one write and
 * one read for the notification instead of one per alert.
 */
export const alertsReceivedSchema = z.object({
  type: z.literal('AlertsReceived'),
  version: z.literal(1),
  ...receipt,
  alerts: z.array(alertInRecord).min(1),
});

export type AlertsReceived = z.infer<typeof alertsReceivedSchema>;

/** What a record of the alerts topic may hold. */
export const alertRecordSchema = z.discriminatedUnion('type', [alertReceivedSchema, alertsReceivedSchema]);

export type AlertRecord = z.infer<typeof alertRecordSchema>;

/** The alerts a record carries, in order, each as an AlertReceived. */
export function alertsIn(record: AlertRecord): AlertReceived[] {
  if (record.type === 'AlertReceived') return [record];
  const { version, source, integration, groupKey, receivedAt } = record;
  return record.alerts.map((a) => ({
    type: 'AlertReceived',
    version,
    source,
    integration,
    groupKey,
    receivedAt,
    ...a,
  }));
}

/** The title people read: the summary annotation when there is one, else the alert's name. */
export const alertTitle = (alert: Pick<AlertReceived, 'annotations' | 'labels'>): string =>
  alert.annotations.summary ?? alert.labels.summary ?? alert.labels.alertname ?? 'Untitled alert';
