import { z } from 'zod';
import { err, ok, type Result } from '../result.ts';
import {
  fieldIssue,
  INSTANT_TEXT_MESSAGE,
  isInstantText,
  isObject,
  isOptionalString,
  labelSetFieldIssues,
} from './in-place-check.ts';
import { labelSetSchema } from './label-set.ts';

/** What every alert on the bus carries of where and when it was taken in. */
const receipt = {
  source: z.enum(['alertmanager', 'events-api', 'heartbeat']),
  integration: z.string(),
  groupKey: z.string().min(1),
  receivedAt: z.string().refine(isInstantText, INSTANT_TEXT_MESSAGE),
};

const alert = {
  fingerprint: z.string().min(1),
  /** `acknowledged` comes only from the generic events API's `acknowledge` action. */
  status: z.enum(['firing', 'resolved', 'acknowledged']),
  labels: labelSetSchema,
  annotations: labelSetSchema,
  startsAt: z.string().refine(isInstantText, INSTANT_TEXT_MESSAGE),
  endsAt: z.string().refine(isInstantText, INSTANT_TEXT_MESSAGE).optional(),
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
  if (!isInstantText(a.startsAt)) fieldIssue(issues, a, 'startsAt', INSTANT_TEXT_MESSAGE);
  if (a.endsAt !== undefined && !isInstantText(a.endsAt)) fieldIssue(issues, a, 'endsAt', INSTANT_TEXT_MESSAGE);
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

/** A notification's record with its alerts not yet checked: each is checked on its own. */
const alertRecordEnvelopeSchema = z.discriminatedUnion('type', [
  alertReceivedSchema,
  alertsReceivedSchema.extend({ alerts: z.array(z.unknown()).min(1) }),
]);

/** An alert of a record that cannot be handled, with what is wrong with it. */
export interface RefusedAlert {
  index: number;
  fingerprint?: string;
  problems: string[];
}

/** The alerts of a record that can be handled, in order, and those that cannot. */
export interface RecordAlerts {
  alerts: AlertReceived[];
  refused: RefusedAlert[];
}

const problemList = (issues: readonly z.core.$ZodIssue[], prefix: string) =>
  issues.slice(0, 3).map((i) => `${[prefix, ...i.path].filter((p) => p !== '').join('.') || '(value)'}: ${i.message}`);

/**
 * A record read off the bus, alert by alert: one alert that cannot be handled (an instant no Instant can
 * hold, a label that is no string) is refused alone, and its siblings of the same notification, a critical
 * one among them maybe, are still handled. The error is the problems of a record that is no alert record.
 */
export function alertsOfRecord(value: unknown): Result<RecordAlerts, string[]> {
  // A good record, nearly every one, is checked whole and at once.
  const whole = alertRecordSchema.safeParse(value);
  if (whole.success) return ok({ alerts: alertsIn(whole.data), refused: [] });
  const envelope = alertRecordEnvelopeSchema.safeParse(value);
  if (!envelope.success) return err(problemList(envelope.error.issues, ''));
  const record = envelope.data;
  if (record.type === 'AlertReceived') return ok({ alerts: [record], refused: [] });
  const good: AlertFields[] = [];
  const refused: RefusedAlert[] = [];
  record.alerts.forEach((candidate, index) => {
    const checked = alertInRecord.safeParse(candidate);
    if (checked.success) return void good.push(checked.data);
    const fingerprint =
      isObject(candidate) && typeof candidate.fingerprint === 'string' ? candidate.fingerprint : undefined;
    refused.push({
      index,
      ...(fingerprint ? { fingerprint } : {}),
      problems: problemList(checked.error.issues, `alerts.${index}`),
    });
  });
  return ok({ alerts: alertsIn({ ...record, alerts: good }), refused });
}

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
