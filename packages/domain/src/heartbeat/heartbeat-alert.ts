import { z } from 'zod';
import type { AlertReceived } from '../alert/alert-received.ts';
import type { Labels } from '../routing/label-matcher.ts';
import type { Instant } from '../time/instant.ts';

/** What ingest puts on the bus for `POST /api/v1/heartbeats/:name`: escalation checks it again. */
export const heartbeatReceivedSchema = z.object({
  type: z.literal('HeartbeatReceived'),
  version: z.literal(1),
  heartbeat: z.string().min(1),
  integration: z.string(),
  receivedAt: z.string().datetime({ offset: true }),
});
export type HeartbeatReceived = z.infer<typeof heartbeatReceivedSchema>;

/** The bus key of a monitor's beats: its beats stay in order, and the instance that holds it owns its timer. */
export const heartbeatKey = (name: string): string => `heartbeat:${name}`;

/** The integration a miss comes from: no ingest token carries it, so no outside source can resolve a miss. */
export const HEARTBEAT_INTEGRATION = 'klaxon-heartbeat';

/**
 * A miss as an alert that routes, opens and pages like any other. Its start is when the beat fell due, the
 * same for every instance and every restart, so a miss raised twice is one alert.
 */
export function heartbeatAlert(
  name: string,
  labels: Labels,
  missedAt: Instant,
  status: 'firing' | 'resolved',
  at: Instant,
): AlertReceived {
  return {
    type: 'AlertReceived',
    version: 1,
    source: 'heartbeat',
    integration: HEARTBEAT_INTEGRATION,
    groupKey: heartbeatKey(name),
    fingerprint: heartbeatKey(name),
    status,
    labels: { alertname: 'HeartbeatMissed', heartbeat: name, ...labels },
    annotations: { summary: `Heartbeat ${name} missed: no beat since it was due at ${missedAt}` },
    startsAt: missedAt,
    receivedAt: at,
  };
}
