import {
  decide,
  initialState,
  type IncidentCommand,
  type IncidentEvent,
  type Roster,
  type Timings,
} from '../../src/index.ts';

export const MIN = 60_000;
export const HOUR = 60 * MIN;

/** The runbook's timings: P1 L2/L3/L4 after 30 min, 1 h, 2 h; P2 after 2 h, 4 h, 8 h. */
export const P1: Timings = {
  ackTimeoutMs: 5 * MIN,
  escalateAfterMs: [30 * MIN, HOUR, 2 * HOUR],
  statusUpdateEveryMs: 30 * MIN,
};
export const P2: Timings = {
  ackTimeoutMs: 15 * MIN,
  escalateAfterMs: [2 * HOUR, 4 * HOUR, 8 * HOUR],
  statusUpdateEveryMs: HOUR,
};
export const P3: Timings = {
  ackTimeoutMs: 30 * MIN,
  escalateAfterMs: [8 * HOUR, 24 * HOUR, 72 * HOUR],
  statusUpdateEveryMs: 4 * HOUR,
};

export const roster: Roster = {
  L1: [{ contact: 'alice', channel: 'sms' }],
  L2: [{ contact: 'tom-lead', channel: 'sms' }],
  L3: [{ contact: 'erin-manager', channel: 'voice' }],
  L4: [{ contact: 'carl-cto', channel: 'voice' }],
};

/** 10:00 UTC on the day of the runbook drill; `at('10:05')` reads like the runbook. */
export const at = (hhmm: string, day = '2026-11-22'): string => new Date(`${day}T${hhmm}:00.000Z`).toISOString();

export const openP1 = (
  overrides: Partial<Extract<IncidentCommand, { type: 'OpenIncident' }>> = {},
): IncidentCommand => ({
  type: 'OpenIncident',
  incidentId: 'inc-1',
  number: 1,
  groupKey: '{}:{alertname="BarDiskFull"}',
  severity: 'P1',
  service: 'bar-db',
  title: 'Disk full',
  labels: { alertname: 'BarDiskFull', service: 'bar-db', severity: 'critical' },
  source: 'alertmanager',
  fingerprint: 'f1',
  alertStartsAt: at('09:58'),
  policy: 'default',
  timings: P1,
  roster,
  at: at('10:00'),
  ...overrides,
});

/** The events of a P1 opened at 10:00 (see `openP1`), as history for given(). */
export function openedP1(overrides: Partial<Extract<IncidentCommand, { type: 'OpenIncident' }>> = {}): IncidentEvent[] {
  const result = decide(openP1(overrides), initialState());
  if (!result.ok) throw new Error(`open refused: ${result.error.code}`);
  return result.value;
}
