import { describe, expect, it } from 'vitest';
import {
  decide,
  decideAndFold,
  evolveAll,
  initialState,
  type IncidentCommand,
  type IncidentState,
} from '../src/index.ts';
import { at, openP1, P2, roster } from './support/runbook.ts';

/**
 * A runner keeps the state decideAndFold hands back instead of folding the events itself: it must be the
 * state the events lead to, for decisions made through the draft and for those made without it.
 */
describe('a decision with the state it leads to', () => {
  const night: IncidentCommand[] = [
    openP1(),
    {
      type: 'AttachAlerts',
      alerts: [
        { fingerprint: 'f2', status: 'firing', startsAt: at('10:01') },
        { fingerprint: 'f3', status: 'firing', startsAt: at('10:01') },
      ],
      at: at('10:01'),
    },
    { type: 'RecordPageDelivered', pageId: 'p1', providerId: 'SM1', at: at('10:01') },
    { type: 'AttachAlert', fingerprint: 'f2', status: 'firing', startsAt: at('10:01'), at: at('10:02') },
    { type: 'FireEscalationTimer', timerId: 't1', roster, at: at('10:05') },
    { type: 'ChangeSeverity', severity: 'P2', timings: P2, by: 'alice', at: at('10:06') },
    { type: 'Acknowledge', by: 'tom-lead', via: 'sms', at: at('10:07') },
    { type: 'PostStatusUpdate', by: 'tom-lead', text: 'Disk cleaned, watching', at: at('10:20') },
    {
      type: 'AttachAlerts',
      alerts: ['f1', 'f2', 'f3'].map((fingerprint) => ({
        fingerprint,
        status: 'resolved' as const,
        startsAt: at('10:01'),
      })),
      at: at('10:30'),
    },
    { type: 'Reopen', by: 'alice', roster, at: at('10:40') },
    { type: 'Resolve', by: 'alice', via: 'api', at: at('10:50') },
  ];

  it('is the state its events lead to, at every step of a night, and the events are those decide makes', () => {
    let state: IncidentState = initialState();
    let decided = 0;
    for (const command of night) {
      const plain = decide(command, state);
      const folded = decideAndFold(command, state);
      if (!plain.ok) {
        expect(folded).toEqual(plain);
        continue;
      }
      if (!folded.ok) throw new Error(`decideAndFold refused ${command.type}: ${folded.error.code}`);
      expect(folded.value.events).toEqual(plain.value);
      const expected = evolveAll(plain.value, state);
      expect(folded.value.state).toEqual(expected);
      state = folded.value.state;
      if (plain.value.length > 0) decided++;
    }
    // The night did happen: the incident ended resolved by hand, after a reopen, its alerts all recorded.
    expect(decided).toBeGreaterThanOrEqual(9);
    expect(state.exists && state.status).toBe('resolved');
    expect(state.exists && state.alerts.statuses()).toEqual({
      f1: 'resolved',
      f2: 'resolved',
      f3: 'resolved',
    });
  });

  it('refuses what decide refuses', () => {
    expect(decideAndFold({ type: 'Acknowledge', by: 'alice', via: 'sms', at: at('10:00') }, initialState())).toEqual({
      ok: false,
      error: { code: 'IncidentNotFound' },
    });
  });
});
