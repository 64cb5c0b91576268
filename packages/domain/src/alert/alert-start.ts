import { instantMs, toInstant, type Instant } from '../time/instant.ts';
import type { AlertReceived } from './alert-received.ts';

/**
 * How far past its receipt an alert's start may lie and still be taken as it says: the sender's clock and
 * ingest's may disagree by that much.
 */
export const START_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * When an alert started, as escalation takes it: its `startsAt`, unless that lies more than the clock-skew
 * allowance after ingest received it, when it is taken as started at its receipt. A start in the future is
 * the sender's clock being wrong; believed, it would outlast every later firing of its group, each taken
 * for a redelivery of an alert already handled.
 */
export function believedStart(alert: Pick<AlertReceived, 'startsAt' | 'receivedAt'>): Instant {
  const received = instantMs(alert.receivedAt);
  return instantMs(alert.startsAt) > received + START_CLOCK_SKEW_MS ? toInstant(received) : alert.startsAt;
}

/**
 * Whether a firing alert is one its group's resolved incident already had: the same alert delivered again
 * (a crash before its offset was committed, Alertmanager repeating itself), or an older occurrence, when it
 * started no later than the incident recorded it. The recorded start is held to the incident's resolution
 * plus the allowance: an alert was received before its incident resolved, so a later start there is one
 * recorded before starts were checked against their receipt, and must not silence the group.
 */
export function isAlreadyHandled(start: Instant, recordedStart: Instant, resolvedAt: Instant): boolean {
  const recorded = Math.min(instantMs(recordedStart), instantMs(resolvedAt) + START_CLOCK_SKEW_MS);
  return instantMs(start) <= recorded;
}
