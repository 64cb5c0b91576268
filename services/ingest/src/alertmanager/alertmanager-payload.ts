import {
  DATE_TIME_WITH_OFFSET,
  fieldIssue,
  isObject,
  isOptionalString,
  labelSetFieldIssues,
  labelSetSchema as labelSet,
} from '@klaxon/domain';
import { z } from 'zod';

const STATUSES = ['firing', 'resolved'] as const;

/** One alert of the webhook payload, as Alertmanager sends it; fields we do not use pass through. */
export type WebhookAlert = {
  status: (typeof STATUSES)[number];
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
  fingerprint?: string;
};

/**
 * One alert of the payload, checked in place. As a zod object it cost a new object per alert and, for each
 * field, a result object and an issue list; a webhook carries up to hundreds of alerts, and ingest's thread
 * is the one answering them.
 */
const webhookAlert = z.custom<WebhookAlert>(isObject, 'expected an alert object').check(({ value: a, issues }) => {
  if (!(STATUSES as readonly unknown[]).includes(a.status))
    fieldIssue(issues, a, 'status', `expected one of ${STATUSES.join(', ')}`);
  labelSetFieldIssues(issues, a, 'labels');
  labelSetFieldIssues(issues, a, 'annotations', true);
  if (typeof a.startsAt !== 'string' || !DATE_TIME_WITH_OFFSET.test(a.startsAt))
    fieldIssue(issues, a, 'startsAt', 'expected an ISO-8601 date-time with an offset');
  if (typeof a.endsAt !== 'string') fieldIssue(issues, a, 'endsAt', 'expected a string');
  if (!isOptionalString(a.generatorURL)) fieldIssue(issues, a, 'generatorURL', 'expected a string');
  if (!isOptionalString(a.fingerprint)) fieldIssue(issues, a, 'fingerprint', 'expected a string');
});

/** Alertmanager's webhook payload, version 4, as it sends it; fields we do not use pass through. */
export const alertmanagerPayloadSchema = z.looseObject({
  version: z.literal('4', { message: 'only version "4" of the Alertmanager webhook payload is supported' }),
  groupKey: z.string().min(1),
  status: z.enum(STATUSES),
  receiver: z.string(),
  groupLabels: labelSet,
  commonLabels: labelSet,
  commonAnnotations: labelSet,
  externalURL: z.string(),
  truncatedAlerts: z.number().int().nonnegative().optional(),
  alerts: z.array(webhookAlert).min(1, 'a notification carries at least one alert'),
});

export type AlertmanagerPayload = z.infer<typeof alertmanagerPayloadSchema>;
