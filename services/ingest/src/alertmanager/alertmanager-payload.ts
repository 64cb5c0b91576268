import { labelSetSchema as labelSet } from '@klaxon/domain';
import { z } from 'zod';

/** Alertmanager's webhook payload, version 4, as it sends it; fields we do not use pass through. */
export const alertmanagerPayloadSchema = z.looseObject({
  version: z.literal('4', { message: 'only version "4" of the Alertmanager webhook payload is supported' }),
  groupKey: z.string().min(1),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  groupLabels: labelSet,
  commonLabels: labelSet,
  commonAnnotations: labelSet,
  externalURL: z.string(),
  truncatedAlerts: z.number().int().nonnegative().optional(),
  alerts: z
    .array(
      z.looseObject({
        status: z.enum(['firing', 'resolved']),
        labels: labelSet,
        annotations: labelSet.default({}),
        startsAt: z.iso.datetime({ offset: true }),
        endsAt: z.string(),
        generatorURL: z.string().default(''),
        fingerprint: z.string().optional(),
      }),
    )
    .min(1, 'a notification carries at least one alert'),
});

export type AlertmanagerPayload = z.infer<typeof alertmanagerPayloadSchema>;
