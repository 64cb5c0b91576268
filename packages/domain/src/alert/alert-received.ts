import { z } from 'zod';

/**
 * What ingest puts on the bus for every alert it accepted, whatever tool sent it. Escalation validates it
 * again when reading: the bus is a boundary.
 */
export const alertReceivedSchema = z.object({
  type: z.literal('AlertReceived'),
  version: z.literal(1),
  source: z.enum(['alertmanager', 'events-api']),
  integration: z.string(),
  fingerprint: z.string().min(1),
  groupKey: z.string().min(1),
  /** `acknowledged` comes only from the generic events API's `acknowledge` action. */
  status: z.enum(['firing', 'resolved', 'acknowledged']),
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()),
  startsAt: z.iso.datetime({ offset: true }),
  endsAt: z.iso.datetime({ offset: true }).optional(),
  generatorURL: z.string().optional(),
  receivedAt: z.iso.datetime({ offset: true }),
});

export type AlertReceived = z.infer<typeof alertReceivedSchema>;

/** The title people read: the summary annotation when there is one, else the alert's name. */
export const alertTitle = (alert: Pick<AlertReceived, 'annotations' | 'labels'>): string =>
  alert.annotations.summary ?? alert.labels.summary ?? alert.labels.alertname ?? 'Untitled alert';
